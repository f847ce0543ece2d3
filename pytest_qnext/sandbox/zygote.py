"""The zygote: one trusted helper process that forks every sandbox (see `_boot`'s docstring).

Starting a Python interpreter costs tens to hundreds of milliseconds on a busy machine; forking
a process that already has the runner's modules loaded costs about one. The zygote is started
once per parent process (lazily, shared by all threads), with the scrubbed environment, and never
runs model code. Requests are serialised with a lock; a zygote that died is restarted once.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from pytest_qnext.sandbox import _boot
from pytest_qnext.sandbox.limits import UID_BASE, SandboxError

__all__ = ["SANDBOX_ENV", "Zygote", "default_zygote"]

#: The whole environment a sandboxed program sees: no API keys, proxies or HOME secrets.
SANDBOX_ENV: dict[str, str] = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/alternatives",
)
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
_DEV_LINKS = (
    ("/dev/fd", "/proc/self/fd"),
    ("/dev/stdin", "/proc/self/fd/0"),
    ("/dev/stdout", "/proc/self/fd/1"),
    ("/dev/stderr", "/proc/self/fd/2"),
)


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _python_dirs() -> list[str]:
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    dirs.add(str(Path(sys.executable).parent.parent))
    out: list[str] = []
    for path in sorted(dirs, key=len):
        for variant in (os.path.abspath(path), os.path.realpath(path)):
            if variant not in out and os.path.isdir(variant):
                out.append(variant)
    return out


def root_layout() -> dict[str, Any]:
    """What the sandbox's root holds, at the same paths as on the host: system directories,
    a few /etc files, the interpreter's own directories (read-only), five devices."""
    binds: list[list[str]] = []
    symlinks: list[list[str]] = []
    covered: list[str] = []
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            symlinks.append([path, os.readlink(path)])
        elif os.path.isdir(path):
            binds.append([path, path])
            covered.append(path)
    binds.extend([path, path] for path in _ETC_FILES if os.path.exists(path))
    python_dirs = _python_dirs()
    for path in python_dirs:
        if not _under(path, covered):
            binds.append([path, path])
            covered.append(path)
    devices = [[dev, dev] for dev in _DEVICES if os.path.exists(dev)]
    symlinks.extend([link, target] for link, target in _DEV_LINKS)
    # the program's import path: the interpreter's stdlib and site-packages, never the checkout
    sys_path = [p for p in sys.path if p and _under(os.path.abspath(p), python_dirs)]
    return {"binds": binds, "devices": devices, "symlinks": symlinks, "sys_path": sys_path}


@functools.cache
def _mountpoint() -> str:
    """An empty directory each sandbox mounts its new root on, inside its own mount namespace
    (the host only ever sees it empty). One per parent process, removed at exit."""
    path = tempfile.mkdtemp(prefix="qnext-sandbox-root-")
    atexit.register(os.rmdir, path)
    return path


class Zygote:
    """The parent's handle on one zygote process. `spawn` is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._log: Any = None
        self._closed = False

    def _start(self) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        base = {
            "control_fd": child.fileno(),
            "mountpoint": _mountpoint(),
            "workdir": "/tmp",
            "uid_base": UID_BASE,
            "env": SANDBOX_ENV,
            **root_layout(),
        }
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the zygote)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", _boot.__file__, "zygote", json.dumps(base)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                env=SANDBOX_ENV,
                cwd="/",
                pass_fds=(child.fileno(),),
                start_new_session=True,
            )
        finally:
            child.close()
        self._sock = parent

    def _died(self) -> str:
        assert self._proc is not None and self._log is not None
        self._log.seek(0)
        tail = self._log.read()[-2000:].decode("utf-8", "replace").strip()
        return f"status {self._proc.poll()}" + (f": {tail.splitlines()[-1]}" if tail else "")

    def spawn(self, request: dict[str, Any], fds: tuple[int, int, int]) -> None:
        """Ask the zygote to fork a sandbox with `fds` as its stdin, stdout and stderr."""
        data = json.dumps(request).encode("utf-8")
        with self._lock:
            if self._closed:
                raise SandboxError("the sandbox zygote was closed (the run is ending)")
            for attempt in (1, 2):
                if self._proc is None or self._proc.poll() is not None:
                    if self._proc is not None and attempt == 2:
                        raise SandboxError(f"sandbox zygote exited ({self._died()})")
                    self._close_locked()
                    self._start()
                assert self._sock is not None
                try:
                    socket.send_fds(self._sock, [data], list(fds))
                    return
                except OSError as exc:
                    if attempt == 2:
                        raise SandboxError(f"sandbox zygote unreachable ({exc})") from None
                    self._proc_kill()

    def _proc_kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def _close_locked(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()  # EOF: the zygote exits, its sandboxes die with it
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc_kill()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        """Stop the zygote; every sandbox it forked dies with it, and it forks no more."""
        with self._lock:
            self._closed = True
            self._close_locked()

    @property
    def pid(self) -> int | None:
        """The zygote process's pid while it runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None


_default: Zygote | None = None
_default_lock = threading.Lock()


def default_zygote() -> Zygote:
    """The process-wide zygote (started on first use, closed at exit)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Zygote()
            atexit.register(_default.close)
        return _default
