"""The prefetch engine: answers are generated ahead of the items that need them.

pytest runs items one at a time; answers must not. A `Prefetcher` owns a background thread with
its own event loop. It walks this process's jobs in item order, answers from the response cache
where it can, and keeps at most `batch_size` requests in flight, never more than `lookahead`
jobs ahead of the item pytest is running. `get(job)` blocks only until that job's answer is
there. A job that was not planned (another scheduler gave this process an unexpected item) is
asked for at once. `stop()` cancels what is in flight and returns within seconds (Ctrl-C).

Every job ends with an answer, never a hang: a request that raises becomes an `internal` error
answer; a cache that cannot be read or written is left alone for the rest of the run with one
note (`notes`); and when asking further is pointless (watch.py: the server stopped answering,
or rejects every request) or the engine itself fails, the prefetcher halts: `halted` holds the
one-line reason and every job not answered yet gets a `not_asked` error answer at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_qnext.capability.cache import Answer, CacheError, ResponseCache
from pytest_qnext.capability.watch import HALTED, FailureWatch

__all__ = [
    "Event",
    "Fetch",
    "Job",
    "PrefetchStopped",
    "Prefetcher",
    "Progress",
    "one_line_error",
    "wait_for_answer",
]

Fetch = Callable[["Job"], Awaitable[Answer]]
OpenFetch = Callable[[], contextlib.AbstractAsyncContextManager[Fetch]]
# (kind, text) the prefetcher reports as it happens: ("halt", reason) or ("note", line)
Event = Callable[[str, str], None]


def one_line_error(exc: BaseException) -> str:
    """`Type: message` of an exception on one line."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}".rstrip(": ")


class PrefetchStopped(Exception):
    """The prefetcher was stopped (Ctrl-C or session end) before this answer came."""


@dataclass(frozen=True)
class Job:
    """One request to make: the body sent for an item (`build_body`) and where its answer is
    cached (`cache_key` of that body)."""

    key: str  # the item id, unique within the session
    cache_key: str
    dataset: str
    sample_id: str
    repeat: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    cached: int
    errors: int
    in_flight: int  # -1 when not known (child-process prefetcher)
    rate: float  # answers per second from the server (cache hits excluded)
    elapsed: float

    @property
    def eta(self) -> float | None:
        remaining = self.total - self.done
        if remaining <= 0:
            return 0.0
        return remaining / self.rate if self.rate > 0 else None

    def line(self) -> str:
        eta = self.eta
        eta_text = "?" if eta is None else f"{eta:.0f}s"
        flight = f", {self.in_flight} in flight" if self.in_flight >= 0 else ""
        return (
            f"qnext: answers {self.done}/{self.total} ({self.cached} cached, {self.errors} errors"
            f"{flight}), {self.rate:.1f}/s, ETA {eta_text}"
        )


def wait_for_answer(
    future: concurrent.futures.Future[Answer],
    job: Job,
    timeout: float | None,
    on_wait: Callable[[], None] | None,
) -> Answer:
    """Block on `future`, calling `on_wait` about once a second; a cancelled future (the
    prefetcher stopped) raises PrefetchStopped. Shared by the thread and process prefetchers."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            return future.result(timeout=1.0)
        except concurrent.futures.TimeoutError:
            if deadline is not None and time.monotonic() > deadline:
                raise
            if on_wait is not None:
                on_wait()
        except concurrent.futures.CancelledError:
            raise PrefetchStopped(f"{job.key}: answer not generated (stopped)") from None


class Prefetcher:
    """Generates answers for `jobs` in order on a background event loop.

    `max_failures` and `servers` drive the FailureWatch (0: never stop on connection failures);
    `on_event(kind, text)` is called (on the loop thread) for each halt and note, besides
    `halted` and `notes` being set.
    """

    def __init__(
        self,
        jobs: Sequence[Job],
        open_fetch: OpenFetch,
        *,
        batch_size: int,
        lookahead: int | None = None,
        cache_dir: Path | None = None,
        refresh: bool = False,
        max_failures: int = 0,
        servers: Sequence[str] = (),
        on_event: Event | None = None,
    ) -> None:
        self.jobs = list(jobs)
        self.batch_size = max(1, batch_size)
        self.lookahead = max(self.batch_size, lookahead or 8 * self.batch_size)
        self._open_fetch = open_fetch
        self._cache_dir = cache_dir
        self._refresh = refresh
        self._on_event = on_event
        self._watch = FailureWatch(
            len(self.jobs), servers, max_failures, resumable=cache_dir is not None
        )
        self.halted: str | None = None
        self.notes: list[str] = []
        self._index = {job.key: i for i, job in enumerate(self.jobs)}
        self._futures: dict[str, concurrent.futures.Future[Answer]] = {
            job.key: concurrent.futures.Future() for job in self.jobs
        }
        self._position = 0  # index of the job the running item needs (written by the main thread)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main_task: asyncio.Task[None] | None = None
        self._advanced: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._done = 0
        self._cached = 0
        self._errors = 0
        self._in_flight = 0
        self._asked = 0
        self._started_at = 0.0
        self._first_request = 0.0
        self._cache: ResponseCache | None = None
        self._cache_writes = False
        self._tasks: set[asyncio.Task[None]] = set()

    # -- main-thread API ------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._started_at = time.perf_counter()
        self._thread = threading.Thread(
            target=self._thread_main, name="qnext-prefetch", daemon=True
        )
        self._thread.start()
        self._ready.wait(10.0)

    def get(
        self, job: Job, timeout: float | None = None, on_wait: Callable[[], None] | None = None
    ) -> Answer:
        """Block until `job`'s answer is there; `on_wait` is called about once a second."""
        future = self.submit(job)
        return wait_for_answer(future, job, timeout, on_wait)

    def submit(self, job: Job) -> concurrent.futures.Future[Answer]:
        """The future of `job`'s answer; marks it as the item now running (lookahead) and asks
        for it at once when it was not planned."""
        self.start()
        future = self._futures.get(job.key)
        index = self._index.get(job.key)
        if index is not None:
            self._advance(index)
        if future is None:
            future = concurrent.futures.Future()
            self._futures[job.key] = future
            self._call(self._demand, job, future)
        return future

    def answer_future(self, key: str) -> concurrent.futures.Future[Answer] | None:
        """The future of a planned job's answer without marking it as the running item (for
        work that starts as answers arrive, e.g. grading); None for a job not planned."""
        return self._futures.get(key)

    def progress(self) -> Progress:
        with self._lock:
            elapsed = time.perf_counter() - (self._first_request or self._started_at)
            asked = self._asked
            rate = asked / elapsed if asked and elapsed > 0 else 0.0
            return Progress(
                self._done,
                len(self.jobs),
                self._cached,
                self._errors,
                self._in_flight,
                rate,
                time.perf_counter() - self._started_at,
            )

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel what is in flight, close the client and join the thread."""
        loop, task = self._loop, self._main_task
        if loop is not None and task is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        for future in self._futures.values():
            future.cancel()

    # -- loop thread --------------------------------------------------------------------------

    def _call(self, func: Callable[..., Any], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(func, *args)

    def _advance(self, index: int) -> None:
        if index > self._position:
            self._position = index
            event = self._advanced
            if event is not None and not event.is_set():
                self._call(event.set)

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._main_task = loop.create_task(self._main())
            self._advanced = asyncio.Event()
            self._ready.set()
            loop.run_until_complete(self._main_task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # _main halts on errors; this is the last resort
            self._halt(f"qnext: the prefetcher failed ({one_line_error(exc)}); rerun to resume")
        finally:
            self._ready.set()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            for future in list(self._futures.values()):
                future.cancel()

    def _emit(self, kind: str, text: str) -> None:
        if self._on_event is not None:
            with contextlib.suppress(Exception):
                self._on_event(kind, text)

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
            self._emit("note", text)

    def _halt(self, reason: str) -> None:
        """Stop asking: every job without an answer gets a `not_asked` error answer now, and
        what is in flight is cancelled."""
        if self.halted is not None:
            return
        self.halted = reason
        self._emit("halt", reason)
        try:
            current = asyncio.current_task()
        except RuntimeError:  # not on the loop (it failed): nothing is running any more
            current = None
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        for future in list(self._futures.values()):
            self._not_asked(future)

    def _not_asked(self, future: concurrent.futures.Future[Answer]) -> None:
        if self.halted is not None and not future.done():
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                future.set_result(Answer(error_kind=HALTED, error=self.halted))

    def _open_cache(self) -> None:
        if self._cache_dir is None:
            return
        try:
            self._cache = ResponseCache(self._cache_dir)
            self._cache_writes = True
        except CacheError as exc:  # checked at start-up; still, never fail the run over it
            self._note(f"qnext: {exc}; answers of this run are not cached")

    def _cache_failed(self, exc: CacheError, writing: bool) -> None:
        """A cache read or write failed: note it once and leave the cache alone (writes only,
        when a write failed: answers already cached can still be read)."""
        self._cache_writes = False
        if not writing:
            self._cache = None
        what = "new answers are not cached" if writing else "answers are asked again"
        self._note(f"qnext: {exc}; {what} for the rest of this run")

    async def _main(self) -> None:
        self._open_cache()
        try:
            async with self._open_fetch() as fetch:
                self._fetch = fetch
                self._sem = asyncio.Semaphore(self.batch_size)
                try:
                    await self._produce()
                    await asyncio.Event().wait()  # serve on-demand jobs until stopped
                finally:
                    for task in self._tasks:
                        task.cancel()
                    await asyncio.gather(*self._tasks, return_exceptions=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every waiting item gets an answer, and one line says why
            self._halt(f"qnext: the prefetcher failed ({one_line_error(exc)}); rerun to resume")
            await asyncio.Event().wait()
        finally:
            if self._cache is not None:
                self._cache.close()

    async def _produce(self) -> None:
        assert self._advanced is not None
        for index, job in enumerate(self.jobs):
            while index >= self._position + self.lookahead:
                self._advanced.clear()
                if index < self._position + self.lookahead:
                    break
                await self._advanced.wait()
            if self.halted is not None:
                return
            future = self._futures[job.key]
            if future.done():
                continue
            if self._resolve_from_cache(job, future):
                continue
            await self._sem.acquire()
            if self.halted is not None:
                self._sem.release()
                return
            self._spawn(job, future)

    def _resolve_from_cache(self, job: Job, future: concurrent.futures.Future[Answer]) -> bool:
        if self._cache is None or self._refresh:
            return False
        try:
            hit = self._cache.get(job.cache_key)
        except CacheError as exc:
            self._cache_failed(exc, writing=False)
            return False
        if hit is None:
            return False
        with self._lock:
            self._done += 1
            self._cached += 1
        future.set_result(hit)
        return True

    def _store(self, job: Job, answer: Answer) -> None:
        if self._cache is None or not self._cache_writes or not answer.ok:
            return
        try:
            self._cache.put(job.cache_key, job.dataset, job.sample_id, job.repeat, answer)
        except CacheError as exc:
            self._cache_failed(exc, writing=True)

    def _spawn(self, job: Job, future: concurrent.futures.Future[Answer]) -> None:
        task = asyncio.get_running_loop().create_task(self._ask(job, future))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _demand(self, job: Job, future: concurrent.futures.Future[Answer]) -> None:
        if self.halted is not None:
            self._not_asked(future)
            return
        if self._resolve_from_cache(job, future):
            return

        async def run() -> None:
            async with self._sem:
                await self._ask(job, future, release=False)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ask(
        self, job: Job, future: concurrent.futures.Future[Answer], release: bool = True
    ) -> None:
        with self._lock:
            self._in_flight += 1
            if not self._first_request:
                self._first_request = time.perf_counter()
        try:
            answer = await self._fetch(job)
        except asyncio.CancelledError:
            self._not_asked(future)  # cancelled by a halt (stop() cancels the futures)
            raise
        except Exception as exc:  # a bug or an unsendable body: this sample's error row
            answer = Answer(error_kind="internal", error=one_line_error(exc))
        finally:
            with self._lock:
                self._in_flight -= 1
            if release:
                self._sem.release()
        self._store(job, answer)
        with self._lock:
            self._done += 1
            self._asked += 1
            if not answer.ok:
                self._errors += 1
            scored = self._done - self._errors
        if not future.done():
            future.set_result(answer)
        reason = self._watch.observe(answer, scored)
        if reason is not None:
            self._halt(reason)
