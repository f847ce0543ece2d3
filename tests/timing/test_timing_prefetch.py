"""How fast the prefetchers stop while requests are in flight.

(That stopping cancels what is in flight and tells waiters why: tests/unit/capability/.)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from pytest_qnext.capability.cache import Answer
from pytest_qnext.capability.prefetch import Fetch, Job, Prefetcher
from pytest_qnext.capability.prefetch_process import ClientSpec, ProcessPrefetcher
from pytest_qnext.client.body import build_body
from pytest_qnext.sim import parse_spec, run_in_process

pytestmark = pytest.mark.timing


def _jobs(n: int) -> list[Job]:
    jobs = []
    for i in range(n):
        messages = [{"role": "user", "content": f"q{i}"}]
        gen = {"max_tokens": 4}
        body = build_body("chat", "qnext-sim", messages=messages, gen_config=gen, stream=True)
        jobs.append(Job(f"d/{i}", f"key{i}", "d", str(i), 0, body))
    return jobs


@contextlib.asynccontextmanager
async def _hanging() -> AsyncIterator[Fetch]:
    async def fetch(job: Job) -> Answer:
        await asyncio.sleep(30)
        return Answer(content="too late")

    yield fetch


def _stop_after(prefetcher: Prefetcher | ProcessPrefetcher, running: float) -> float:
    """Start, let it work `running` seconds, stop: the seconds stop() took."""
    prefetcher.start()
    time.sleep(running)
    started = time.monotonic()
    prefetcher.stop()
    return time.monotonic() - started


def test_thread_prefetcher_stops_within_seconds_with_fetches_hanging() -> None:
    took = _stop_after(Prefetcher(_jobs(8), _hanging, batch_size=2), 0.2)
    print(f"\nstop() took {took * 1e3:.1f} ms with 2 fetches of 30 s in flight")
    assert took < 5.0


def test_process_prefetcher_stops_within_seconds() -> None:
    with run_in_process(parse_spec('policy=fixed,text="ANSWER: C",ttft=0.05')) as sim:
        spec = ClientSpec(urls=(sim.url,), api="chat", timeout=60.0, retries=0, max_connections=2)
        took = _stop_after(ProcessPrefetcher(_jobs(200), spec, batch_size=2), 0.5)
    print(f"\nstop() took {took * 1e3:.1f} ms with requests in flight")
    assert took < 10
