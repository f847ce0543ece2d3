"""The simulator's HTTP behaviour over real sockets (thread runner, plain httpx)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_qnext.sim import SimConfig, SimServer, prompt_key
from pytest_qnext.sim.app import SimState
from pytest_qnext.sim.policy import REASONING_TEXT

USER = "Hello there, how are you today?"
MESSAGES = [{"role": "user", "content": USER}]


def test_issue_demo_stream_with_usage(sse: Any, sim: SimServer) -> None:
    """The issue's demo: include_usage, max_tokens 16, ignore_eos."""
    result = sse(
        sim.url,
        {
            "model": "qnext-sim",
            "messages": MESSAGES,
            "max_tokens": 16,
            "ignore_eos": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert result.status == 200
    assert result.done
    events = result.events
    first, *content, usage_chunk = events
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert first["choices"][0]["finish_reason"] is None
    assert len(content) == 16  # one chunk per token
    assert all(set(c["choices"][0]["delta"]) == {"content"} for c in content)
    assert [c["choices"][0]["finish_reason"] for c in content] == [None] * 15 + ["length"]
    assert usage_chunk["choices"] == []
    usage = usage_chunk["usage"]
    assert usage["completion_tokens"] == 16
    assert usage["total_tokens"] == usage["prompt_tokens"] + 16
    assert len({e["id"] for e in events}) == 1
    # the echo policy repeats the user message, then pads with filler
    assert "".join(result.texts()).startswith(USER)


def test_no_usage_chunk_without_include_usage(sse: Any, sim: SimServer) -> None:
    result = sse(sim.url, {"messages": MESSAGES, "max_tokens": 4})
    assert result.done
    assert all(e["choices"] for e in result.events)
    assert "usage" not in result.events[-1]


def test_natural_stop_and_length(sse: Any, sim: SimServer) -> None:
    n_answer = len(sim_tokens(USER))
    full = sse(
        sim.url,
        {
            "messages": MESSAGES,
            "max_tokens": n_answer + 5,
            "stream_options": {"include_usage": True},
        },
    )
    assert "".join(full.texts()) == USER
    assert full.events[-2]["choices"][0]["finish_reason"] == "stop"
    assert full.events[-1]["usage"]["completion_tokens"] == n_answer
    cut = sse(
        sim.url, {"messages": MESSAGES, "max_tokens": 3, "stream_options": {"include_usage": True}}
    )
    assert "".join(cut.texts()) == "".join(sim_tokens(USER)[:3])
    assert cut.events[-2]["choices"][0]["finish_reason"] == "length"
    assert cut.events[-1]["usage"]["completion_tokens"] == 3


def sim_tokens(text: str) -> list[str]:
    from pytest_qnext.tokenizer import SimpleTokenCounter

    return SimpleTokenCounter().pieces(text)


@pytest.mark.parametrize("stop", [" how", [" you", "there"], ["zzz", "today?"]])
def test_stop_strings(sse: Any, sim: SimServer, stop: str | list[str]) -> None:
    stops = [stop] if isinstance(stop, str) else stop
    cut = min(USER.find(s) for s in stops if s in USER)
    body = {
        "messages": MESSAGES,
        "max_tokens": 50,
        "stop": stop,
        "stream_options": {"include_usage": True},
    }
    result = sse(sim.url, body)
    assert "".join(result.texts()) == USER[:cut]
    last = result.events[-2]["choices"][0]
    assert last["finish_reason"] == "stop"
    assert last["stop_reason"] in stops
    plain = httpx.post(sim.url + "/chat/completions", json=body).json()
    assert plain["choices"][0]["message"]["content"] == USER[:cut]
    assert plain["choices"][0]["finish_reason"] == "stop"


def test_min_tokens_pads_and_stops(sse: Any, sim: SimServer) -> None:
    n_answer = len(sim_tokens(USER))
    body = {
        "messages": MESSAGES,
        "max_tokens": 100,
        "min_tokens": n_answer + 7,
        "stream_options": {"include_usage": True},
    }
    result = sse(sim.url, body)
    assert result.events[-1]["usage"]["completion_tokens"] == n_answer + 7
    assert result.events[-2]["choices"][0]["finish_reason"] == "stop"
    assert "".join(result.texts()).startswith(USER)
    # min_tokens below the answer length changes nothing
    short = sse(sim.url, {**body, "min_tokens": 2})
    assert short.events[-1]["usage"]["completion_tokens"] == n_answer


def test_non_streaming_chat_and_completions(sim: SimServer) -> None:
    chat = httpx.post(
        sim.url + "/chat/completions",
        json={"model": "qnext-sim", "messages": MESSAGES, "max_tokens": 64},
    )
    assert chat.status_code == 200
    body = chat.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["choices"][0]["message"]["content"] == USER
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == len(sim_tokens(USER))
    comp = httpx.post(
        sim.url + "/completions",
        json={"prompt": "Once upon a time", "max_tokens": 10, "ignore_eos": True},
    )
    body = comp.json()
    assert body["object"] == "text_completion"
    assert body["choices"][0]["text"].startswith("Once upon a time")
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 10, "total_tokens": 14}


def test_completions_stream_and_token_id_prompt(sse: Any, sim: SimServer) -> None:
    ids = list(range(1000, 1100))
    result = sse(
        sim.url,
        {
            "prompt": ids,
            "max_tokens": 8,
            "ignore_eos": True,
            "stream_options": {"include_usage": True},
        },
        path="/completions",
    )
    assert result.done
    events = result.events
    assert events[0]["object"] == "text_completion"
    assert "delta" not in events[0]["choices"][0]  # no role chunk on the completions API
    assert len(events) == 8 + 1
    assert events[-1]["usage"]["prompt_tokens"] == 100
    assert events[-1]["usage"]["completion_tokens"] == 8


def test_think_split_and_inline(sse: Any, sim_factory: Callable[..., SimServer]) -> None:
    split = sim_factory(think="split")
    result = sse(split.url, {"messages": MESSAGES, "max_tokens": 200})
    reasoning = result.texts("reasoning_content")
    content = result.texts()
    assert "".join(reasoning) == REASONING_TEXT
    assert "".join(content) == USER
    kinds = [
        "r" if "reasoning_content" in e["choices"][0]["delta"] else "c"
        for e in result.events[1:]
        if e["choices"][0]["delta"]
    ]
    assert kinds == sorted(kinds, reverse=True)  # all reasoning before any content
    plain = httpx.post(
        split.url + "/chat/completions", json={"messages": MESSAGES, "max_tokens": 200}
    ).json()
    assert plain["choices"][0]["message"]["reasoning_content"] == REASONING_TEXT
    off = httpx.post(
        split.url + "/chat/completions",
        json={"messages": MESSAGES, "chat_template_kwargs": {"enable_thinking": False}},
    ).json()
    assert off["choices"][0]["message"]["content"] == USER
    assert "reasoning_content" not in off["choices"][0]["message"]
    inline = sim_factory(think="inline")
    text = "".join(sse(inline.url, {"messages": MESSAGES}).texts())
    assert text == f"<think>\n{REASONING_TEXT}\n</think>\n\n{USER}"


def test_fixed_policy(sim_factory: Callable[..., SimServer]) -> None:
    server = sim_factory(policy="fixed", text="The answer is (C).")
    body = httpx.post(server.url + "/chat/completions", json={"messages": MESSAGES}).json()
    assert body["choices"][0]["message"]["content"] == "The answer is (C)."


def test_oracle_over_http_and_stats_by_sample(sim_factory: Callable[..., SimServer]) -> None:
    oracle = {
        prompt_key(f"question {i}"): {
            "sample": f"demo/{i}",
            "correct": f"right {i}",
            "wrong": f"wrong {i}",
        }
        for i in range(20)
    }
    server = sim_factory(oracle=oracle, policy="oracle", p=0.5, seed=3)
    answers = []
    for i in range(20):
        msgs = [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": f"question {i}"},
        ]
        r = httpx.post(server.url + "/chat/completions", json={"messages": msgs})
        answers.append(r.json()["choices"][0]["message"]["content"])
    assert {a.split()[0] for a in answers} == {"right", "wrong"}  # p=0.5 over 20: both occur
    assert all(a.endswith(f" {i}") for i, a in enumerate(answers))
    again = httpx.post(
        server.url + "/chat/completions",
        json={"messages": [{"role": "user", "content": "question 7"}]},
    )
    assert again.json()["choices"][0]["message"]["content"] == answers[7]  # deterministic
    unknown = httpx.post(
        server.url + "/chat/completions",
        json={"messages": [{"role": "user", "content": "not in oracle"}]},
    )
    assert unknown.json()["choices"][0]["message"]["content"] == "not in oracle"  # echo
    stats = server.stats()
    assert stats["completed_by_key"]["demo/7"] == 2
    assert stats["completed_by_key"]["demo/3"] == 1
    assert stats["completed_by_key"][prompt_key("not in oracle")] == 1
    assert stats["received"] == stats["completed"] == 22
    server.reset()
    assert server.stats()["completed_by_key"] == {}


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"messages": []}, 400, "'messages'"),
        ({"messages": MESSAGES, "max_tokens": 0}, 400, "'max_tokens'"),
        ({"messages": MESSAGES, "max_tokens": "ten"}, 400, "'max_tokens'"),
        ({"messages": MESSAGES, "stop": 5}, 400, "'stop'"),
        ({"messages": MESSAGES, "model": "gpt-x"}, 404, "gpt-x"),
        ({"messages": MESSAGES, "n": 2}, 400, "'n'"),
        ({"messages": MESSAGES, "max_tokens": 40000}, 400, "maximum context length"),
    ],
)
def test_bad_requests(sim: SimServer, body: dict[str, Any], status: int, needle: str) -> None:
    r = httpx.post(sim.url + "/chat/completions", json=body)
    assert r.status_code == status
    message = r.json()["error"]["message"]
    assert needle in message
    assert "\n" not in message


def test_bad_json_and_bad_prompt(sim: SimServer) -> None:
    r = httpx.post(
        sim.url + "/chat/completions",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["error"]["message"]
    r = httpx.post(sim.url + "/completions", json={"prompt": {"a": 1}})
    assert r.status_code == 400
    assert sim.stats()["rejected"] == 2
    assert sim.stats()["received"] == 0


def test_models_health_and_api_key(sim_factory: Callable[..., SimServer]) -> None:
    server = sim_factory(api_key="sk-secret-123", model="my-model")
    assert httpx.get(server.base + "/health").status_code == 200
    denied = httpx.get(server.url + "/models")
    assert denied.status_code == 401
    assert "sk-secret-123" not in denied.text
    auth = {"Authorization": "Bearer sk-secret-123"}
    models = httpx.get(server.url + "/models", headers=auth).json()
    assert [m["id"] for m in models["data"]] == ["my-model"]
    ok = httpx.post(
        server.url + "/chat/completions",
        headers=auth,
        json={"model": "my-model", "messages": MESSAGES},
    )
    assert ok.status_code == 200
    wrong = httpx.post(
        server.url + "/chat/completions",
        json={"messages": MESSAGES},
        headers={"Authorization": "Bearer nope"},
    )
    assert wrong.status_code == 401


def test_max_num_seqs_queues_requests(sim_factory: Callable[..., SimServer]) -> None:
    """With 2 slots and 6 concurrent requests, at most 2 run at a time and all 6 complete.
    (That the waiting ones start later: tests/timing/test_timing_sim.py.)"""
    server = sim_factory(max_num_seqs=2, ttft=0.05, itl=0.01)

    async def one(client: httpx.AsyncClient, i: int) -> int:
        body = {"messages": [{"role": "user", "content": f"q{i}"}], "max_tokens": 5}
        r = await client.post(server.url + "/chat/completions", json={**body, "ignore_eos": True})
        return int(r.json()["usage"]["completion_tokens"])

    async def main() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(one(client, i) for i in range(6)))

    assert asyncio.run(main()) == [5] * 6
    stats = server.stats()
    assert stats["max_running"] == 2
    assert stats["completed"] == 6


def test_stats_shape_and_reset(sim: SimServer) -> None:
    httpx.post(sim.url + "/chat/completions", json={"messages": MESSAGES})
    stats = sim.stats()
    assert stats["received"] == 1
    assert stats["completed"] == 1
    assert stats["failed_injected"] == 0
    assert set(stats["faults"]) == {"fail", "rate429", "drop", "malformed", "stall"}
    json.dumps(stats)
    reset = httpx.post(sim.base + "/sim/reset")
    assert reset.status_code == 200
    assert sim.stats()["received"] == 0


def test_client_disconnect_frees_the_slot(sim_factory: Callable[..., SimServer]) -> None:
    server = sim_factory(itl=0.02, max_num_seqs=1)
    body = {"messages": MESSAGES, "max_tokens": 200, "ignore_eos": True, "stream": True}
    with httpx.stream("POST", server.url + "/chat/completions", json=body) as r:
        for line in r.iter_lines():
            if '"content":"' in line and '"role"' not in line:
                break  # hang up after the first token
    # the only slot is free again: a second request completes
    second = httpx.post(server.url + "/chat/completions", json={"messages": MESSAGES}, timeout=10)
    assert second.status_code == 200
    stats = server.stats()
    assert stats["cancelled"] == 1
    assert stats["completed"] == 1


@pytest.mark.parametrize(("running", "factor"), [(0, 1.0), (1, 1.0), (2, 1.5), (6, 3.5)])
def test_batch_slowdown_stretches_the_token_gap(running: int, factor: float) -> None:
    """gap = itl * (1 + batch_slowdown * (running - 1)), here with slowdown 0.5.
    (The gaps a client then measures: tests/timing/test_timing_sim.py.)"""
    state = SimState(SimConfig(itl=0.01, batch_slowdown=0.5))
    state.running = running
    assert state.gap() == pytest.approx(0.01 * factor)
