"""Grading ahead: answers of slow scorers are judged as they arrive, off pytest's thread.

pytest runs one item at a time. For most benchmarks judging an answer takes microseconds and
happens in the item (`outcome.sample_row`). A benchmark whose scorer is slow
(`EvalSpec.grade_ahead`, e.g. one that runs the model's program on hidden tests) would make the
items wait on each other, so the session hands each of its answers to a `Grading` as soon as the
answer is there (the prefetcher's future completes, or at start for a replay) and the item only
waits for that row. A pool of `--qnext-sandbox-workers` threads (default: the CPU count) makes
the rows: think stripping, the scorer, the row, exactly what `sample_row` does in the item.

A benchmark that runs code (`EvalSpec.executes_code`) is always scored here, inside this
session's sandbox `Runtime` (`--qnext-sandbox` mode, a zygote of its own). `stop()` drops the
queued gradings and closes the runtime, which kills every running sandbox: after a session end
or Ctrl-C nothing is left running (see `pytest_qnext/sandbox/runtime.py` for SIGTERM/SIGKILL).
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pytest_qnext.capability.cache import Answer
from pytest_qnext.capability.collect import Entry
from pytest_qnext.capability.outcome import sample_row
from pytest_qnext.capability.prefetch import PrefetchStopped
from pytest_qnext.rows import SampleRow
from pytest_qnext.sandbox.limits import SandboxMode
from pytest_qnext.sandbox.pool import GradingPool
from pytest_qnext.sandbox.runtime import Runtime

__all__ = ["Grading", "GradingProgress", "graded_here"]

_POLL_S = 1.0  # how often a waiting item calls its on_wait (progress lines)


def graded_here(entry: Entry) -> bool:
    """Whether an item's answer is judged by a `Grading` rather than inline in the item."""
    return entry.spec.grade_ahead or entry.spec.executes_code


@dataclass(frozen=True)
class GradingProgress:
    graded: int
    expected: int  # planned items of grade-ahead benchmarks, plus any graded beyond them
    running: int
    queued: int

    def text(self) -> str:
        waiting = f" ({self.queued} queued)" if self.queued else ""
        return f"graded {self.graded}/{self.expected}, grading {self.running}{waiting}"


class Grading:
    """Rows of graded answers, made on a thread pool; one per capability session."""

    def __init__(
        self,
        *,
        workers: int | None,
        mode: SandboxMode,
        write_protected_text: bool = False,
    ) -> None:
        self.runtime = Runtime(mode)
        self._pool: GradingPool[[Entry, Answer], SampleRow] = GradingPool(self._grade, workers)
        self._write_protected_text = write_protected_text
        self._lock = threading.Lock()
        self._pending: dict[str, concurrent.futures.Future[SampleRow]] = {}
        self._taken: set[str] = set()  # items whose row was handed out (not graded on arrival)
        self._expected: set[str] = set()  # item ids planned or asked for here
        self._stopped = False

    @property
    def workers(self) -> int:
        return self._pool.workers

    def expect(self, item_ids: Iterable[str]) -> None:
        """These items will be graded here (for the progress line's total)."""
        with self._lock:
            self._expected.update(item_ids)

    def submit(self, entry: Entry, answer: Answer) -> None:
        """Start judging `answer` (once per item; later calls for the same item do nothing).
        Called from any thread, e.g. the prefetcher's as the answer arrives."""
        self._future(entry, answer, arrived=True)

    def _future(
        self, entry: Entry, answer: Answer, *, arrived: bool
    ) -> concurrent.futures.Future[SampleRow]:
        key = entry.item_id
        with self._lock:
            future = self._pending.get(key)
            if future is not None:
                return future
            if self._stopped or (arrived and key in self._taken):
                cancelled: concurrent.futures.Future[SampleRow] = concurrent.futures.Future()
                cancelled.cancel()
                return cancelled
            future = self._pool.submit(entry, answer)
            self._pending[key] = future
            return future

    def row(
        self, entry: Entry, answer: Answer, on_wait: Callable[[], None] | None = None
    ) -> SampleRow:
        """The item's row: from the grading started when its answer arrived, or started now.
        `on_wait` is called about once a second while waiting; PrefetchStopped after stop()."""
        with self._lock:
            self._expected.add(entry.item_id)
        future = self._future(entry, answer, arrived=False)
        try:
            while True:
                try:
                    return future.result(timeout=_POLL_S)
                except concurrent.futures.TimeoutError:
                    if on_wait is not None:
                        on_wait()
        except concurrent.futures.CancelledError:
            raise PrefetchStopped(f"{entry.item_id}: not graded (the session stopped)") from None
        finally:
            with self._lock:
                self._pending.pop(entry.item_id, None)
                self._taken.add(entry.item_id)

    def _grade(self, entry: Entry, answer: Answer) -> SampleRow:
        if entry.spec.executes_code:
            with self.runtime.active():
                return self._row(entry, answer)
        return self._row(entry, answer)

    def _row(self, entry: Entry, answer: Answer) -> SampleRow:
        return sample_row(entry, answer, write_protected_text=self._write_protected_text)

    def progress(self) -> GradingProgress:
        pool = self._pool.progress()
        with self._lock:
            expected = max(len(self._expected), pool.graded + pool.running + pool.queued)
        return GradingProgress(pool.graded, expected, pool.running, pool.queued)

    def stop(self) -> None:
        """Drop queued gradings, kill running sandboxes, wait for the threads (idempotent)."""
        with self._lock:
            self._stopped = True
        self._pool.shutdown(wait=False, cancel_queued=True)
        self.runtime.close()
        self._pool.shutdown(wait=True)
