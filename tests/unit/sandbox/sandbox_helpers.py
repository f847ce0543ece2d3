"""Helpers of the sandbox tests: scanning /proc for leftovers, watching files, starting."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pytest_qnext.sandbox import SandboxProcess

EXEC_RUNNER = Path(__file__).resolve().parents[3] / "pytest_qnext" / "sandbox" / "exec_runner.py"
CHECKOUT = Path(__file__).resolve().parents[3]


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
    """Files outside the sandbox that a program must not be able to change."""

    paths: list[Path]

    def snapshot(self) -> dict[str, tuple[int, int]]:
        out = {}
        for root in self.paths:
            for entry in [root, *root.iterdir()] if root.is_dir() else [root]:
                try:
                    st = entry.lstat()
                except OSError:
                    continue
                out[str(entry)] = (st.st_mtime_ns, st.st_size)
        return out


def start(**kwargs: object) -> SandboxProcess:
    """A sandbox running the generic exec runner."""
    return SandboxProcess(EXEC_RUNNER, **kwargs)  # type: ignore[arg-type]
