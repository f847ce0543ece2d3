"""Arrival times (sim/listen.py) and the precise-wait event loop (aioloop.py), over real sockets.

A raw socket client controls when each byte goes out, so the tests check the order of events
(the server's arrival stamp against the client's clock; both are CLOCK_MONOTONIC), not speed.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from aiohttp import web

from pytest_qnext.aioloop import PollClock, new_loop, poll_clock, run
from pytest_qnext.sim.listen import ARRIVED, stamp_arrival
from pytest_qnext.sim.runner import serve_app_in_thread

GAP = 0.2  # seconds between two parts of one request's bytes


async def _echo_arrival(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({"arrived": request[ARRIVED], "size": len(body)})


@pytest.fixture(params=["poll-clock loop", "default loop"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    """The stamping app served by `listen()` in a thread, on either kind of loop."""
    loop = new_loop() if request.param == "poll-clock loop" else asyncio.new_event_loop()
    app = web.Application(middlewares=[stamp_arrival])
    app.router.add_post("/t", _echo_arrival)
    app.router.add_get("/t", _echo_arrival)
    served = serve_app_in_thread(app, loop=loop)
    yield "127.0.0.1", served.port
    served.stop()


def _read_response(sock: socket.socket) -> dict[str, float]:
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


def _post_head(size: int) -> bytes:
    return (
        f"POST /t HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {size}\r\n\r\n"
    ).encode()


def test_arrival_is_the_first_bytes_not_the_last(server: tuple[str, int]) -> None:
    """A body sent in two parts GAP apart: the arrival is the first part's, and the stamp of
    the second part is not left over for the next request on the connection."""
    with socket.create_connection(server) as sock:
        before_first = time.monotonic()
        sock.sendall(_post_head(8) + b"1234")
        time.sleep(GAP)
        before_second = time.monotonic()
        sock.sendall(b"5678")
        first = _read_response(sock)
        assert first["size"] == 8
        assert before_first <= first["arrived"] < before_second

        before_get = time.monotonic()
        sock.sendall(b"GET /t HTTP/1.1\r\nHost: x\r\n\r\n")
        second = _read_response(sock)
        assert second["arrived"] >= before_get

        time.sleep(GAP / 4)
        before_post = time.monotonic()
        sock.sendall(_post_head(3) + b"abc")
        third = _read_response(sock)
        assert third["arrived"] >= before_post
        assert third["size"] == 3


def test_each_connection_keeps_its_own_arrival(server: tuple[str, int]) -> None:
    with socket.create_connection(server) as early, socket.create_connection(server) as late:
        before_early = time.monotonic()
        early.sendall(_post_head(2) + b"x")  # one byte of the body still missing
        time.sleep(GAP)
        before_late = time.monotonic()
        late.sendall(_post_head(1) + b"y")
        late_result = _read_response(late)
        early.sendall(b"z")
        early_result = _read_response(early)
    assert before_early <= early_result["arrived"] < before_late <= late_result["arrived"]


def test_poll_clock_loop_keeps_time_and_waits_its_timers() -> None:
    loop = new_loop()
    clock = poll_clock(loop)
    assert isinstance(clock, PollClock)
    plain = asyncio.new_event_loop()
    assert poll_clock(plain) is None
    plain.close()

    async def main() -> tuple[float, float]:
        start = loop.time()
        await asyncio.sleep(0.003)
        return start, loop.time()

    try:
        start, end = loop.run_until_complete(main())
    finally:
        loop.close()
    assert end - start >= 0.003  # a timer never fires before it is due
    assert start <= clock.last <= end + 1e-3


def test_run_uses_a_poll_clock_loop_and_closes_it() -> None:
    async def main() -> tuple[asyncio.AbstractEventLoop, bool]:
        loop = asyncio.get_running_loop()
        return loop, poll_clock(loop) is not None

    loop, on_poll_clock = run(main())
    assert on_poll_clock
    assert loop.is_closed()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl timer slack is Linux's")
def test_poll_clock_cuts_the_loop_threads_timer_slack() -> None:
    libc = ctypes.CDLL(None)
    seen: dict[str, int] = {}

    def main() -> None:
        libc.prctl(29, 50_000, 0, 0, 0)  # PR_SET_TIMERSLACK: the default (a thread inherits it)
        loop = new_loop()
        seen["before"] = libc.prctl(30, 0, 0, 0, 0)  # PR_GET_TIMERSLACK, in nanoseconds
        loop.run_until_complete(asyncio.sleep(0.001))
        seen["after"] = libc.prctl(30, 0, 0, 0, 0)
        loop.close()

    thread = threading.Thread(target=main)
    thread.start()
    thread.join(10)
    assert seen["before"] == 50_000
    assert seen["after"] == 1000
