"""Many senders: one point's load split over N sender processes on this machine
(`--qnext-perf-workers N`), so the client's own CPU is never what limits a large server.

The parent plans everything: job i goes to worker i mod N, the concurrency is split as evenly
as it goes (closed loop: worker w keeps its share of streams busy with its jobs; open loop: each
job keeps the send time the central schedule gave it, and the in-flight cap is split the same
way). Each worker is `python -m pytest_qnext.perf.workers`: it reads its share (a pickle of
plain values) on stdin, runs its warmup, builds its bodies, says "ready", waits for the common
start time, runs, and writes its records back. The start time and every timestamp are
`time.perf_counter()` values: on Linux that is CLOCK_MONOTONIC, one clock for every process of
the machine, so the records merge onto one time base without any offset. The parent's loop
scrapes the server's /metrics meanwhile (telemetry.py).
"""

from __future__ import annotations

import asyncio
import pickle
import struct
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pytest_qnext.perf.loadgen import Job, LoadPlan, SenderResult, Target
from pytest_qnext.perf.telemetry import Scraper

__all__ = ["run_in_workers", "split"]

READY = b"ready\n"
_START_MARGIN = 0.05  # seconds between "go" and the common start: every worker is waiting
_HEADER = struct.Struct("!Q")


def split(
    jobs: Sequence[Job], warmup: Sequence[Job], plan: LoadPlan, n: int
) -> list[tuple[list[Job], list[Job], LoadPlan]]:
    """The shares of `n` workers (workers without a stream are left out)."""
    shares = []
    for w in range(n):
        parallel = plan.parallel // n + (1 if w < plan.parallel % n else 0)
        if parallel == 0:
            continue
        mine = list(range(w, len(jobs), n))
        offsets = None if plan.offsets is None else [plan.offsets[i] for i in mine]
        shares.append(
            (
                [jobs[i] for i in mine],
                list(warmup[w::n]),
                replace(plan, parallel=parallel, offsets=offsets),
            )
        )
    return shares


def _frame(data: bytes) -> bytes:
    return _HEADER.pack(len(data)) + data


async def _read_frame(stream: asyncio.StreamReader) -> bytes:
    size = _HEADER.unpack(await stream.readexactly(_HEADER.size))[0]
    return await stream.readexactly(size)


async def run_in_workers(
    target: Target,
    jobs: Sequence[Job],
    warmup: Sequence[Job],
    plan: LoadPlan,
    n: int,
    scraper: Scraper | None,
) -> list[SenderResult]:
    """Run the point in `n` worker processes; their results, one per worker."""
    shares = split(jobs, warmup, plan, n)
    procs = []
    try:
        for share in shares:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "pytest_qnext.perf.workers",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            assert proc.stdin is not None
            proc.stdin.write(_frame(pickle.dumps((target, *share))))
            await proc.stdin.drain()
            procs.append(proc)
        for proc in procs:
            assert proc.stdout is not None
            line = await proc.stdout.readline()
            if line != READY:
                raise RuntimeError(f"a perf sender process failed to start ({line!r})")
        if scraper is not None:
            await scraper.begin()
        start = time.perf_counter() + _START_MARGIN
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(_frame(struct.pack("!d", start)))
            await proc.stdin.drain()
        results: list[SenderResult] = []
        for proc in procs:
            assert proc.stdout is not None
            results.append(pickle.loads(await _read_frame(proc.stdout)))
            await proc.wait()
        return results
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


def _main() -> int:
    """The worker process: share in, "ready", start time in, records out (stdin/stdout)."""
    from pytest_qnext import aioloop
    from pytest_qnext.perf.loadgen import run_jobs

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer

    def read_frame() -> bytes:
        size = _HEADER.unpack(stdin.read(_HEADER.size))[0]
        return stdin.read(size)

    target, jobs, warmup, plan = pickle.loads(read_frame())

    async def go() -> SenderResult:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        start: asyncio.Future[float | None] = loop.create_future()
        task = asyncio.ensure_future(run_jobs(target, jobs, plan, warmup, ready=ready, go=start))
        await asyncio.wait([ready, task], return_when=asyncio.FIRST_COMPLETED)  # type: ignore[type-var]
        if not task.done():
            stdout.write(READY)
            stdout.flush()
            at: Any = await loop.run_in_executor(None, read_frame)
            start.set_result(struct.unpack("!d", at)[0])
        return await task

    result = aioloop.run(go())
    stdout.write(_frame(pickle.dumps(result)))
    stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
