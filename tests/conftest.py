"""Shared fixtures for the project's own tests.

The real benchmark data lives in `../shared/data` beside the checkout (override with the
QNEXT_SHARED_DATA env var). Tests that need it skip with a reason when it is absent; `.ci/run`
fails when it is absent so CI never skips them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Import the HTTP stacks and numpy before any pytester in-process run: pytester restores
# sys.modules after each inline run, and a library first imported inside one would be imported
# again afterwards (httpx then fails to map httpcore's errors with new exception classes; numpy
# refuses outright). The plugin itself imports none of them until a run asks for qnext.
import httpcore  # noqa: F401
import httpx
import numpy  # noqa: F401  (cannot be imported twice in one process: import it before any run)
import pytest
from aiohttp import web

import pytest_qnext.client
import pytest_qnext.perf.sender
import pytest_qnext.sim  # noqa: F401
from pytest_qnext.aioloop import new_loop
from pytest_qnext.sim.listen import ARRIVED, stamp_arrival
from pytest_qnext.sim.runner import serve_app_in_thread

httpx.Client().close()  # builds httpx's transport and exception map now

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    return Path(os.environ.get("QNEXT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")).resolve()


@pytest.fixture(autouse=True)
def _inner_pytest_is_no_xdist_worker(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pytester run is a session of its own: under an outer `-n 2` it must not read the
    worker's PYTEST_XDIST_* variables (pytest-benchmark disables itself when it sees them)."""
    if "pytester" in request.fixturenames:
        for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data (real benchmark files, tokenizer, graded responses)."""
    path = shared_data_dir()
    if not (path / "README.md").is_file():
        pytest.skip(f"shared benchmark data not found at {path} (set QNEXT_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def qwen3_tokenizer_path(shared_data: Path) -> Path:
    return shared_data / "tokenizer" / "qwen3"


@pytest.fixture(scope="session")
def nltk_data_path(shared_data: Path) -> Path:
    return shared_data / "nltk_data"


class SeedShape:
    """The seed's perf request shape (the Qwen3-Next best practice): 1024-token random prompts,
    256 output tokens with ignore_eos, the real Qwen3 tokenizer in the prompt builder."""

    def __init__(self, tokenizer: Path) -> None:
        from pytest_qnext.perf.options import PerfSettings
        from pytest_qnext.perf.prompts import load_perf_tokenizer

        self.tokenizer = str(tokenizer)
        self.settings = PerfSettings(
            min_prompt_length=1024,
            max_prompt_length=1024,
            min_tokens=256,
            max_tokens=256,
            tokenizer=self.tokenizer,
            extra_args={"ignore_eos": True},
        )
        self.counter, self._hf = load_perf_tokenizer(self.tokenizer)

    def requests(self, n: int) -> list[Any]:
        from pytest_qnext.perf.prompts import PromptBuilder

        return list(PromptBuilder(self.settings, "chat", self.counter, self._hf).build(n))


@pytest.fixture(scope="session")
def seed_shape(qwen3_tokenizer_path: Path) -> SeedShape:
    """`SeedShape` with the Qwen3 tokenizer from the shared data: `.requests(n)`, `.counter`,
    `.tokenizer` (its path, for the simulator's spec)."""
    return SeedShape(qwen3_tokenizer_path)


# What differs between two runs of one scenario: keys holding times, durations and paths, and
# the port a run's server got (it appears in error texts such as "HTTP 500 from http://...").
_VOLATILE_KEYS = {"latency", "duration", "elapsed", "timestamp", "time", "date", "path", "dir"}
_VOLATILE_SUFFIXES = ("_time", "_at", "_s", "_ms", "_seconds", "_duration", "_path", "_dir")
_LOOPBACK_PORT = re.compile(r"(127\.0\.0\.1|\[::1\]|localhost):\d+")


def comparable(value: Any) -> Any:
    """`value` (a summary.json document, a samples.jsonl row, ...) without its times,
    durations, paths and loopback ports, at any depth: what two runs of one scenario must
    agree on."""
    if isinstance(value, dict):
        return {
            key: comparable(item)
            for key, item in value.items()
            if key not in _VOLATILE_KEYS and not key.endswith(_VOLATILE_SUFFIXES)
        }
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, str):
        return _LOOPBACK_PORT.sub(r"\1:PORT", value)
    return value


@pytest.fixture(scope="session")
def comparable_report() -> Callable[[Path], dict[str, Any]]:
    """`comparable_report(report_dir)`: {"summary": summary.json, "samples": samples.jsonl rows}
    through `comparable`, for comparing a plain run with a `-n 2` run as a whole. `report_dir`:
    a run folder, or a report root (its `latest` run folder)."""

    def load(report_dir: Path) -> dict[str, Any]:
        if (report_dir / "latest").is_dir():
            report_dir = report_dir / "latest"
        summary = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
        assert isinstance(summary, dict) and summary.get("table"), f"{report_dir}: no table"
        lines = (report_dir / "samples.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        return {"summary": comparable(summary), "samples": comparable(rows)}

    return load


@pytest.fixture
def closed_port() -> int:
    """A loopback TCP port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class ArrivalProbe:
    """The simulator's arrival stamping (sim/listen.py) on a loopback port, answering every
    request to /t with `{"arrived": <its stamp>, "size": <body bytes>}`, and the helpers of a
    raw-socket client that decides when each byte goes out."""

    def __init__(self, port: int) -> None:
        self.address = ("127.0.0.1", port)

    @staticmethod
    def post_head(size: int) -> bytes:
        return (
            f"POST /t HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {size}\r\n\r\n"
        ).encode()

    @staticmethod
    def read(sock: socket.socket) -> dict[str, float]:
        """One whole response's JSON body."""
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(rest) < length:
            rest += sock.recv(65536)
        result: dict[str, float] = json.loads(rest[:length])
        return result


async def _echo_arrival(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({"arrived": request[ARRIVED], "size": len(body)})


@pytest.fixture(params=["poll-clock loop", "default loop"])
def arrival_probe(request: pytest.FixtureRequest) -> Iterator[ArrivalProbe]:
    """The stamping app served by `listen()` in a thread, on either kind of loop."""
    loop = new_loop() if request.param == "poll-clock loop" else asyncio.new_event_loop()
    app = web.Application(middlewares=[stamp_arrival])
    app.router.add_post("/t", _echo_arrival)
    app.router.add_get("/t", _echo_arrival)
    served = serve_app_in_thread(app, loop=loop)
    yield ArrivalProbe(served.port)
    served.stop()
