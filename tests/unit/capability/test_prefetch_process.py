"""The child-process prefetcher against the simulator (a real server in its own process)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_qnext.capability.cache import ResponseCache
from pytest_qnext.capability.prefetch import Job, PrefetchStopped
from pytest_qnext.capability.prefetch_process import ClientSpec, ProcessPrefetcher
from pytest_qnext.client.body import build_body
from pytest_qnext.sim import SimServer, parse_spec, run_in_process


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with run_in_process(parse_spec('policy=fixed,text="ANSWER: C",ttft=0.05')) as server:
        yield server


def make_job(sample_id: str, gen_config: dict[str, int] | None = None) -> Job:
    messages = [{"role": "user", "content": f"q{sample_id}"}]
    body = build_body(
        "chat", "qnext-sim", messages=messages, gen_config=gen_config or {}, stream=True
    )
    return Job(f"d/{sample_id}", f"key{sample_id}", "d", sample_id, 0, body)


def jobs(n: int, gen_config: dict[str, int] | None = None) -> list[Job]:
    return [make_job(str(i), gen_config) for i in range(n)]


def spec(sim: SimServer, max_connections: int, api_key: str | None = None) -> ClientSpec:
    return ClientSpec(
        urls=(sim.url,),
        api="chat",
        timeout=60.0,
        retries=0,
        max_connections=max_connections,
        api_key=api_key,
    )


def test_answers_arrive_and_are_cached(sim: SimServer, tmp_path: Path) -> None:
    client = spec(sim, 4, api_key="sk-never-stored")
    assert "sk-never-stored" not in repr(client)
    work = jobs(12)
    pf = ProcessPrefetcher(work, client, batch_size=4, cache_dir=tmp_path)
    try:
        answers = [pf.get(job, timeout=60) for job in work]
        extra = make_job("x")
        assert pf.get(extra, timeout=60).content == "ANSWER: C"  # not planned: on demand
    finally:
        pf.stop()
    assert [a.content for a in answers] == ["ANSWER: C"] * 12
    assert all(a.ok and a.finish_reason == "stop" and not a.cached for a in answers)
    assert pf.progress().done == 13
    assert ResponseCache(tmp_path).count() == 13
    assert b"sk-never-stored" not in _all_bytes(tmp_path)
    again = ProcessPrefetcher(work, client, batch_size=4, cache_dir=tmp_path)
    try:
        assert all(again.get(job, timeout=60).cached for job in work)
    finally:
        again.stop()


def test_stop_ends_the_child_and_waiters(sim: SimServer) -> None:
    """Stopped half-way, the child exits by itself (status 0: not killed by the fallback).
    (How fast stop() returns: tests/timing/test_timing_prefetch.py.)"""
    pf = ProcessPrefetcher(jobs(200, {"max_tokens": 4}), spec(sim, 2), batch_size=2)
    pf.start()
    deadline = time.monotonic() + 60
    while pf.progress().done == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 0 < pf.progress().done < 200
    pf.stop()
    assert not pf._proc.is_alive()
    assert pf._proc.exitcode == 0
    with pytest.raises(PrefetchStopped):
        pf.get(jobs(200, {"max_tokens": 4})[199])


def _all_bytes(folder: Path) -> bytes:
    """Every file's bytes; SQLite's -shm/-wal files may vanish while we list them."""
    out = []
    for path in folder.iterdir():
        try:
            out.append(path.read_bytes())
        except FileNotFoundError:
            continue
    return b"".join(out)
