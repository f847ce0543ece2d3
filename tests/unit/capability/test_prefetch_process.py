"""The child-process prefetcher against the simulator (a real server in its own process)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_qnext.capability.cache import ResponseCache
from pytest_qnext.capability.prefetch import Job, PrefetchStopped
from pytest_qnext.capability.prefetch_process import ClientSpec, ProcessPrefetcher
from pytest_qnext.sim import SimServer, parse_spec, run_in_process


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with run_in_process(parse_spec('policy=fixed,text="ANSWER: C",ttft=0.05')) as server:
        yield server


def jobs(n: int) -> list[Job]:
    return [
        Job(f"d/{i}", f"key{i}", "d", str(i), 0, ({"role": "user", "content": f"q{i}"},))
        for i in range(n)
    ]


def test_answers_arrive_and_are_cached(sim: SimServer, tmp_path: Path) -> None:
    spec = ClientSpec(
        urls=(sim.url,), model="qnext-sim", retries=0, max_connections=4, api_key="sk-never-stored"
    )
    assert "sk-never-stored" not in repr(spec)
    work = jobs(12)
    pf = ProcessPrefetcher(work, spec, batch_size=4, cache_dir=tmp_path)
    try:
        answers = [pf.get(job, timeout=60) for job in work]
        extra = Job("d/x", "key-x", "d", "x", 0, ({"role": "user", "content": "x"},))
        assert pf.get(extra, timeout=60).content == "ANSWER: C"  # not planned: on demand
    finally:
        pf.stop()
    assert [a.content for a in answers] == ["ANSWER: C"] * 12
    assert all(a.ok and a.finish_reason == "stop" and not a.cached for a in answers)
    assert pf.progress().done == 13
    assert ResponseCache(tmp_path).count() == 13
    assert b"sk-never-stored" not in _all_bytes(tmp_path)
    again = ProcessPrefetcher(work, spec, batch_size=4, cache_dir=tmp_path)
    try:
        assert all(again.get(job, timeout=60).cached for job in work)
    finally:
        again.stop()


def test_stop_ends_the_child_and_waiters(sim: SimServer) -> None:
    """Stopped half-way, the child exits by itself (status 0: not killed by the fallback).
    (How fast stop() returns: tests/timing/test_timing_prefetch.py.)"""
    slow = ClientSpec(
        urls=(sim.url,), model="qnext-sim", retries=0, max_connections=2, gen={"max_tokens": 4}
    )
    pf = ProcessPrefetcher(jobs(200), slow, batch_size=2)
    pf.start()
    deadline = time.monotonic() + 60
    while pf.progress().done == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 0 < pf.progress().done < 200
    pf.stop()
    assert not pf._proc.is_alive()
    assert pf._proc.exitcode == 0
    with pytest.raises(PrefetchStopped):
        pf.get(jobs(200)[199])


def _all_bytes(folder: Path) -> bytes:
    """Every file's bytes; SQLite's -shm/-wal files may vanish while we list them."""
    out = []
    for path in folder.iterdir():
        try:
            out.append(path.read_bytes())
        except FileNotFoundError:
            continue
    return b"".join(out)
