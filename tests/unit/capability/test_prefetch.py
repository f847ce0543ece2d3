"""The prefetcher against a local async fetch function (the network is not under test here)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pytest_qnext.capability.cache import Answer, ResponseCache
from pytest_qnext.capability.prefetch import Fetch, Job, Prefetcher, PrefetchStopped
from pytest_qnext.client.body import build_body


def make_job(key: str, cache_key: str, sample_id: str, question: str, dataset: str = "d") -> Job:
    messages = [{"role": "user", "content": question}]
    body = build_body("chat", "m", messages=messages, gen_config={}, stream=True)
    return Job(key, cache_key, dataset, sample_id, 0, body)


def jobs(n: int) -> list[Job]:
    return [make_job(f"d/{i}", f"key{i}", str(i), f"q{i}") for i in range(n)]


class Recorder:
    def __init__(self, delay: float = 0.01) -> None:
        self.delay = delay
        self.started: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[Fetch]:
        async def fetch(job: Job) -> Answer:
            with self.lock:
                self.started.append(job.key)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delay)
            finally:
                with self.lock:
                    self.in_flight -= 1
            return Answer(content=f"answer to {job.sample_id}", finish_reason="stop")

        yield fetch


def test_answers_come_in_order_with_bounded_concurrency() -> None:
    rec = Recorder()
    work = jobs(60)
    pf = Prefetcher(work, rec.open, batch_size=4, lookahead=8)
    try:
        answers = [pf.get(job) for job in work]
    finally:
        pf.stop()
    assert [a.content for a in answers] == [f"answer to {i}" for i in range(60)]
    assert rec.started == [job.key for job in work]  # asked in item order
    assert 1 < rec.max_in_flight <= 4
    progress = pf.progress()
    assert progress.done == progress.total == 60 and progress.errors == 0
    assert progress.line().startswith("qnext: answers 60/60 (0 cached, 0 errors, 0 in flight)")
    assert progress.eta == 0.0


def test_lookahead_bounds_how_far_ahead_it_asks() -> None:
    rec = Recorder(delay=0.0)
    work = jobs(50)
    pf = Prefetcher(work, rec.open, batch_size=2, lookahead=5)
    try:
        pf.get(work[0])
        time.sleep(0.3)
        assert len(rec.started) <= 5  # position 0 + lookahead 5
        pf.get(work[20])
        time.sleep(0.3)
        assert 20 < len(rec.started) <= 25
    finally:
        pf.stop()


def test_cached_answers_are_not_asked_again(tmp_path: Path) -> None:
    work = jobs(10)
    cache = ResponseCache(tmp_path)
    for job in work[:6]:
        cache.put(job.cache_key, job.dataset, job.sample_id, 0, Answer(content="old"))
    cache.close()
    rec = Recorder(delay=0.0)
    pf = Prefetcher(work, rec.open, batch_size=3, cache_dir=tmp_path)
    try:
        answers = [pf.get(job) for job in work]
    finally:
        pf.stop()
    assert [a.cached for a in answers] == [True] * 6 + [False] * 4
    assert rec.started == [job.key for job in work[6:]]
    assert ResponseCache(tmp_path).count() == 10  # the new answers were committed


def test_refresh_asks_again_and_overwrites(tmp_path: Path) -> None:
    work = jobs(3)
    cache = ResponseCache(tmp_path)
    cache.put(work[0].cache_key, "d", "0", 0, Answer(content="old"))
    cache.close()
    rec = Recorder(delay=0.0)
    pf = Prefetcher(work, rec.open, batch_size=3, cache_dir=tmp_path, refresh=True)
    try:
        assert pf.get(work[0]).content == "answer to 0"
    finally:
        pf.stop()
    stored = ResponseCache(tmp_path).get(work[0].cache_key)
    assert stored is not None and stored.content == "answer to 0"


def test_unplanned_job_is_fetched_on_demand() -> None:
    """A job that is not in the plan (its own key and sample id) is asked for when an item
    waits for it: it cannot be answered from a planned job."""
    rec = Recorder(delay=0.0)
    pf = Prefetcher(jobs(2), rec.open, batch_size=2)
    extra = make_job("other/x", "k-other", "x", "x", dataset="other")
    try:
        assert pf.get(extra, timeout=30).content == "answer to x"
    finally:
        pf.stop()
    assert rec.started.count("other/x") == 1


def test_stop_cancels_what_is_in_flight_and_waiters_learn_why() -> None:
    """Stopped while fetches hang: they are cancelled (none completes) and a waiting item gets
    PrefetchStopped. (How fast stop() returns: tests/timing/test_timing_prefetch.py.)"""
    rec = Recorder(delay=30.0)
    work = jobs(8)
    pf = Prefetcher(work, rec.open, batch_size=2)
    pf.start()
    deadline = time.monotonic() + 30
    while not rec.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert rec.started
    pf.stop()
    assert rec.in_flight == 0
    assert pf.progress().done == 0
    with pytest.raises(PrefetchStopped):
        pf.get(work[0])


def test_fetch_exception_becomes_that_items_error_answer() -> None:
    """A fetch that raises ends in an `internal` error answer naming the exception (the
    sample's error row), never in a hang or an exception for the waiting item."""

    @contextlib.asynccontextmanager
    async def broken() -> AsyncIterator[Fetch]:
        async def fetch(job: Job) -> Answer:
            raise ValueError(f"bad request body {job.sample_id}")

        yield fetch

    work = jobs(2)
    pf = Prefetcher(work, broken, batch_size=2)
    try:
        answer = pf.get(work[0], timeout=30)
    finally:
        pf.stop()
    assert (answer.error_kind, answer.error) == ("internal", "ValueError: bad request body 0")
