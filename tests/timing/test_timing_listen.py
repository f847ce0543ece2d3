"""Arrival stamps (sim/listen.py) and the precise-wait loop (aioloop.py) against the clock.

A raw socket client sends the parts of a request GAP apart; these checks need the server to
have seen the first part before the second goes out, i.e. to poll within GAP. (The order-only
checks are in tests/unit/sim/test_sim_listen.py; `arrival_probe` is in tests/conftest.py.)
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from pytest_qnext.aioloop import new_loop

GAP = 0.2  # seconds between two parts of one request's bytes

pytestmark = pytest.mark.timing


def test_arrival_is_the_first_bytes_not_the_last(arrival_probe: Any) -> None:
    with socket.create_connection(arrival_probe.address) as sock:
        before_first = time.monotonic()
        sock.sendall(arrival_probe.post_head(8) + b"1234")
        time.sleep(GAP)
        before_second = time.monotonic()
        sock.sendall(b"5678")
        first = arrival_probe.read(sock)
    print(f"\narrival stamp {(first['arrived'] - before_first) * 1e3:.2f} ms after the first part")
    assert first["size"] == 8
    assert before_first <= first["arrived"] < before_second


def test_each_connection_keeps_its_own_arrival(arrival_probe: Any) -> None:
    with (
        socket.create_connection(arrival_probe.address) as early,
        socket.create_connection(arrival_probe.address) as late,
    ):
        before_early = time.monotonic()
        early.sendall(arrival_probe.post_head(2) + b"x")  # one byte of the body still missing
        time.sleep(GAP)
        before_late = time.monotonic()
        late.sendall(arrival_probe.post_head(1) + b"y")
        late_result = arrival_probe.read(late)
        early.sendall(b"z")
        early_result = arrival_probe.read(early)
    assert before_early <= early_result["arrived"] < before_late <= late_result["arrived"]


def test_poll_clock_timers_never_fire_early() -> None:
    loop = new_loop()

    async def main() -> list[float]:
        waits = []
        for delay in (0.001, 0.003, 0.0005):
            start = loop.time()
            await asyncio.sleep(delay)
            waits.append(loop.time() - start - delay)
        return waits

    try:
        late_by = loop.run_until_complete(main())
    finally:
        loop.close()
    print("\nsleeps late by (ms):", [round(x * 1e3, 3) for x in late_by])
    # asyncio runs a timer within the clock's resolution of its time (1 ns for monotonic)
    assert min(late_by) >= -1e-6
