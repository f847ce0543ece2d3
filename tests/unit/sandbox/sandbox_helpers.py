"""Helpers of the sandbox tests: scanning /proc for leftovers, watching files, starting."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pytest_qnext.sandbox import SandboxProcess

EXEC_RUNNER = Path(__file__).resolve().parents[3] / "pytest_qnext" / "sandbox" / "exec_runner.py"
CHECKOUT = Path(__file__).resolve().parents[3]
MARKER = "qnext-marker-"  # hostile programs name the files they try to create like this


def pid_namespace(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def processes_in(namespace: str) -> list[int]:
    """Pids (as the host sees them) of live processes in the given pid namespace."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and pid_namespace(int(name)) == namespace and _alive(int(name)):
            found.append(int(name))
    return found


def processes_with(token: str) -> list[int]:
    """Pids of live processes whose command line contains `token`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if token.encode() in cmdline and _alive(int(name)):
            found.append(int(name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@dataclass
class Watched:
    """What a program must not be able to change outside its sandbox.

    The checkout (git's view of it: modified and untracked files) and this test's tmp_path
    must be byte-for-byte unchanged. $HOME is shared with other work on the machine, so only
    its regular files' stat and the absence of new entries named like our markers are checked.
    """

    tmp_path: Path

    def snapshot(self) -> dict[str, object]:
        status = subprocess.run(
            [
                "git",
                "-c",
                "safe.directory=*",
                "-C",
                str(CHECKOUT),
                "status",
                "--porcelain",
                "-uall",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        home = {}
        for entry in Path.home().iterdir():
            if entry.is_file() and not entry.is_symlink():
                st = entry.stat()
                home[entry.name] = (st.st_mtime_ns, st.st_size)
        markers = sorted(p.name for p in Path.home().iterdir() if p.name.startswith(MARKER))
        tmp = {str(p): p.stat().st_mtime_ns for p in self.tmp_path.rglob("*")}
        return {"checkout": status, "home files": home, "home markers": markers, "tmp": tmp}


def start(**kwargs: object) -> SandboxProcess:
    """A sandbox running the generic exec runner."""
    return SandboxProcess(EXEC_RUNNER, **kwargs)  # type: ignore[arg-type]
