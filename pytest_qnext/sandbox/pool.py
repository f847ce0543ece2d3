"""A pool of sandboxed graders: grade programs as answers arrive, in parallel.

`GradingPool(grade, workers)` runs `grade(*args)` (e.g. `grade(problem, code)`, which starts and
ends its own sandbox) on worker threads; sandboxes are separate processes, so the threads spend
their time waiting and the work really runs in parallel. The capability engine submits each
answer as it arrives (`capability/grading.py`) and collects the futures, instead of running
programs inside pytest items one by one.

    pool = GradingPool(grade, workers=8)
    future = pool.submit(problem, code)      # returns at once; same arguments as grade
    pool.progress()                          # Progress(graded=.., running=.., queued=..)
    verdict = future.result()                # the grader's exception if the grader broke
    pool.shutdown()

Thread-safe: any thread may submit, read progress or shut down.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar

__all__ = ["GradingPool", "Progress", "default_workers"]

P = ParamSpec("P")
V = TypeVar("V")


def default_workers() -> int:
    """The number of CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Progress:
    """A snapshot of the pool's counters (graded includes gradings that raised)."""

    graded: int
    running: int
    queued: int

    def __str__(self) -> str:
        return f"{self.graded} graded, {self.running} running, {self.queued} queued"


class GradingPool(Generic[P, V]):
    """`workers` threads running `grade(*args)`; see the module docstring."""

    def __init__(self, grade: Callable[P, V], workers: int | None = None) -> None:
        count = default_workers() if workers is None else workers
        if count < 1:
            raise ValueError(f"workers must be >= 1, got {workers!r}")
        self.workers = count
        self._grade = grade
        self._lock = threading.Lock()
        self._graded = self._running = self._queued = 0
        self._executor = ThreadPoolExecutor(max_workers=count, thread_name_prefix="qnext-grade")

    def submit(self, *args: P.args, **kwargs: P.kwargs) -> Future[V]:
        """Queue one grading; the future holds its verdict (or the grader's exception)."""
        with self._lock:
            self._queued += 1
        try:
            future = self._executor.submit(self._run, *args, **kwargs)
        except BaseException:
            with self._lock:
                self._queued -= 1
            raise
        future.add_done_callback(self._forget_cancelled)
        return future

    def _run(self, *args: P.args, **kwargs: P.kwargs) -> V:
        with self._lock:
            self._queued -= 1
            self._running += 1
        try:
            return self._grade(*args, **kwargs)
        finally:
            with self._lock:
                self._running -= 1
                self._graded += 1

    def _forget_cancelled(self, future: Future[V]) -> None:
        if future.cancelled():
            with self._lock:
                self._queued -= 1

    def progress(self) -> Progress:
        with self._lock:
            return Progress(self._graded, self._running, self._queued)

    def shutdown(self, *, wait: bool = True, cancel_queued: bool = False) -> None:
        """Stop accepting programs; `cancel_queued` drops those not started yet."""
        self._executor.shutdown(wait=wait, cancel_futures=cancel_queued)

    def __enter__(self) -> GradingPool[P, V]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel_queued=exc[0] is not None)
