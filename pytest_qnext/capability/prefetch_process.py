"""The prefetcher in a child process, so the HTTP client never competes with pytest for the GIL.

pytest's own per-item work and the client's per-request work are both CPU-bound Python; in
one process they share one GIL and add up. `ProcessPrefetcher` has the `Prefetcher` API
(`start`, `get`, `progress`, `stop`) but runs the `Prefetcher` (event loop, client, cache) in a
spawned child. Plain values cross a pipe: jobs and position updates down, answers, halts and
notes up. The child ignores SIGINT (the parent decides), and exits when the pipe closes (parent
gone). A child that dies on its own (killed, out of memory) halts the prefetcher: every item
still waiting gets a `not_asked` error answer and `halted` says what happened.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pytest_qnext.capability.cache import Answer
from pytest_qnext.capability.prefetch import (
    Fetch,
    Job,
    OpenFetch,
    Prefetcher,
    Progress,
    wait_for_answer,
)
from pytest_qnext.capability.watch import HALTED

__all__ = ["ClientSpec", "ProcessPrefetcher", "client_fetch", "discard_warm", "warm_up"]


@dataclass(frozen=True)
class ClientSpec:
    """How to reach the server (plain values; `api_key` never printed). What to send is in
    each job's body."""

    urls: tuple[str, ...]
    api: str
    timeout: float
    retries: int
    max_connections: int
    api_key: str | None = field(default=None, repr=False)


def client_fetch(spec: ClientSpec) -> OpenFetch:
    """An `open_fetch` for `Prefetcher` that asks the server with `OpenAIClient`."""

    @contextlib.asynccontextmanager
    async def open_fetch() -> AsyncIterator[Fetch]:
        from pytest_qnext.client import OpenAIClient

        async with OpenAIClient(
            list(spec.urls),
            api_key=spec.api_key,
            api="completions" if spec.api == "completions" else "chat",
            timeout=spec.timeout,
            retries=spec.retries,
            max_connections=spec.max_connections,
        ) as client:

            async def fetch(job: Job) -> Answer:
                record = await client.send(job.body)
                return Answer(
                    content=record.content or "",
                    reasoning=record.reasoning or "",
                    finish_reason=record.finish_reason,
                    usage=record.usage,
                    latency=record.latency if record.end_time else None,
                    error_kind=record.error_kind,
                    error=record.error,
                    retried=tuple(record.retried_errors),
                )

            yield fetch

    return open_fetch


def _child(conn: Connection) -> None:
    """Child main: wait for ("start", jobs, spec, options), then prefetch until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import pytest_qnext.client  # noqa: F401 - import the client while the parent collects

    try:
        first = conn.recv()
    except (EOFError, OSError):
        return
    if first[0] != "start":
        return
    _, jobs, spec, options = first
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock, contextlib.suppress(OSError, ValueError):
            conn.send(message)

    def reporter(key: str) -> Callable[[concurrent.futures.Future[Answer]], None]:
        return lambda future: report(key, future)

    def report(key: str, future: concurrent.futures.Future[Answer]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            send(("error", key, f"{type(exc).__name__}: {exc}"))
        else:
            send(("answer", key, dataclasses.asdict(future.result())))

    prefetcher = Prefetcher(
        jobs,
        client_fetch(spec),
        servers=spec.urls,
        on_event=lambda kind, text: send((kind, "", text)),
        **options,
    )
    for job in jobs:
        prefetcher._futures[job.key].add_done_callback(reporter(job.key))
    prefetcher.start()
    by_key = {job.key: job for job in jobs}
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            kind = message[0]
            if kind == "stop":
                break
            if kind == "pos":
                prefetcher.submit(by_key[message[1]])
            elif kind == "demand":
                job = message[1]
                prefetcher.submit(job).add_done_callback(reporter(job.key))
    finally:
        prefetcher.stop()
        with contextlib.suppress(OSError):
            conn.close()


_WARM: list[tuple[Any, Connection]] = []


def _spawn() -> tuple[Any, Connection]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(child,), name="qnext-prefetch", daemon=True)
    proc.start()
    child.close()
    return proc, parent


def warm_up() -> None:
    """Spawn the child now (its interpreter start and imports overlap pytest's collection)."""
    if not _WARM:
        _WARM.append(_spawn())


def _take_warm() -> tuple[Any, Connection] | None:
    while _WARM:
        proc, conn = _WARM.pop()
        if proc.is_alive():
            return proc, conn
        conn.close()
    return None


def discard_warm() -> None:
    """End a warmed child that was never used (it exits when its pipe closes)."""
    while _WARM:
        proc, conn = _WARM.pop()
        conn.close()
        proc.join(5)
        if proc.is_alive():
            proc.kill()


class ProcessPrefetcher:
    """`Prefetcher`'s API with the work done in a child process (see the module docstring)."""

    def __init__(
        self,
        jobs: Sequence[Job],
        spec: ClientSpec,
        *,
        batch_size: int,
        lookahead: int | None = None,
        cache_dir: Path | None = None,
        refresh: bool = False,
        max_failures: int = 0,
    ) -> None:
        self.jobs = list(jobs)
        self._spec = spec
        self._options = {
            "batch_size": batch_size,
            "lookahead": lookahead,
            "cache_dir": cache_dir,
            "refresh": refresh,
            "max_failures": max_failures,
        }
        self.halted: str | None = None
        self.notes: list[str] = []
        self._index = {job.key: i for i, job in enumerate(self.jobs)}
        self._futures: dict[str, concurrent.futures.Future[Answer]] = {
            job.key: concurrent.futures.Future() for job in self.jobs
        }
        self._sent = -1
        self._conn: Connection | None = None
        self._proc: Any = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()
        self._done = self._cached = self._errors = 0
        self._started_at = 0.0
        self._stopping = False  # stop() was called: the child's end is expected

    def start(self) -> None:
        if self._proc is not None:
            return
        self._started_at = time.perf_counter()
        self._proc, self._conn = _take_warm() or _spawn()
        self._conn.send(("start", self.jobs, self._spec, self._options))
        self._reader = threading.Thread(
            target=self._read, name="qnext-prefetch-reader", daemon=True
        )
        self._reader.start()

    def _read(self) -> None:
        assert self._conn is not None
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                break
            kind, key, payload = message
            if kind == "halt":
                self.halted = payload
                continue
            if kind == "note":
                self.notes.append(payload)
                continue
            future = self._futures.get(key)
            if future is None or future.done():
                continue
            if kind == "answer":
                answer = Answer(**payload)
                with self._lock:
                    self._done += 1
                    self._cached += answer.cached
                    self._errors += not answer.ok
                future.set_result(answer)
            else:
                future.set_exception(RuntimeError(payload))
        if not self._stopping:  # the child died on its own: nobody waits forever
            self._child_died()
        for future in list(self._futures.values()):
            future.cancel()

    def _child_died(self) -> None:
        proc = self._proc
        if proc is not None:
            proc.join(5.0)
        code = "unknown" if proc is None or proc.exitcode is None else proc.exitcode
        if self.halted is None:
            self.halted = (
                f"qnext: the prefetch process ended unexpectedly (exit code {code}); "
                "rerun to resume"
            )
        for future in list(self._futures.values()):
            if not future.done():
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    future.set_result(Answer(error_kind=HALTED, error=self.halted))

    def _send(self, message: tuple[Any, ...]) -> None:
        if self._conn is not None and not self._stopping:
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(message)

    def get(
        self, job: Job, timeout: float | None = None, on_wait: Callable[[], None] | None = None
    ) -> Answer:
        self.start()
        future = self._futures.get(job.key)
        index = self._index.get(job.key)
        if future is None:
            future = concurrent.futures.Future()
            self._futures[job.key] = future
            reader = self._reader
            if self.halted is not None and reader is not None and not reader.is_alive():
                future.set_result(Answer(error_kind=HALTED, error=self.halted))
            else:
                self._send(("demand", job))
        elif index is not None and index > self._sent:
            self._sent = index
            self._send(("pos", job.key))
        return wait_for_answer(future, job, timeout, on_wait)

    def answer_future(self, key: str) -> concurrent.futures.Future[Answer] | None:
        """The future of a planned job's answer without marking it as the running item (for
        work that starts as answers arrive, e.g. grading); None for a job not planned."""
        return self._futures.get(key)

    def progress(self) -> Progress:
        with self._lock:
            elapsed = time.perf_counter() - self._started_at
            asked = self._done - self._cached
            rate = asked / elapsed if asked and elapsed > 0 else 0.0
            return Progress(
                self._done, len(self.jobs), self._cached, self._errors, -1, rate, elapsed
            )

    def stop(self, timeout: float = 5.0) -> None:
        if self._proc is None or self._stopping:
            return
        self._stopping = True  # before the child is told: its EOF is then no surprise
        if self._conn is not None:
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(("stop",))
        self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(timeout)
        if self._conn is not None:
            self._conn.close()
        if self._reader is not None:
            self._reader.join(timeout)
        for future in self._futures.values():
            future.cancel()
