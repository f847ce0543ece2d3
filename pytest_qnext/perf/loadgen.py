"""The load generator: a closed loop at a fixed concurrency, or an open loop on a planned
arrival schedule (rate with gamma gaps, or a trace's recorded times).

`run_point(target, jobs, LoadPlan(...))` runs warmup jobs (left out of the metrics), then the
measured jobs, in a fresh event loop, and returns a `PointRun`: one `PerfRecord` per request,
the window bounds, the event-loop lag samples and (when the server has one) the raw Prometheus
scrapes of the point. A job is one prepared request, or a `Conversation` whose turns go in
order on one stream (multi_turn: each turn resends the history with the model's real replies,
so a turn's reply is decoded as soon as it ends; single requests are decoded after the window).

Every single-request body is built and encoded before the window opens (`StreamSender.payload`:
the one request builder). Nothing but sending, awaiting and appending happens on the loop while
requests are in flight: statistics are computed afterwards (metrics.py). Python's cyclic garbage
collector is paused during the window (a full collection in a pytest process holding a tokenizer
stops the loop for tens of milliseconds; one runs just before the window).

`LoadPlan.duration`: no job starts after that many seconds from the window's start; the requests
(and conversations) in flight finish and count, and the window ends with the last of them.
`start_at` (a `time.perf_counter()` value) lets several sender processes share one start: on
Linux perf_counter is CLOCK_MONOTONIC, one clock for every process of the machine (workers.py).
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
from pytest_qnext.perf.arrivals import arrival_offsets
from pytest_qnext.perf.prompts import PerfRequest
from pytest_qnext.perf.sender import StreamSender
from pytest_qnext.perf.telemetry import Scrape, Scraper
from pytest_qnext.perf.workloads import Conversation

__all__ = [
    "LAG_PROBE_INTERVAL",
    "Job",
    "LoadPlan",
    "PerfRecord",
    "PointRun",
    "Target",
    "run_jobs",
    "run_point",
]

LAG_PROBE_INTERVAL = 0.005  # seconds between event-loop lag samples

Job = PerfRequest | Conversation


@dataclass(frozen=True)
class Target:
    """Where and how to send: plain values (the client is created inside the run's loop)."""

    urls: tuple[str, ...]
    model: str
    api: str = "chat"
    api_key: str | None = field(default=None, repr=False)
    timeout: float = default("--qnext-timeout")  # timed requests are never retried (sender.py)
    metrics_url: str | None = None  # Prometheus /metrics of the server (None: not scraped)
    metrics_interval: float = default("--qnext-metrics-interval")


@dataclass(frozen=True)
class LoadPlan:
    """How a point's jobs are sent. `offsets`: open loop, the planned send time of each job in
    seconds from the start (None: closed loop, `parallel` always in flight)."""

    parallel: int
    offsets: Sequence[float] | None = None
    duration: float | None = None
    rate: float | None = None  # for the record (the offsets already follow it)


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
    scrapes: list[Scrape] = field(default_factory=list)
    jobs_sent: int = 0  # jobs started (below `number` when --qnext-duration ended the point)
    workers: int = 1
    client_cpu_s: float = 0.0  # CPU seconds of every sender over the window (start-up excluded)

    @property
    def duration(self) -> float:
        return max(self.window_end - self.window_start, 1e-9)


Prepared = tuple[PerfRequest, bytes] | Conversation


def _prepare(client: StreamSender, jobs: Sequence[Job]) -> list[Prepared]:
    """Every single request's body, built and encoded (before the measurement window)."""
    out: list[Prepared] = []
    for job in jobs:
        if isinstance(job, Conversation):
            out.append(job)
        else:
            body = client.payload(
                messages=job.messages, prompt=job.prompt, gen_config=job.gen_config
            )
            out.append((job, body))
    return out


async def _run_job(
    client: StreamSender,
    job: Prepared,
    out: list[PerfRecord],
    warmup: bool,
    intended: float | None = None,
) -> None:
    if not isinstance(job, Conversation):
        req, payload = job
        rec = await client.send(payload, defer_decode=True)
        out.append(PerfRecord(req, rec, warmup, intended))
        return
    history: list[dict[str, str]] = []
    for turn, req in enumerate(job.requests()):
        messages = [*history, *(req.messages or [])]
        sent = PerfRequest(
            index=req.index,
            gen_config=req.gen_config,
            expected_prompt_tokens=None,  # counted after the window (metrics need history)
            expected_completion_tokens=req.expected_completion_tokens,
            min_completion_tokens=req.min_completion_tokens,
            max_completion_tokens=req.max_completion_tokens,
            messages=messages,
            conversation=job.index,
            turn=turn,
        )
        payload = client.payload(messages=messages, gen_config=req.gen_config)
        rec = await client.send(payload)  # decoded now: the next turn carries the reply
        out.append(PerfRecord(sent, rec, warmup, intended if turn == 0 else None))
        if not rec.ok:
            return
        history = [*messages, {"role": "assistant", "content": rec.content}]


async def _closed_loop(
    client: StreamSender,
    jobs: Sequence[Prepared],
    parallel: int,
    out: list[PerfRecord],
    warmup: bool,
    stop_at: float | None = None,
) -> int:
    pending = iter(jobs)
    started = 0

    async def worker() -> None:
        nonlocal started
        for job in pending:  # a shared iterator: each worker takes the next job
            if stop_at is not None and time.perf_counter() >= stop_at:
                return
            started += 1
            await _run_job(client, job, out, warmup)

    await asyncio.gather(*(worker() for _ in range(max(1, min(parallel, len(jobs))))))
    return started


async def _open_loop(
    client: StreamSender,
    jobs: Sequence[Prepared],
    parallel: int,
    due: Sequence[float],
    out: list[PerfRecord],
    stop_at: float | None = None,
) -> int:
    """Each job goes at its due time (perf_counter); at most `parallel` in flight (later ones
    wait, and the record keeps both the intended and the actual send time)."""
    gate = asyncio.Semaphore(parallel)
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []

    async def one(job: Prepared, intended: float) -> None:
        async with gate:
            await _run_job(client, job, out, False, intended)

    for job, when in zip(jobs, due, strict=False):
        if stop_at is not None and when >= stop_at:
            break
        wait = when - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(loop.create_task(one(job, when)))
    await asyncio.gather(*tasks)
    return len(tasks)


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


@dataclass
class SenderResult:
    """What one sender (this process, or one worker process) measured."""

    records: list[PerfRecord]
    warmup_records: list[PerfRecord]
    start: float
    loop_lags: list[float]
    started: int
    cpu_s: float = 0.0  # this sender's CPU seconds from its window's start to its records


async def run_jobs(
    target: Target,
    jobs: Sequence[Job],
    plan: LoadPlan,
    warmup: Sequence[Job] = (),
    start_at: float | None = None,
    ready: asyncio.Future[None] | None = None,
    go: asyncio.Future[float | None] | None = None,
) -> SenderResult:
    """Send `jobs` as `plan` says (inside a running loop). `ready` is set once warmup is done
    and every body built; the window then starts at `start_at` or at the time `go` resolves
    to (perf_counter), else at once."""
    async with StreamSender(
        target.urls,
        model=target.model,
        api=target.api,
        api_key=target.api_key,
        timeout=target.timeout,
        max_connections=max(plan.parallel, 1),
    ) as client:
        warm: list[PerfRecord] = []
        if warmup:
            await _closed_loop(client, _prepare(client, warmup), plan.parallel, warm, True)
            client.decode_pending()
        prepared = _prepare(client, jobs)
        if ready is not None:
            ready.set_result(None)
        if go is not None:
            start_at = await go
        if start_at is not None:
            while (wait := start_at - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
        measured: list[PerfRecord] = []
        lags: list[float] = []
        stop = asyncio.Event()
        probe = asyncio.get_running_loop().create_task(_lag_probe(lags, stop))
        cpu = time.process_time()
        with _gc_paused():
            start = time.perf_counter() if start_at is None else start_at
            stop_at = None if plan.duration is None else start + plan.duration
            try:
                if plan.offsets is None:
                    started = await _closed_loop(
                        client, prepared, plan.parallel, measured, False, stop_at
                    )
                else:
                    due = [start + offset for offset in plan.offsets]
                    started = await _open_loop(
                        client, prepared, plan.parallel, due, measured, stop_at
                    )
            finally:
                stop.set()
                await probe
        client.decode_pending()
        cpu = time.process_time() - cpu
        return SenderResult(measured, warm, start, lags, started, cpu)


async def _run(
    target: Target,
    jobs: Sequence[Job],
    warmup: Sequence[Job],
    plan: LoadPlan,
    workers: int,
) -> PointRun:
    scraper = Scraper(target.metrics_url, target.metrics_interval) if target.metrics_url else None
    try:
        if workers > 1:
            from pytest_qnext.perf.workers import run_in_workers

            results = await run_in_workers(target, jobs, warmup, plan, workers, scraper)
        else:
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[None] = loop.create_future()
            go: asyncio.Future[float | None] = loop.create_future()
            task = asyncio.ensure_future(run_jobs(target, jobs, plan, warmup, ready=ready, go=go))
            await asyncio.wait([ready, task], return_when=asyncio.FIRST_COMPLETED)  # type: ignore[type-var]
            if scraper is not None and not task.done():
                await scraper.begin()  # the "before" scrape: after warmup, before the window
            go.set_result(None)
            results = [await task]
    finally:
        if scraper is not None:
            await scraper.end()
    measured = [r for res in results for r in res.records]
    ends = [r.record.end_time for r in measured if r.record.end_time]
    start = min(res.start for res in results)
    return PointRun(
        parallel=plan.parallel,
        number=len(jobs),
        rate=plan.rate,
        records=measured,
        warmup_records=[r for res in results for r in res.warmup_records],
        window_start=start,
        window_end=max(ends) if ends else time.perf_counter(),
        loop_lags=[lag for res in results for lag in res.loop_lags],
        scrapes=scraper.scrapes if scraper is not None else [],
        jobs_sent=sum(res.started for res in results),
        workers=workers,
        client_cpu_s=sum(res.cpu_s for res in results),
    )


def run_point(
    target: Target,
    jobs: Sequence[Job],
    *,
    parallel: int,
    warmup: Sequence[Job] = (),
    offsets: Sequence[float] | None = None,
    rate: float | None = None,
    burstiness: float = 1.0,
    seed: int = 0,
    duration: float | None = None,
    workers: int = 1,
) -> PointRun:
    """Run one sweep point in a fresh event loop (blocking) and return what was measured.
    An open loop goes by `offsets`, or by arrivals drawn at `rate` (arrivals.py).

    The loop waits with microsecond precision (aioloop.py): open-loop arrivals go out when they
    are due, and the lag probe does not read epoll's millisecond rounding as loop lag."""
    if offsets is None and rate is not None:
        offsets = arrival_offsets(len(jobs), rate, burstiness, random.Random(seed))
    plan = LoadPlan(parallel, offsets, duration, rate)
    return aioloop.run(_run(target, jobs, warmup, plan, max(1, min(workers, parallel))))
