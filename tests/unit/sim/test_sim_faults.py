"""Seeded fault injection: each kind, per-attempt decisions, determinism, rates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_qnext.sim import SimConfig, SimServer
from pytest_qnext.sim.faults import decide_fault

WORDS = " ".join(f"word{i}" for i in range(30))


def _body(content: str = WORDS, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": content}], "max_tokens": 40, **extra}


def test_fail_rate_gives_500(sim_factory: Callable[..., SimServer]) -> None:
    server = sim_factory(fail_rate=1.0)
    r = httpx.post(server.url + "/chat/completions", json=_body())
    assert r.status_code == 500
    assert r.json()["error"]["type"] == "InternalServerError"
    stats = server.stats()
    assert stats["faults"]["fail"] == 1
    assert stats["failed_injected"] == 1
    assert stats["completed"] == 0


def test_rate429_has_retry_after_zero(sim_factory: Callable[..., SimServer], sse: Any) -> None:
    server = sim_factory(rate429=1.0)
    r = httpx.post(server.url + "/chat/completions", json=_body())
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "0"
    assert sse(server.url, _body()).status == 429


def test_drop_closes_stream_without_done(sim_factory: Callable[..., SimServer]) -> None:
    server = sim_factory(drop_rate=1.0)
    lines: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", server.url + "/chat/completions", json=_body(stream=True)) as r,
    ):
        assert r.status_code == 200
        lines.extend(line for line in r.iter_lines() if line)
    content = [ln for ln in lines if '"content":"' in ln and '"role"' not in ln]
    assert 0 < len(content) < 30  # some tokens, not all of them
    assert "data: [DONE]" not in lines
    assert all('"finish_reason":null' in ln for ln in lines)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(server.url + "/chat/completions", json=_body())
    stats = server.stats()
    assert stats["faults"]["drop"] == 2
    assert stats["completed"] == 0


def test_malformed_inserts_one_invalid_chunk(
    sim_factory: Callable[..., SimServer], sse: Any
) -> None:
    server = sim_factory(malformed_rate=1.0)
    result = sse(server.url, _body())
    assert result.done
    bad = []
    for line in result.lines[:-1]:
        try:
            json.loads(line[len("data: ") :])
        except json.JSONDecodeError:
            bad.append(line)
    assert len(bad) == 1
    assert server.stats()["failed_injected"] == 1
    plain = httpx.post(server.url + "/chat/completions", json=_body())
    assert plain.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        plain.json()


def test_stall_is_slow_not_failed(sim_factory: Callable[..., SimServer], sse: Any) -> None:
    """A stalled stream still completes with every token. (That it pauses in the middle:
    tests/timing/test_timing_sim.py.)"""
    server = sim_factory(stall_rate=1.0, stall_s=0.1, itl=0.001)
    result = sse(server.url, {**_body(), "ignore_eos": True})
    assert result.done
    assert len(result.texts()) == 40
    stats = server.stats()
    assert stats["faults"]["stall"] == 1
    assert stats["failed_injected"] == 0
    assert stats["completed"] == 1  # a stall is slow, not failed


def test_retry_of_same_prompt_gets_a_fresh_draw(sim_factory: Callable[..., SimServer]) -> None:
    server = sim_factory(fail_rate=0.5, seed=11)
    statuses = []
    for _ in range(40):
        r = httpx.post(server.url + "/chat/completions", json=_body("same prompt"))
        statuses.append(r.status_code)
    assert set(statuses) == {200, 500}
    assert 8 <= statuses.count(500) <= 32
    stats = server.stats()
    assert stats["received"] == 40
    assert stats["failed_injected"] == statuses.count(500)
    assert sum(stats["completed_by_key"].values()) == statuses.count(200)
    # after a reset the attempt numbers restart: the same sequence again
    server.reset()
    again = [
        httpx.post(server.url + "/chat/completions", json=_body("same prompt")).status_code
        for _ in range(40)
    ]
    assert again == statuses


def test_decisions_are_seeded_and_rates_hold() -> None:
    config = SimConfig(fail_rate=0.1, rate429=0.1, drop_rate=0.1, malformed_rate=0.1, seed=5)
    keys = [f"k{i}" for i in range(2000)]
    kinds = [decide_fault(config, k, 0).kind for k in keys]
    assert kinds == [decide_fault(config, k, 0).kind for k in keys]  # deterministic
    other_seed = SimConfig(fail_rate=0.1, rate429=0.1, drop_rate=0.1, malformed_rate=0.1, seed=6)
    assert kinds != [decide_fault(other_seed, k, 0).kind for k in keys]
    # checked in order: fail 0.1, then 429 on the rest (0.09), drop (0.081), malformed (0.0729)
    expected = {"fail": 0.1, "rate429": 0.09, "drop": 0.081, "malformed": 0.0729}
    for kind, rate in expected.items():
        frac = kinds.count(kind) / len(keys)
        print(f"{kind}: {frac:.3f} (expected {rate:.3f})")
        assert abs(frac - rate) < 0.025
    assert decide_fault(SimConfig(), "k", 0).kind is None
