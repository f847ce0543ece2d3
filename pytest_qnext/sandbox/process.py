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
    cpu_seconds: float | None = None  # user + system time of all of the sandbox's processes

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
        self._outbox = bytearray()
        self._in_open = True
        self._ready = False
        self._boot_deadline = 0.0
        self.uid: int | None = None  # the program's uid, once the runner is ready
        self.cpu_seconds: float | None = None  # CPU time of the whole sandbox, once it ended
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
        for fd in (self._in, self._out, self._err):
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

    def _boot_message(self, deadline: float) -> dict[str, Any]:
        """The boot process's first frame: its pids, or why it could not set up."""
        frame = self._next_frame(deadline)
        if frame is _TIMED_OUT:
            raise SandboxError(f"sandbox did not start within {BOOT_TIMEOUT_S:g}s")
        if frame is _CLOSED or (isinstance(frame, dict) and frame.get("op") == "exit"):
            detail = self._stderr_tail() or "no output"
            raise SandboxError(f"sandbox exited during start-up ({detail})")
        if isinstance(frame, dict) and frame.get("op") == "boot":
            return frame
        self._on_boot_frame(frame)  # a boot_error: raises
        raise SandboxError(f"sandbox start-up sent {str(frame)[:200]!r}, not 'boot'")

    def _handshake(self) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        boot = self._boot_message(deadline)
        self._boot_pid = int(boot["boot_pid"])
        self.init_pid = int(boot["init_pid"])
        try:  # both processes wait for our "go", so these pids cannot have been reused
            self._boot_fd = os.pidfd_open(self._boot_pid)
            if self.mode == "namespaces":
                self._init_fd = os.pidfd_open(self.init_pid)
        except OSError as exc:
            raise SandboxError(f"pidfd_open of the sandbox failed: {exc}") from None
        self._boot_deadline = deadline
        self.post({"op": "go"})  # the runner's "ready" is read by the first recv()

    def _on_boot_frame(self, frame: Any) -> None:
        """The first frame after "go": "ready" (the runner runs) or why the lock-down failed."""
        if isinstance(frame, dict) and frame.get("op") == "ready":
            self.uid = int(frame["uid"])
            self._ready = True
            return
        if isinstance(frame, dict) and frame.get("op") == "boot_error":
            stage, error = frame.get("stage"), frame.get("error")
            raise SandboxError(f"sandbox start-up failed ({stage}): {error}")
        raise SandboxError(f"sandbox start-up sent {str(frame)[:200]!r}, not 'ready'")

    # --- messages ---------------------------------------------------------------------------

    def post(self, message: Any) -> None:
        """Queue one message without waiting: it is written while `recv` waits, so a runner
        can work through several messages without a round trip each."""
        if not self._in_open:
            return  # the runner is gone; recv() reports how it ended
        self._outbox += _boot.encode_frame(message)
        self._push()

    def send(self, message: Any) -> None:
        """Send one message and wait until it is written; RunnerGone when nobody reads it."""
        if not self._in_open:
            raise RunnerGone("the sandbox closed its input")
        self.post(message)
        while self._outbox and self._in_open:
            for key, _ in self._selector.select(1.0):
                self._ready_fd(int(key.fd))
        if not self._in_open:
            raise RunnerGone("the sandbox closed its input")

    def _push(self) -> None:
        try:
            written = os.write(self._in, self._outbox[: 1 << 16])
        except BlockingIOError:
            written = 0
        except OSError:  # EPIPE: the runner no longer reads
            self._outbox.clear()
            self._in_open = False
            written = 0
        del self._outbox[:written]
        registered = self._in in self._selector.get_map()
        if self._outbox and not registered:
            self._selector.register(self._in, selectors.EVENT_WRITE)
        elif not self._outbox and registered:
            self._selector.unregister(self._in)

    def _ready_fd(self, fd: int) -> None:
        if fd == self._in:
            self._push()
        else:
            self._drain(fd)

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

    def _next_frame(self, deadline: float) -> Any:
        """The next raw frame, or _TIMED_OUT at the deadline, or _CLOSED at end of output."""
        while True:
            frame = self._frame()
            if frame is not _NO_FRAME:
                return frame
            if self._out not in self._selector.get_map():
                return _CLOSED
            left = deadline - time.monotonic()
            if left <= 0:
                return _TIMED_OUT
            for key, _ in self._selector.select(left):
                self._ready_fd(int(key.fd))

    def recv(self, timeout: float) -> Any:
        """The runner's next message within `timeout` seconds (see the exception classes).

        The clock starts once the runner is ready: time spent starting the sandbox is ours,
        bounded by BOOT_TIMEOUT_S, and a failed start raises SandboxError."""
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            frame = self._next_frame(deadline if self._ready else self._boot_deadline)
            gone = frame is _CLOSED or (isinstance(frame, dict) and frame.get("op") == "exit")
            if isinstance(frame, dict) and frame.get("op") == "exit":
                self.exit_status = int(frame.get("status", -1))
                self.cpu_seconds = float(frame.get("cpu", 0.0))
            if not self._ready:
                if frame is _TIMED_OUT:
                    raise SandboxError(f"sandbox did not start within {BOOT_TIMEOUT_S:g}s")
                if gone:
                    detail = self._stderr_tail() or f"status {self.exit_status}"
                    raise SandboxError(f"sandbox exited during start-up ({detail})")
                self._on_boot_frame(frame)
                deadline = time.monotonic() + max(timeout, 0.0)
                continue
            if frame is _TIMED_OUT:
                raise RunnerTimeout(f"no message within {timeout:.3g}s")
            if gone:
                raise RunnerGone(f"the sandbox exited (status {self.exit_status})")
            return frame

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
        if self._in in self._selector.get_map():
            self._selector.unregister(self._in)
        self._outbox.clear()
        self._in_open = False
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
            self.exit_status = int(found[-1][0])
            self.cpu_seconds = float(found[-1][1])
        self._selector.close()
        for fd in (self._out, self._err, self._boot_fd, self._init_fd):
            if fd is not None:
                os.close(fd)
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._info = ExitInfo(self.exit_status, self._stderr_tail(), self._killed, self.cpu_seconds)
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
_TIMED_OUT = object()
_CLOSED = object()
_TAIL_BYTES = 4096
# the boot process's last frame, as `_boot.encode_frame` writes it
_EXIT_FRAME = re.compile(rb'\{"op":"exit","status":(-?\d+),"cpu":([0-9.e-]+)\}')
