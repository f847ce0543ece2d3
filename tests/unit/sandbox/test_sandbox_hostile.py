"""Hostile programs: every attempt fails, the host stays usable, nothing is left behind.

Each program runs in a real sandbox through the generic exec runner (no LiveCodeBench guard in
the way: the kernel-level sandbox is what is tested). Every test checks that the attempt
failed, that $HOME, the checkout and tmp_path are unchanged (`watched`), that no process of
the sandbox is alive afterwards (its pid namespace and a unique token on /proc), and that a
fresh sandbox still answers. Network tests only ever target servers this test starts on the
host's loopback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import (
    CHECKOUT,
    MARKER,
    Watched,
    pid_namespace,
    processes_in,
    processes_with,
    start,
)

from pytest_qnext.sandbox import DEFAULT_LIMITS, ExitInfo, Limits, RunnerGone, RunnerTimeout
from pytest_qnext.sandbox.zygote import Zygote

pytestmark = pytest.mark.usefixtures("sandbox_ready")

FORK_BOMB = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
BUSY_LOOP = "while True:\n    pass\n"
BIG_ALLOCATION = """
errors = []
for make in (lambda: bytearray(10 * 1024**3), lambda: b"x" * (10 * 1024**3)):
    try:
        make()
        errors.append("allocated")
    except MemoryError:
        errors.append("MemoryError")
print(errors)
"""
CONNECT_LOOPBACK = """
import json, socket, sys
p = json.loads(sys.stdin.read())
out = []
for host in ("127.0.0.1", "::1", "localhost"):
    try:
        socket.create_connection((host, p["port"]), timeout=2).close()
        out.append(host + " CONNECTED")
    except OSError as exc:
        out.append(host + " " + type(exc).__name__)
print(out)
"""
DNS_ON_LOOPBACK = """
import json, socket, struct, sys
p = json.loads(sys.stdin.read())
query = struct.pack(">HHHHHH", 0x5153, 0x0100, 1, 0, 0, 0)
for label in b"qnext-sandbox-test.localhost".split(b"."):
    query += bytes([len(label)]) + label
query += b"\\0" + struct.pack(">HH", 1, 1)
out = []
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
try:
    s.sendto(query, ("127.0.0.1", p["port"]))
    out.append("sent")
    out.append(repr(s.recvfrom(512)))
except OSError as exc:
    out.append(type(exc).__name__)
print(out, socket.getaddrinfo("localhost", 80)[0][4][0])
"""
WRITE_OUTSIDE = """
import errno, json, os, sys
p = json.loads(sys.stdin.read())
out = {}
for name, folder in (("home", p["home"]), ("checkout", p["checkout"]), ("tmp_path", p["tmp"])):
    target = os.path.join(folder, p["marker"])
    try:
        with open(target, "w") as fh:
            fh.write("pwned")
        out[name] = "WROTE"
    except OSError as exc:
        out[name] = errno.errorcode[exc.errno]
    try:
        os.makedirs(os.path.join(folder, p["marker"] + ".d"))
        out[name + "/mkdir"] = "MADE"
    except OSError as exc:
        out[name + "/mkdir"] = errno.errorcode[exc.errno]
with open(os.path.join(os.path.expanduser("~"), p["marker"]), "w") as fh:
    fh.write("the sandbox's own /tmp is writable")
out["sandbox_home"] = os.path.expanduser("~")
print(json.dumps(out))
"""
READ_SECRETS = """
import json, os, sys
p = json.loads(sys.stdin.read())
seen = [json.dumps(dict(os.environ))]
for path in ("/proc/self/environ", "/proc/1/environ", "/proc/%d/environ" % os.getppid(),
             "/proc/%d/environ" % p["host"], "/proc/%d/environ" % p["zygote"]):
    try:
        seen.append(path + " " + open(path, "rb").read().decode("utf-8", "replace"))
    except OSError as exc:
        seen.append(path + " " + type(exc).__name__)
print("\\n".join(seen))
"""
READ_USER_FILES = """
import json, sys
p = json.loads(sys.stdin.read())
out = {}
for path in p["paths"]:
    try:
        out[path] = open(path, "rb").read(200).decode("utf-8", "replace")
    except OSError as exc:
        out[path] = type(exc).__name__
print(json.dumps(out))
"""
KILL_PARENT = """
import json, os, signal, sys
p = json.loads(sys.stdin.read())
targets = [("host", p["host"]), ("zygote", p["zygote"]), ("parent", os.getppid()), ("init", 1),
           ("everyone", -1)]
for name, pid in targets:
    try:
        os.kill(pid, signal.SIGKILL)
        print(name + ": sent")
    except OSError as exc:
        print(name + ": " + type(exc).__name__)
"""
BACKGROUND = """
import json, os, subprocess, sys, time
p = json.loads(sys.stdin.read())
subprocess.Popen(["sleep", p["seconds"]], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    subprocess.run(["sleep", p["seconds"]])
    os._exit(0)
time.sleep(0.3)
print("spawned")
"""
FILL_DISK = """
import errno, json, os
out = {"written": 0}
try:
    with open("/tmp/big", "wb") as fh:
        for _ in range(200):
            fh.write(b"x" * (1 << 20))
            out["written"] += 1 << 20
except OSError as exc:
    out["big"] = errno.errorcode[exc.errno]
os.remove("/tmp/big")
try:
    for i in range(200):
        with open("/tmp/f%d" % i, "wb") as fh:
            fh.write(b"y" * (1 << 20))
        out["written"] += 1 << 20
except OSError as exc:
    out["many"] = errno.errorcode[exc.errno]
for path in ("/qnext-root-file", "/usr/qnext-file"):
    try:
        open(path, "w")
    except OSError as exc:
        out[path] = errno.errorcode[exc.errno]
print(json.dumps(out))
"""
SETSID_SLEEP = """
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(1000)
os.setsid()
time.sleep(1000)
"""
ABSTRACT_SOCKET = """
import json, socket, sys
p = json.loads(sys.stdin.read())
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\\0" + p["name"])
    print("CONNECTED")
except OSError as exc:
    print(type(exc).__name__)
"""


@dataclass
class Outcome:
    reply: dict[str, Any] | None
    info: ExitInfo
    leftovers: list[int]
    timed_out: bool


def attack(
    code: str,
    params: dict[str, Any] | None = None,
    *,
    timeout: float = 20.0,
    limits: Limits = DEFAULT_LIMITS,
    zygote: Zygote | None = None,
    during: Any = None,
) -> Outcome:
    """Run one hostile program; return what it answered and what is left of it."""
    token = f"7{uuid.uuid4().int % 10**9}.25"  # unique and a valid `sleep` argument
    sandbox = start(limits=limits, zygote=zygote)
    namespace = pid_namespace(sandbox.init_pid)
    assert namespace is not None
    sandbox.send({"code": code, "stdin": json.dumps({**(params or {}), "seconds": token})})
    if during is not None:
        during(namespace)
    reply, timed_out = None, False
    try:
        reply = sandbox.recv(timeout)
    except RunnerTimeout:
        timed_out = True
        sandbox.kill()
    except RunnerGone:
        pass
    info = sandbox.close()
    leftovers = processes_in(namespace) + processes_with(token)
    assert_responsive()
    return Outcome(reply, info, leftovers, timed_out)


def assert_responsive() -> None:
    """A fresh sandbox starts and answers, and the host runs a process."""
    subprocess.run(["true"], check=True, timeout=60)
    with start() as sandbox:
        sandbox.send({"code": "print(6 * 7)"})
        assert sandbox.recv(60)["stdout"] == "42\n"


def test_fork_bomb_is_capped_and_killed(watched: Watched) -> None:
    limits = Limits(max_processes=16)
    counts: list[int] = []

    def during(namespace: str) -> None:
        time.sleep(1.5)
        counts.append(len(processes_in(namespace)))
        subprocess.run(["true"], check=True, timeout=60)  # the host still forks

    out = attack(FORK_BOMB, timeout=2.0, limits=limits, during=during)
    assert out.timed_out and out.leftovers == []
    assert 2 <= counts[0] <= limits.max_processes + 1  # pid 1 + the capped bomb


def test_busy_loop_is_killed_at_the_deadline(watched: Watched) -> None:
    """(How soon after the deadline: tests/timing/test_timing_sandbox.py.)"""
    out = attack(BUSY_LOOP, timeout=1.0)
    assert out.timed_out and out.info.killed and out.leftovers == []


def test_ten_gib_allocation_fails(watched: Watched) -> None:
    out = attack(BIG_ALLOCATION)
    assert out.reply is not None and out.reply["stdout"] == "['MemoryError', 'MemoryError']\n"
    assert out.leftovers == []


def test_connecting_to_a_loopback_server_fails(watched: Watched) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    try:
        out = attack(CONNECT_LOOPBACK, {"port": server.getsockname()[1]})
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected
    finally:
        server.close()
    assert out.reply is not None and "CONNECTED" not in out.reply["stdout"]
    assert "127.0.0.1 OSError" in out.reply["stdout"]  # ENETUNREACH: no interface is up
    assert out.leftovers == []


def test_dns_query_to_a_loopback_resolver_never_arrives(watched: Watched) -> None:
    resolver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    resolver.bind(("127.0.0.1", 0))
    resolver.setblocking(False)
    try:
        out = attack(DNS_ON_LOOPBACK, {"port": resolver.getsockname()[1]})
        with pytest.raises(BlockingIOError):
            resolver.recvfrom(512)  # no query reached the host
    finally:
        resolver.close()
    assert out.reply is not None, out.info
    assert out.reply["stdout"] == "['OSError'] 127.0.0.1\n"  # /etc/hosts still answers
    assert out.leftovers == []


def test_writing_home_and_checkout_fails(watched: Watched, tmp_path: Path) -> None:
    marker = f"{MARKER}{uuid.uuid4().hex}"
    params = {"home": str(Path.home()), "checkout": str(CHECKOUT), "tmp": str(tmp_path)}
    out = attack(WRITE_OUTSIDE, {**params, "marker": marker})
    assert out.reply is not None and out.reply["status"] == "ok", out.reply
    result = json.loads(out.reply["stdout"])
    for name, folder in (("home", Path.home()), ("checkout", CHECKOUT)):
        if folder.is_relative_to("/tmp"):  # inside the sandbox that is its own private /tmp
            continue
        for attempt in (name, name + "/mkdir"):
            assert result[attempt] in ("EROFS", "ENOENT", "EACCES"), result
    # tmp_path lies under /tmp, which in the sandbox is its own private tmpfs: writing there
    # is allowed and never reaches the host's /tmp (checked below and by `watched`)
    assert result["sandbox_home"] == "/tmp"
    for folder in (Path.home(), CHECKOUT, tmp_path):
        assert not (folder / marker).exists()
    assert out.leftovers == []


def test_api_keys_never_reach_the_program(
    watched: Watched, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"sk-qnext-{uuid.uuid4().hex}"
    for name in ("QNEXT_API_KEY", "OPENAI_API_KEY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, secret)
    zygote = Zygote()  # started now, with the keys in our environment
    try:
        params = {"host": os.getpid(), "zygote": 0}
        with start(zygote=zygote) as warm:  # starts the zygote process
            warm.send({"code": "pass"})
            warm.recv(60)
        assert zygote.pid is not None
        params["zygote"] = zygote.pid
        assert secret not in Path(f"/proc/{zygote.pid}/environ").read_text(errors="replace")
        out = attack(READ_SECRETS, params, zygote=zygote)
    finally:
        zygote.close()
    assert out.reply is not None and out.reply["status"] == "ok"
    text = out.reply["stdout"] + out.info.stderr
    assert secret not in text
    assert "PATH" in text  # the program did see its (scrubbed) environment
    assert f"/proc/{os.getpid()}/environ FileNotFoundError" in text
    assert out.leftovers == []


def test_user_files_are_not_there(watched: Watched) -> None:
    paths = [str(CHECKOUT / "pyproject.toml"), str(Path.home() / ".bashrc"), "/etc/shadow"]
    out = attack(READ_USER_FILES, {"paths": paths})
    assert out.reply is not None
    result = json.loads(out.reply["stdout"])
    assert set(result.values()) <= {"FileNotFoundError", "PermissionError"}, result
    assert out.leftovers == []


def test_killing_the_parent_kills_only_the_program(watched: Watched) -> None:
    zygote = Zygote()
    try:
        with start(zygote=zygote) as warm:
            warm.send({"code": "pass"})
            warm.recv(60)
        zygote_pid = zygote.pid
        out = attack(KILL_PARENT, {"host": os.getpid(), "zygote": zygote_pid}, zygote=zygote)
        assert zygote.pid == zygote_pid  # still alive, and it still forks sandboxes
        with start(zygote=zygote) as after:
            after.send({"code": "print('alive')"})
            assert after.recv(60)["stdout"] == "alive\n"
    finally:
        zygote.close()
    # the program outlived its attempts: its parent (the sandbox's pid 1) ignores it or
    # refuses, and the host's processes are not even visible
    assert out.reply is not None, out.info
    lines = out.reply["stdout"].splitlines()
    assert lines[:2] == ["host: ProcessLookupError", "zygote: ProcessLookupError"]
    assert lines[2] in ("parent: PermissionError", "parent: sent")
    assert lines[3] in ("init: PermissionError", "init: sent")
    assert out.leftovers == []


def test_background_processes_die_with_the_program(watched: Watched) -> None:
    out = attack(BACKGROUND)
    assert out.reply is not None and out.reply["stdout"] == "spawned\n"
    assert out.leftovers == []


def test_filling_the_disk_stops_at_the_limits(watched: Watched) -> None:
    limits = DEFAULT_LIMITS
    out = attack(FILL_DISK)
    assert out.reply is not None and out.reply["status"] == "ok", out.reply
    result = json.loads(out.reply["stdout"])
    assert result["big"] in ("EFBIG", "ENOSPC") and result["many"] == "ENOSPC"
    assert result["written"] <= limits.file_bytes + limits.tmp_bytes
    assert result["/qnext-root-file"] == "EROFS" and result["/usr/qnext-file"] == "EROFS"
    assert out.leftovers == []


def test_setsid_and_sleep_is_still_killed(watched: Watched) -> None:
    out = attack(SETSID_SLEEP, timeout=1.0)
    assert out.timed_out and out.leftovers == []


def test_abstract_unix_socket_of_the_host_is_unreachable(watched: Watched) -> None:
    name = f"qnext-test-{uuid.uuid4().hex}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0" + name)
    server.listen()
    server.setblocking(False)
    try:
        out = attack(ABSTRACT_SOCKET, {"name": name})
        with pytest.raises(BlockingIOError):
            server.accept()
    finally:
        server.close()
    assert out.reply is not None and out.reply["stdout"] == "ConnectionRefusedError\n"
    assert out.leftovers == []
