"""Start-up checks: the sandbox is available here; where namespaces cannot be created it fails
closed with one line (and `unsafe-local` still runs); the user-namespace path (non-root) works."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_helpers import CHECKOUT

from pytest_qnext.sandbox import (
    UNSAFE_WARNING,
    SandboxUnavailable,
    require_sandbox,
    sandbox_problem,
)

PROBE = """
import json, sys
sys.path.insert(0, {checkout!r})
from pytest_qnext.sandbox import SandboxError, SandboxProcess, sandbox_problem
from pytest_qnext.sandbox.process import SandboxProcess
out = {{"namespaces": sandbox_problem("namespaces"), "unsafe": sandbox_problem("unsafe-local")}}
runner = {checkout!r} + "/pytest_qnext/sandbox/exec_runner.py"
try:
    with SandboxProcess(__import__("pathlib").Path(runner)) as sandbox:
        sandbox.send({{"code": {program!r}}})
        out["program"] = sandbox.recv(60)["stdout"]
except SandboxError as exc:
    out["error"] = str(exc)
print(json.dumps(out))
"""
NON_ROOT_PROGRAM = r"""
import json, os, resource
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
forked = 0
children = []
try:
    for _ in range(100):
        pid = os.fork()
        if pid == 0:
            import time
            time.sleep(30)
            os._exit(0)
        children.append(pid)
        forked += 1
except OSError:
    pass
print(json.dumps({"uid": os.getuid(), "cap_eff": status["CapEff"].strip(),
                  "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0], "forked": forked,
                  "interfaces": open("/proc/net/dev").read().count(":")}))
"""


def test_available_here() -> None:
    assert sandbox_problem("namespaces") is None
    assert sandbox_problem("unsafe-local") is None
    require_sandbox("namespaces")


def test_unknown_mode_is_one_line() -> None:
    problem = sandbox_problem("docker")  # type: ignore[arg-type]
    assert problem is not None and "valid: namespaces, unsafe-local" in problem
    with pytest.raises(SandboxUnavailable):
        require_sandbox("docker")  # type: ignore[arg-type]


def test_unsafe_warning_says_what_is_lost() -> None:
    assert "unsafe-local" in UNSAFE_WARNING and "network" in UNSAFE_WARNING


def test_without_network_namespaces_it_fails_closed(tmp_path: Path) -> None:
    """In a user namespace allowed no network namespaces, the sandbox refuses to start with one
    line (naming the fix and the unsafe mode) and never runs the program."""
    unshare = shutil.which("unshare")
    assert unshare, "util-linux `unshare` is needed for this test"
    marker = tmp_path / "ran"
    program = f"open({str(marker)!r}, 'w').write('ran')"
    script = PROBE.format(checkout=str(CHECKOUT), program=program)
    command = 'echo 0 > /proc/sys/user/max_net_namespaces && exec "$0" -I -c "$1"'
    done = subprocess.run(
        [unshare, "--user", "--map-root-user", "sh", "-c", command, sys.executable, script],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["namespaces"] is not None and "\n" not in out["namespaces"]
    assert "unshare" in out["namespaces"] and "--qnext-sandbox unsafe-local" in out["namespaces"]
    assert out["unsafe"] is None  # the explicit unsafe mode still works there
    assert "error" in out and "program" not in out
    assert not marker.exists()


def _nobody_python() -> str:
    """An interpreter uid 65534 can run (the venv's base may live under a private /root)."""
    check = (
        "import subprocess, sys\nassert sys.version_info >= (3, 10)\n"
        "subprocess.run([sys.executable, '-c', 'pass'], check=True)"  # it can start itself
    )
    for candidate in (os.path.realpath(sys.executable), "/usr/bin/python3"):
        done = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                candidate,
                "-c",
                check,
            ],
            capture_output=True,
            timeout=60,
        )
        if done.returncode == 0:
            return candidate
    pytest.fail("no Python >= 3.10 that uid 65534 can run (install python3 under /usr)")


def test_user_namespace_path_without_root() -> None:
    """As an ordinary user the sandbox uses a user namespace: no capabilities, RLIMIT_NPROC
    counted inside the namespace only, no network. As root this runs the probe as uid 65534."""
    script = PROBE.format(checkout=str(CHECKOUT), program=NON_ROOT_PROGRAM)
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        command += [_nobody_python(), "-I", "-c", script]
    else:
        command = [sys.executable, "-I", "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, cwd="/")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["namespaces"] is None, out
    seen = json.loads(out["program"])
    assert seen["uid"] == (65534 if os.geteuid() == 0 else os.geteuid())
    assert int(seen["cap_eff"], 16) == 0
    assert seen["interfaces"] == 1  # lo only
    # the boot process, pid 1 and the program count too: at most max_processes in all
    assert 0 < seen["forked"] <= seen["nproc"] - 2
