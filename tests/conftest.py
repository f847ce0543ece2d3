"""Shared fixtures for the project's own tests.

The real benchmark data lives in `../shared/data` beside the checkout (override with the
QNEXT_SHARED_DATA env var). Tests that need it skip with a reason when it is absent; `.ci/run`
fails when it is absent so CI never skips them.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

# Import the HTTP stacks before any pytester in-process run: pytester restores sys.modules after
# each inline run, and a library first imported inside one would be imported again afterwards
# with new exception classes (httpx then fails to map httpcore's errors in later tests).
import httpcore  # noqa: F401
import httpx
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
