"""`--qnext-serve COMMAND`: start a server command, wait for /health, stop it at the end.

The command runs in its own process group with its output in a log file; stopping sends SIGTERM
to the group, waits, then SIGKILL. A failed start raises ServeError whose message ends with the
last lines of the log. The log is kept only when something went wrong (a failed start, or a
server that exited by itself before we stopped it: `note` then names the log); a server that
ran and was stopped normally leaves nothing behind.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

__all__ = ["ManagedServer", "ServeError", "url_from_command"]

LOG_TAIL_LINES = 20


class ServeError(Exception):
    """The managed server did not come up; the message says why and shows its log's tail."""


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError as exc:
        raise ServeError(f"--qnext-serve: cannot parse the command ({exc})") from None


def url_from_command(command: str) -> str:
    """The base URL a vLLM-style command will listen on (its --host/--port; vLLM's defaults);
    ServeError (one line) when the command cannot be parsed."""
    args = _split(command)
    host, port = "127.0.0.1", "8000"
    for i, arg in enumerate(args):
        for flag in ("--host", "--port"):
            value = None
            if arg == flag and i + 1 < len(args):
                value = args[i + 1]
            elif arg.startswith(flag + "="):
                value = arg.split("=", 1)[1]
            if value is not None:
                if flag == "--host":
                    host = value
                else:
                    port = value
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}/v1"


class ManagedServer:
    """A server process we own. Use as a context manager or call start()/stop()."""

    def __init__(self, command: str, base_url: str, *, timeout: float = 900.0) -> None:
        self.command = command
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None  # the server's output, from start() on
        self.note: str | None = None  # set when the server exited by itself (log kept)
        self._keep_log = False

    @property
    def health_url(self) -> str:
        root = self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url
        return root + "/health"

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        if self.log_path is None:
            return ""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _fail(self, what: str) -> ServeError:
        tail = self.log_tail()
        self._keep_log = True
        self.stop()
        shown = f"\n--- last lines of {self.log_path} ---\n{tail}" if tail else ""
        return ServeError(f"--qnext-serve: {what}{shown}")

    def start(self) -> None:
        args = _split(self.command)
        if not args:
            raise ServeError("--qnext-serve: the command is empty")
        fd, name = tempfile.mkstemp(prefix="qnext-serve-", suffix=".log")
        self.log_path = log_path = Path(name)
        with os.fdopen(fd, "wb") as log:
            try:
                self.process = subprocess.Popen(
                    args,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except OSError as exc:
                log_path.unlink(missing_ok=True)
                raise ServeError(
                    f"--qnext-serve: cannot start {args[0]!r} ({exc.strerror})"
                ) from None
        deadline = time.monotonic() + self.timeout
        with httpx.Client(timeout=5.0) as client:
            while time.monotonic() < deadline:
                code = self.process.poll()
                if code is not None:
                    raise self._fail(f"the server exited with status {code} before it was healthy")
                try:
                    if client.get(self.health_url).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
        raise self._fail(
            f"{self.health_url} not healthy after {self.timeout:g}s "
            "(raise --qnext-serve-timeout for slow model loads)"
        )

    def stop(self, grace: float = 15.0) -> None:
        """Stop the server's process group; remove the log unless something went wrong."""
        process, self.process = self.process, None
        code = None if process is None else process.poll()
        if process is not None and code is None:
            self._terminate(process, grace)
        elif code is not None and not self._keep_log:
            self._keep_log = True
            self.note = (
                f"--qnext-serve: the server exited by itself (status {code}) before the end of "
                f"the run; its log is kept at {self.log_path}"
            )
        if process is not None and self.log_path is not None and not self._keep_log:
            self.log_path.unlink(missing_ok=True)

    @staticmethod
    def _terminate(process: subprocess.Popen[bytes], grace: float) -> None:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> ManagedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
