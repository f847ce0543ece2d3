"""Arrival times (sim/listen.py) and the precise-wait event loop (aioloop.py), over real sockets.

A raw socket client controls when each byte goes out, so the tests check the order of events
(the server's arrival stamp against the client's clock; both are CLOCK_MONOTONIC), not speed:
a stamp is never earlier than the bytes it stamps. That a stamp is the first bytes' and not
the last ones', and each connection's own, needs the server to see the first part before the
client sends more; that is checked in tests/timing/test_timing_listen.py.
"""

from __future__ import annotations

import asyncio
import ctypes
import socket
import sys
import threading
import time
from typing import Any

import pytest

from pytest_qnext.aioloop import PollClock, new_loop, poll_clock, run

GAP = 0.2  # seconds between two parts of one request's bytes


def test_no_stamp_is_left_over_for_the_next_request(arrival_probe: Any) -> None:
    """A body sent in two parts: the stamp taken for its second part is not left over for the
    next request on the connection, whose arrival is after its own bytes went out.
    (`arrival_probe`: tests/conftest.py.)"""
    with socket.create_connection(arrival_probe.address) as sock:
        before_first = time.monotonic()
        sock.sendall(arrival_probe.post_head(8) + b"1234")
        time.sleep(GAP)
        sock.sendall(b"5678")
        first = arrival_probe.read(sock)
        assert first["size"] == 8
        assert before_first <= first["arrived"]

        before_get = time.monotonic()
        sock.sendall(b"GET /t HTTP/1.1\r\nHost: x\r\n\r\n")
        second = arrival_probe.read(sock)
        assert second["arrived"] >= before_get

        time.sleep(GAP / 4)
        before_post = time.monotonic()
        sock.sendall(arrival_probe.post_head(3) + b"abc")
        third = arrival_probe.read(sock)
        assert third["arrived"] >= before_post
        assert third["size"] == 3


def test_poll_clock_loop_keeps_the_time_of_its_last_poll() -> None:
    """The wake-up from a sleep is a poll: its time lies between the sleep's start and the
    next reading of the loop's clock. (That timers never fire early:
    tests/timing/test_timing_listen.py.)"""
    loop = new_loop()
    clock = poll_clock(loop)
    assert isinstance(clock, PollClock)
    plain = asyncio.new_event_loop()
    assert poll_clock(plain) is None
    plain.close()

    async def main() -> tuple[float, float, float]:
        start = loop.time()
        await asyncio.sleep(0.003)
        return start, clock.last, loop.time()

    try:
        start, polled, end = loop.run_until_complete(main())
    finally:
        loop.close()
    assert start <= polled <= end


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
