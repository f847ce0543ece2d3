"""The load generator: closed loop at a fixed concurrency, or open-loop Poisson arrivals.

`run_point(...)` runs warmup requests (left out of the metrics), then the measured requests,
in a fresh event loop, and returns a `PointRun`: one `PerfRecord` per request plus the window
bounds and the event-loop lag samples. Every request body is built and encoded before the
window opens (`StreamSender.payload`: the one request builder). Nothing but sending, awaiting
and appending happens on the loop while requests are in flight: statistics are computed
afterwards (metrics.py), and streams are decoded after the window
(`StreamSender.decode_pending`). Python's cyclic garbage collector is paused during the
measurement window: in a pytest process holding a tokenizer and benchmark data, one full
collection stops the loop for tens of milliseconds, which would show up as TTFT/ITL outliers
(a full collection runs just before the window; collection resumes after it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pytest_qnext import aioloop
from pytest_qnext.client import RequestRecord
from pytest_qnext.options import default
from pytest_qnext.perf.prompts import PerfRequest
from pytest_qnext.perf.sender import StreamSender

__all__ = ["LAG_PROBE_INTERVAL", "PerfRecord", "PointRun", "Target", "run_point"]

LAG_PROBE_INTERVAL = 0.005  # seconds between event-loop lag samples


@dataclass(frozen=True)
class Target:
    """Where and how to send: plain values (the client is created inside the run's loop)."""

    urls: tuple[str, ...]
    model: str
    api: str = "chat"
    api_key: str | None = field(default=None, repr=False)
    timeout: float = default("--qnext-timeout")  # timed requests are never retried (sender.py)


@dataclass
class PerfRecord:
    """One request of a sweep point: what was sent, what came back, when it was meant to go."""

    request: PerfRequest
    record: RequestRecord
    warmup: bool = False
    intended_time: float | None = None  # open loop: the scheduled send time (perf_counter)


@dataclass
class PointRun:
    """Everything measured for one sweep point (one round)."""

    parallel: int
    number: int
    rate: float | None
    records: list[PerfRecord]  # measured requests only, in completion order
    warmup_records: list[PerfRecord]
    window_start: float
    window_end: float
    loop_lags: list[float]

    @property
    def duration(self) -> float:
        return max(self.window_end - self.window_start, 1e-9)


Prepared = tuple[PerfRequest, bytes]  # a request and its encoded body


def _prepare(client: StreamSender, requests: Sequence[PerfRequest]) -> list[Prepared]:
    """Every request's body, built and encoded (before the measurement window)."""
    return [
        (r, client.payload(messages=r.messages, prompt=r.prompt, gen_config=r.gen_config))
        for r in requests
    ]


async def _send(client: StreamSender, payload: bytes) -> RequestRecord:
    return await client.send(payload, defer_decode=True)


async def _closed_loop(
    client: StreamSender,
    requests: Sequence[Prepared],
    parallel: int,
    out: list[PerfRecord],
    warmup: bool,
) -> None:
    pending = iter(requests)

    async def worker() -> None:
        for req, payload in pending:  # a shared iterator: each worker takes the next request
            rec = await _send(client, payload)
            out.append(PerfRecord(req, rec, warmup))

    await asyncio.gather(*(worker() for _ in range(max(1, min(parallel, len(requests))))))


async def _open_loop(
    client: StreamSender,
    requests: Sequence[Prepared],
    parallel: int,
    rate: float,
    rng: random.Random,
    out: list[PerfRecord],
) -> None:
    """Poisson arrivals at `rate`/s; at most `parallel` in flight (later ones wait, and the
    record keeps both the intended and the actual send time)."""
    gate = asyncio.Semaphore(parallel)
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []

    async def one(req: PerfRequest, payload: bytes, intended: float) -> None:
        async with gate:
            rec = await _send(client, payload)
        out.append(PerfRecord(req, rec, False, intended))

    due = time.perf_counter()
    for req, payload in requests:
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(loop.create_task(one(req, payload, due)))
        due += rng.expovariate(rate)
    await asyncio.gather(*tasks)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (restores the previous state)."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def _lag_probe(samples: list[float], stop: asyncio.Event) -> None:
    perf = time.perf_counter
    while not stop.is_set():
        before = perf()
        await asyncio.sleep(LAG_PROBE_INTERVAL)
        samples.append(perf() - before - LAG_PROBE_INTERVAL)


async def _run(
    target: Target,
    requests: Sequence[PerfRequest],
    warmup: Sequence[PerfRequest],
    parallel: int,
    rate: float | None,
    seed: int,
) -> PointRun:
    async with StreamSender(
        target.urls,
        model=target.model,
        api=target.api,
        api_key=target.api_key,
        timeout=target.timeout,
        max_connections=max(parallel, 1),
    ) as client:
        warm: list[PerfRecord] = []
        if warmup:
            await _closed_loop(client, _prepare(client, warmup), parallel, warm, True)
            client.decode_pending()
        prepared = _prepare(client, requests)
        measured: list[PerfRecord] = []
        lags: list[float] = []
        stop = asyncio.Event()
        probe = asyncio.get_running_loop().create_task(_lag_probe(lags, stop))
        with _gc_paused():
            start = time.perf_counter()
            try:
                if rate is None:
                    await _closed_loop(client, prepared, parallel, measured, False)
                else:
                    rng = random.Random(seed)
                    await _open_loop(client, prepared, parallel, rate, rng, measured)
            finally:
                stop.set()
                await probe
        client.decode_pending()
        ends = [r.record.end_time for r in measured if r.record.end_time]
        end = max(ends) if ends else time.perf_counter()
        return PointRun(
            parallel=parallel,
            number=len(requests),
            rate=rate,
            records=measured,
            warmup_records=warm,
            window_start=start,
            window_end=end,
            loop_lags=lags,
        )


def run_point(
    target: Target,
    requests: Sequence[PerfRequest],
    *,
    parallel: int,
    warmup: Sequence[PerfRequest] = (),
    rate: float | None = None,
    seed: int = 0,
) -> PointRun:
    """Run one sweep point in a fresh event loop (blocking) and return what was measured.

    The loop waits with microsecond precision (aioloop.py): open-loop arrivals go out when they
    are due, and the lag probe does not read epoll's millisecond rounding as loop lag."""
    return aioloop.run(_run(target, requests, warmup, parallel, rate, seed))
