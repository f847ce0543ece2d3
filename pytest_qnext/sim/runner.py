"""Start and stop a simulator: in a daemon thread (fast, for unit tests) or in a subprocess
(its own GIL, for anything timed).

    with run_in_thread(SimConfig(itl=0.0)) as sim:
        httpx.post(sim.url + "/chat/completions", json=...)
        sim.stats()["completed"]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from aiohttp import web

from pytest_qnext.aioloop import new_loop
from pytest_qnext.sim.app import create_app
from pytest_qnext.sim.config import SimConfig, config_to_argv
from pytest_qnext.sim.listen import Listener, listen
from pytest_qnext.sim.policy import OracleEntry

__all__ = [
    "API_KEY_ENV",
    "PARENT_ENV",
    "SimServer",
    "SimStartError",
    "run_in_process",
    "run_in_thread",
    "serve_app_in_thread",
]

API_KEY_ENV = "QNEXT_SIM_API_KEY"  # the subprocess reads its API key here, never from argv
PARENT_ENV = "QNEXT_SIM_PARENT_PID"  # the subprocess exits when this process is gone
_READY = re.compile(r"serving on (http://\S+/v1)")


class SimStartError(RuntimeError):
    """The simulator did not start; the message says why in one line."""


class SimServer:
    """A running simulator: `.url` (`http://127.0.0.1:PORT/v1`), `.stats()`, `.stop()`."""

    def __init__(
        self, url: str, stopper: Any, process: subprocess.Popen[str] | None = None
    ) -> None:
        self.url = url
        self.process = process  # the subprocess of run_in_process, else None
        self._stopper = stopper
        self._stopped = False

    @property
    def base(self) -> str:
        """The URL without `/v1` (for /health and /sim/*)."""
        return self.url[: -len("/v1")]

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def _call(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            self.base + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def stats(self) -> dict[str, Any]:
        """GET /sim/stats."""
        result: dict[str, Any] = self._call("GET", "/sim/stats")
        return result

    def requests(self) -> list[Any]:
        """GET /sim/requests: the last request bodies received, oldest first."""
        result: list[Any] = self._call("GET", "/sim/requests")["bodies"]
        return result

    def reset(self) -> None:
        """POST /sim/reset: zero the counters and the per-prompt attempt numbers."""
        self._call("POST", "/sim/reset")

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._stopper()

    def __enter__(self) -> SimServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_app_in_thread(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    loop: asyncio.AbstractEventLoop | None = None,
) -> SimServer:
    """Serve `app` with `listen()` on its own event loop (default: `aioloop.new_loop()`) in a
    daemon thread; `.stop()` the returned server."""
    loop = loop if loop is not None else new_loop()
    started = threading.Event()
    box: dict[str, Any] = {}

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            box["listener"] = loop.run_until_complete(listen(app, host, port))
        except BaseException as exc:  # report to the starting thread
            box["error"] = exc
            started.set()
            loop.close()
            return
        started.set()
        loop.run_forever()
        loop.run_until_complete(box["listener"].close())
        loop.close()

    thread = threading.Thread(target=main, name="qnext-sim", daemon=True)
    thread.start()
    started.wait(timeout=60)
    if "error" in box:
        raise SimStartError(f"simulator failed to start on {host}:{port}: {box['error']}")
    if "listener" not in box:
        raise SimStartError("simulator did not start within 60 s")
    listener: Listener = box["listener"]

    def stopper() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)

    return SimServer(f"http://{listener.host}:{listener.port}/v1", stopper)


@contextlib.contextmanager
def run_in_thread(
    config: SimConfig | None = None,
    oracle: Mapping[str, OracleEntry | Mapping[str, Any]] | None = None,
) -> Iterator[SimServer]:
    """A simulator on its own event loop in a daemon thread; stopped on exit."""
    config = config or SimConfig()
    app = create_app(config, oracle=oracle)  # raise config/oracle errors in the caller
    server = serve_app_in_thread(app, config.host, config.port)
    try:
        yield server
    finally:
        server.stop()


def _kill_group(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _read_ready_line(proc: subprocess.Popen[str], timeout: float, errors: IO[str]) -> str:
    """The URL from the 'serving on ...' line, or SimStartError with the child's last words."""
    assert proc.stdout is not None
    found: dict[str, str] = {}
    lines: list[str] = []

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            match = _READY.search(line)
            if match:
                found["url"] = match.group(1)
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(timeout)
    if "url" in found:
        return found["url"]
    _kill_group(proc)
    errors.seek(0)
    stderr = errors.read()
    last = (stderr.strip().splitlines() or lines or ["no output"])[-1]
    raise SimStartError(
        f"simulator subprocess did not report its port within {timeout:g} s: {last}"
    )


@contextlib.contextmanager
def run_in_process(
    config: SimConfig | None = None,
    oracle_file: str | Path | None = None,
    *,
    start_timeout: float = 60.0,
) -> Iterator[SimServer]:
    """`python -m pytest_qnext.sim` in its own process group; killed (group) on exit."""
    config = config or SimConfig()
    argv = [sys.executable, "-m", "pytest_qnext.sim", *config_to_argv(config, skip=("api_key",))]
    if oracle_file is not None:
        argv += ["--oracle", str(oracle_file)]
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env[PARENT_ENV] = str(os.getpid())
    env.setdefault("HF_HUB_OFFLINE", "1")  # a hub-id tokenizer comes from the cache, at once
    if config.api_key:
        env[API_KEY_ENV] = config.api_key
    errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=errors,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        url = _read_ready_line(proc, start_timeout, errors)
        yield SimServer(url, lambda: _kill_group(proc), proc)
    finally:
        _kill_group(proc)
        for stream in (proc.stdout, errors):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()
