"""Against the simulator over real sockets: the server receives exactly the body the one builder
made for an item, and the response cache is keyed by that body (a changed generation config
is asked again, an identical one is answered from the cache)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_qnext.capability.cache import Answer
from pytest_qnext.capability.prefetch import Job, Prefetcher
from pytest_qnext.capability.prefetch_process import client_fetch
from pytest_qnext.capability.session import CapabilitySession
from pytest_qnext.sim import SimConfig, SimServer, run_in_thread

QUESTIONS = [f"Question {i}: which letter? ü" for i in range(4)]


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with run_in_thread(SimConfig(policy="fixed", text="ANSWER: C")) as server:
        yield server


def ask(session: CapabilitySession, entries: list[Any]) -> tuple[list[Job], list[Answer]]:
    """Prefetch every entry's answer the way `CapabilitySession.start` does (thread mode)."""
    jobs = [session.job(e) for e in entries]
    cap = session.capability
    cache_dir = None if cap.cache == "off" else cap.cache_dir
    prefetcher = Prefetcher(
        jobs, client_fetch(session.client_spec()), batch_size=2, cache_dir=cache_dir
    )
    try:
        return jobs, [prefetcher.get(job, timeout=30) for job in jobs]
    finally:
        prefetcher.stop()


def canonical(bodies: list[Any]) -> list[str]:
    return sorted(json.dumps(b, sort_keys=True) for b in bodies)


def test_the_server_receives_the_built_body_and_the_cache_keys_it(
    sim: SimServer,
    make_session: Callable[..., CapabilitySession],
    make_entry: Callable[[str, str], Any],
) -> None:
    entries = [make_entry(str(i), q) for i, q in enumerate(QUESTIONS)]
    gen = {"temperature": 0, "max_tokens": 32}
    jobs, answers = ask(make_session(sim.url, model="qnext-sim", gen_config=gen), entries)
    assert all(a.ok and a.content == "ANSWER: C" and not a.cached for a in answers)
    received = sim.requests()
    assert canonical(received) == canonical([job.body for job in jobs])
    assert all(b["temperature"] == 0 and b["stream"] is True for b in received)
    assert sim.stats()["received"] == len(QUESTIONS)

    # the same generation config: every answer comes from the cache, nothing is sent
    _, again = ask(make_session(sim.url, model="qnext-sim", gen_config=dict(gen)), entries)
    assert all(a.cached and a.content == "ANSWER: C" for a in again)
    assert sim.stats()["received"] == len(QUESTIONS)

    # one changed generation parameter: a different body, so a cache miss and a new request
    changed = {**gen, "temperature": 0.6}
    jobs2, fresh = ask(make_session(sim.url, model="qnext-sim", gen_config=changed), entries)
    assert all(a.ok and not a.cached for a in fresh)
    assert sim.stats()["received"] == 2 * len(QUESTIONS)
    assert {j.cache_key for j in jobs2}.isdisjoint(j.cache_key for j in jobs)
    assert canonical(sim.requests()[-len(QUESTIONS) :]) == canonical([j.body for j in jobs2])

    # whole responses through --qnext-no-stream: asked again, answered (not error rows)
    session = make_session(sim.url, model="qnext-sim", gen_config=gen, stream=False)
    jobs3, whole = ask(session, entries)
    assert all(a.ok and a.content == "ANSWER: C" and not a.cached for a in whole)
    last = sim.requests()[-len(QUESTIONS) :]
    assert canonical(last) == canonical([j.body for j in jobs3])
    assert all(b["stream"] is False and "stream_options" not in b for b in last)
    assert sim.stats()["received"] == 3 * len(QUESTIONS)


def test_completions_items_send_their_messages_as_one_prompt(
    sim: SimServer,
    make_session: Callable[..., CapabilitySession],
    make_entry: Callable[[str, str], Any],
) -> None:
    entries = [make_entry("0", QUESTIONS[0])]
    session = make_session(sim.url, model="qnext-sim", api="completions", cache="off")
    jobs, answers = ask(session, entries)
    assert answers[0].ok
    (received,) = sim.requests()
    assert received == jobs[0].body and received["prompt"] == QUESTIONS[0]
    assert "messages" not in received
