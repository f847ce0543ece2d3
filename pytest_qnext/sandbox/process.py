"""One sandbox and the parent's end of its message pipes.

`SandboxProcess(runner)` has the zygote fork a fresh sandbox (see `_boot`'s docstring) that
runs `runner`, a standard-library-only Python file defining `main(channel)`. The parent talks to
the runner in JSON frames with deadlines. `close()` kills whatever is left and returns only when
all of it is gone: it kills the sandbox's pid 1 through a pidfd (the kernel then kills every
process of the sandbox's pid namespace before pid 1's exit completes) and waits for the boot
process, which exits after pid 1.

Thread-safety: one thread drives one `SandboxProcess`; different instances are independent.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import selectors
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_qnext.sandbox import _boot
from pytest_qnext.sandbox.limits import DEFAULT_LIMITS, Limits, SandboxError, SandboxMode
from pytest_qnext.sandbox.zygote import SANDBOX_ENV, Zygote, default_zygote

__all__ = [
    "BOOT_TIMEOUT_S",
    "ExitInfo",
    "MessageTooLarge",
    "RunnerGone",
    "RunnerTimeout",
    "SandboxProcess",
]

#: How long a sandbox may take to start before it counts as broken (our fault, not the
#: program's). Generous: a loaded CI machine can be slow.
BOOT_TIMEOUT_S = 30.0
_EXIT_WAIT_S = 10.0


class RunnerTimeout(Exception):
    """No message from the runner before the deadline (the sandbox still runs: close it)."""


class RunnerGone(Exception):
    """The runner stopped: its process exited or was killed (see `SandboxProcess.exit_status`)."""


class MessageTooLarge(Exception):
    """The runner announced a message larger than `Limits.message_bytes`."""


@dataclass(frozen=True)
class ExitInfo:
    """How a sandbox ended: the runner process's status, its stderr tail, whether we killed it.

    `status`: exit code, or 128 + signal number when a signal ended it (as a shell reports it);
    None when unknown (the sandbox was killed before its boot process could tell).
    """

    status: int | None
    stderr: str
    killed: bool

    @property
    def signal_name(self) -> str | None:
        if self.status is None or self.status <= 128:
            return None
        try:
            return signal.Signals(self.status - 128).name
        except ValueError:
            return f"signal {self.status - 128}"


class SandboxProcess:
    """A started sandbox running `runner`; `send`/`recv`, then `close()` (or use `with`)."""

    def __init__(
        self,
        runner: Path,
        *,
        limits: Limits = DEFAULT_LIMITS,
        mode: SandboxMode = "namespaces",
        zygote: Zygote | None = None,
    ) -> None:
        self.mode = mode
        self.limits = limits
        self.exit_status: int | None = None
        self._killed = False
        self._info: ExitInfo | None = None
        self._buffer = bytearray()
        self._stderr = bytearray()
        self._boot_fd: int | None = None
        self._init_fd: int | None = None
        self._boot_pid = 0
        self._closing = False
        self._tail = b""
        self.init_pid = 0  # the sandbox's top process (pid 1 of its namespace), as the host sees it
        self._workdir = (
            tempfile.mkdtemp(prefix="qnext-sandbox-work-") if mode != "namespaces" else ""
        )
        request: dict[str, Any] = {"mode": mode, "runner": str(runner), "limits": limits.for_boot()}
        if self._workdir:
            env = dict(SANDBOX_ENV, HOME=self._workdir, TMPDIR=self._workdir)
            request.update(workdir=self._workdir, env=env)
        child_in, self._in = os.pipe()
        self._out, child_out = os.pipe()
        self._err, child_err = os.pipe()
        started = time.perf_counter()
        try:
            (zygote or default_zygote()).spawn(request, (child_in, child_out, child_err))
        except BaseException:
            for fd in (self._in, self._out, self._err):
                os.close(fd)
            raise
        finally:
            for fd in (child_in, child_out, child_err):
                os.close(fd)
        for fd in (self._out, self._err):
            os.set_blocking(fd, False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._out, selectors.EVENT_READ)
        self._selector.register(self._err, selectors.EVENT_READ)
        try:
            self._handshake()
        except BaseException:
            self.close()
            raise
        self.boot_seconds = time.perf_counter() - started

    # --- start-up ---------------------------------------------------------------------------

    def _boot_message(self, deadline: float, expect: str) -> dict[str, Any]:
        try:
            message = self.recv(deadline - time.monotonic())
        except RunnerGone:
            detail = self._stderr_tail() or f"status {self.exit_status}"
            raise SandboxError(f"sandbox exited during start-up ({detail})") from None
        except (RunnerTimeout, MessageTooLarge) as exc:
            raise SandboxError(f"sandbox did not start ({exc})") from None
        if isinstance(message, dict) and message.get("op") == expect:
            return message
        if isinstance(message, dict) and message.get("op") == "boot_error":
            stage, error = message.get("stage"), message.get("error")
            raise SandboxError(f"sandbox start-up failed ({stage}): {error}")
        raise SandboxError(f"sandbox start-up sent {str(message)[:200]!r}, not {expect!r}")

    def _handshake(self) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        boot = self._boot_message(deadline, "boot")
        self._boot_pid = int(boot["boot_pid"])
        self.init_pid = int(boot["init_pid"])
        try:  # both processes wait for our "go", so these pids cannot have been reused
            self._boot_fd = os.pidfd_open(self._boot_pid)
            if self.mode == "namespaces":
                self._init_fd = os.pidfd_open(self.init_pid)
        except OSError as exc:
            raise SandboxError(f"pidfd_open of the sandbox failed: {exc}") from None
        self.send({"op": "go"})
        ready = self._boot_message(deadline, "ready")
        self.uid = int(ready["uid"])

    # --- messages ---------------------------------------------------------------------------

    def send(self, message: Any) -> None:
        """Send one message; RunnerGone when the runner no longer reads."""
        try:
            _boot.write_all(self._in, _boot.encode_frame(message))
        except OSError:
            raise RunnerGone("the sandbox closed its input") from None

    def _frame(self) -> Any:
        if len(self._buffer) < _boot.HEADER.size:
            return _NO_FRAME
        (size,) = _boot.HEADER.unpack_from(self._buffer)
        if size > self.limits.message_bytes:
            raise MessageTooLarge(f"a message of {size} bytes (limit {self.limits.message_bytes})")
        end = _boot.HEADER.size + size
        if len(self._buffer) < end:
            return _NO_FRAME
        payload = bytes(self._buffer[_boot.HEADER.size : end])
        del self._buffer[:end]
        try:
            return json.loads(payload.decode("utf-8"))
        except ValueError:
            return {"op": "garbled", "bytes": size}

    def recv(self, timeout: float) -> Any:
        """The runner's next message within `timeout` seconds (see the exception classes)."""
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            frame = self._frame()
            if isinstance(frame, dict) and frame.get("op") == "exit":
                self.exit_status = int(frame.get("status", -1))
                raise RunnerGone(f"the sandbox exited (status {self.exit_status})")
            if frame is not _NO_FRAME:
                return frame
            if self._out not in self._selector.get_map():
                raise RunnerGone("the sandbox closed its output")
            left = deadline - time.monotonic()
            if left <= 0:
                raise RunnerTimeout(f"no message within {timeout:.3g}s")
            for key, _ in self._selector.select(left):
                self._drain(int(key.fd))

    def _drain(self, fd: int) -> None:
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            self._selector.unregister(fd)
        elif fd == self._out and self._closing:  # only its exit frame matters now
            self._tail = (self._tail + chunk)[-_TAIL_BYTES:]
        elif fd == self._out:
            self._buffer += chunk
        elif len(self._stderr) < self.limits.stderr_bytes:
            self._stderr += chunk[: self.limits.stderr_bytes - len(self._stderr)]

    def _stderr_tail(self) -> str:
        return bytes(self._stderr).decode("utf-8", "replace").strip()[-2000:]

    # --- end --------------------------------------------------------------------------------

    def kill(self) -> None:
        """Kill the sandbox now (it overran); `close()` then waits until it is gone."""
        self._killed = True
        self._terminate()

    def _terminate(self) -> None:
        if self._init_fd is not None:  # pid 1 of the namespace: takes everything with it
            _pidfd_kill(self._init_fd)
        elif self._boot_fd is not None:  # unsafe-local: the session's process group
            with contextlib.suppress(OSError):
                os.killpg(self._boot_pid, signal.SIGKILL)

    def close(self) -> ExitInfo:
        """Kill what is left, wait until it is gone, release everything; idempotent."""
        if self._info is not None:
            return self._info
        os.close(self._in)
        self._closing = True
        self._tail = bytes(self._buffer[-_TAIL_BYTES:])
        self._buffer.clear()
        if self._boot_fd is not None:
            if not _exited(self._boot_fd, 0):
                self._terminate()
            if not self._wait_draining(_EXIT_WAIT_S):  # never seen; be sure anyway
                _pidfd_kill(self._boot_fd)
                self._wait_draining(None)
        deadline = time.monotonic() + 1.0  # what it wrote before it went: exit frame, stderr
        while self._selector.get_map() and time.monotonic() < deadline:
            for key, _ in self._selector.select(0.05):
                self._drain(int(key.fd))
        found = _EXIT_FRAME.findall(self._tail)
        if found:
            self.exit_status = int(found[-1])
        self._selector.close()
        for fd in (self._out, self._err, self._boot_fd, self._init_fd):
            if fd is not None:
                os.close(fd)
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._info = ExitInfo(self.exit_status, self._stderr_tail(), self._killed)
        return self._info

    def _wait_draining(self, timeout: float | None) -> bool:
        """Wait for the boot process to exit, reading its pipes meanwhile (a full pipe would
        block its last write). True once it has exited."""
        assert self._boot_fd is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            fds = [self._boot_fd, *(key.fd for key in self._selector.get_map().values())]
            readable, _, _ = select.select(fds, [], [], left)
            if self._boot_fd in readable:
                return True
            if not readable and left == 0.0:
                return False
            for fd in readable:
                self._drain(fd)

    @property
    def pid(self) -> int:
        """The boot process's pid (its session and process group)."""
        return self._boot_pid

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pidfd_kill(pidfd: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)


def _exited(pidfd: int, timeout: float | None) -> bool:
    """True once the process behind `pidfd` has exited (waits up to `timeout`)."""
    readable, _, _ = select.select([pidfd], [], [], timeout)
    return bool(readable)


_NO_FRAME = object()
_TAIL_BYTES = 4096
# the boot process's last frame, as `_boot.encode_frame` writes it
_EXIT_FRAME = re.compile(rb'\{"op":"exit","status":(-?\d+)\}')
