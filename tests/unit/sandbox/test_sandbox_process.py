"""What a sandboxed program sees and what the parent's handle does (real sandboxes)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from sandbox_helpers import EXEC_RUNNER, pid_namespace, processes_in, start

from pytest_qnext.sandbox import (
    DEFAULT_LIMITS,
    SANDBOX_ENV,
    Limits,
    MessageTooLarge,
    RunnerGone,
    RunnerTimeout,
    SandboxError,
    SandboxProcess,
)
from pytest_qnext.sandbox.limits import UID_BASE

pytestmark = pytest.mark.usefixtures("sandbox_ready")

INSPECT = r"""
import json, os, resource, socket
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
limits = {name: resource.getrlimit(getattr(resource, name))[0]
          for name in ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE")}
print(json.dumps({
    "uid": os.getuid(),
    "cap_eff": status["CapEff"].strip(),
    "cap_bnd": status["CapBnd"].strip(),
    "no_new_privs": status["NoNewPrivs"].strip(),
    "env": dict(os.environ),
    "root": sorted(os.listdir("/")),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "interfaces": [row.split(":")[0].strip() for row in open("/proc/net/dev").readlines()[2:]],
    "cwd": os.getcwd(),
    "limits": limits,
    "hostname": socket.gethostname() != "",
}))
"""


def run(code: str, **kwargs: object) -> dict[str, object]:
    with start(**kwargs) as sandbox:
        sandbox.send({"code": code})
        reply = sandbox.recv(60)
    assert isinstance(reply, dict)
    return reply


def test_the_program_sees_only_its_own_little_world() -> None:
    reply = run(INSPECT)
    assert reply["status"] == "ok", reply
    seen = json.loads(str(reply["stdout"]))
    assert seen["uid"] != 0
    if os.geteuid() == 0:
        assert seen["uid"] > UID_BASE  # a uid of its own, so RLIMIT_NPROC applies
    assert int(seen["cap_eff"], 16) == 0 and int(seen["cap_bnd"], 16) == 0
    assert seen["no_new_privs"] == "1"
    assert seen["env"] == SANDBOX_ENV
    assert seen["interfaces"] == ["lo"]  # a new network namespace: loopback only, and down
    assert seen["pids"] == [1, 2]  # its pid namespace: the sandbox's init and the program
    assert seen["cwd"] == "/tmp"
    # the system directories, /dev, /etc, /proc, /tmp and the top folder of wherever the
    # interpreter lives (a CI clone's venv may sit under any top-level folder)
    interpreter_tops = {
        os.path.abspath(path).split("/")[1]
        for base in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
        for path in (base, os.path.realpath(base))
    }
    system = {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp", "usr"}
    assert set(seen["root"]) <= system | interpreter_tops, set(seen["root"]) - system
    assert "tmp" in seen["root"] and "usr" in seen["root"]
    limits = seen["limits"]
    assert limits["RLIMIT_AS"] == DEFAULT_LIMITS.memory_bytes
    assert limits["RLIMIT_NPROC"] == DEFAULT_LIMITS.max_processes
    assert limits["RLIMIT_FSIZE"] == DEFAULT_LIMITS.file_bytes
    assert limits["RLIMIT_NOFILE"] == DEFAULT_LIMITS.open_files
    assert limits["RLIMIT_CORE"] == 0


def test_only_interpreter_and_system_directories_are_visible() -> None:
    code = "import os, sys; print(sorted(os.listdir(os.path.dirname(sys.prefix) or '/')))"
    reply = run(code)
    assert reply["status"] == "ok"
    # the checkout is not there, only the interpreter's own folder at its real path
    assert "pyproject.toml" not in str(reply["stdout"])


def test_setuid_and_privileges_cannot_come_back() -> None:
    code = (
        "import errno, os\nout = []\nfor f in (lambda: os.setuid(0), lambda: os.setgid(0)):\n"
        "    try:\n        f(); out.append('became root')\n"
        "    except OSError as exc:\n        out.append(errno.errorcode[exc.errno])\nprint(out)"
    )
    # EPERM as root's sandbox (an unprivileged uid); EINVAL in a user namespace (no uid 0 there)
    assert run(code)["stdout"] in ("['EPERM', 'EPERM']\n", "['EINVAL', 'EINVAL']\n")


def test_a_silent_program_times_out_and_is_killed() -> None:
    sandbox = start()
    namespace = pid_namespace(sandbox.init_pid)
    assert namespace is not None
    sandbox.send({"code": "import time\ntime.sleep(60)"})
    with pytest.raises(RunnerTimeout):
        sandbox.recv(0.5)
    sandbox.kill()
    info = sandbox.close()
    assert info.killed
    assert processes_in(namespace) == []
    assert sandbox.close() is info  # idempotent


def test_cpu_limit_kills_with_sigxcpu() -> None:
    sandbox = start(limits=Limits(cpu_seconds=1))
    sandbox.send({"code": "while True:\n    pass"})
    with pytest.raises(RunnerGone):
        sandbox.recv(60)
    info = sandbox.close()
    assert info.signal_name == "SIGXCPU" and not info.killed


def test_a_crash_reports_its_signal() -> None:
    sandbox = start()
    sandbox.send({"code": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)"})
    with pytest.raises(RunnerGone):
        sandbox.recv(60)
    assert sandbox.close().signal_name == "SIGSEGV"


def test_an_oversized_message_is_refused() -> None:
    sandbox = start(limits=Limits(message_bytes=1 << 20))
    sandbox.send({"code": "print('x' * (2 << 20))"})
    with pytest.raises(MessageTooLarge, match="limit 1048576"):
        sandbox.recv(60)
    sandbox.kill()
    assert sandbox.close().killed


def test_stderr_is_captured_and_capped() -> None:
    sandbox = start(limits=Limits(stderr_bytes=100))
    sandbox.send({"code": "import sys\nsys.stderr.write('e' * 5000)\nsys.stderr.flush()"})
    sandbox.recv(60)
    info = sandbox.close()
    assert info.stderr == "e" * 100


def test_a_broken_runner_is_a_sandbox_error(tmp_path: Path) -> None:
    runner = tmp_path / "runner.py"
    runner.write_text("raise RuntimeError('runner is broken')\n")
    with pytest.raises(SandboxError, match="runner is broken") as info:
        SandboxProcess(runner)
    assert "\n" not in str(info.value)
    with pytest.raises(SandboxError, match="No such file"):
        SandboxProcess(tmp_path / "missing.py")


def test_unsafe_local_mode_has_limits_but_no_isolation(tmp_path: Path) -> None:
    host_tmp = f"os.path.isdir({str(tmp_path)!r})"
    code = (
        "import json, os, resource\n"
        "print(json.dumps({'env': dict(os.environ), 'cwd': os.getcwd(), "
        f"'as': resource.getrlimit(resource.RLIMIT_AS)[0], 'host_tmp': {host_tmp}}}))"
    )
    with SandboxProcess(EXEC_RUNNER, mode="unsafe-local") as sandbox:
        sandbox.send({"code": code})
        seen = json.loads(sandbox.recv(60)["stdout"])
        workdir = seen["cwd"]
        assert os.path.isdir(workdir)
    assert seen["as"] == DEFAULT_LIMITS.memory_bytes
    assert seen["env"]["HOME"] == workdir and "QNEXT_API_KEY" not in seen["env"]
    assert seen["host_tmp"]  # no mount namespace: the host's files are there (hence "unsafe")
    assert not os.path.exists(workdir)  # its working directory is removed afterwards


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="max_processes"):
        Limits(max_processes=0)
