"""Workloads, goodput and telemetry against the simulator over real sockets, checked against
the simulator's own truth (/sim/truth) rather than against numbers written into the test."""

from __future__ import annotations

import itertools
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.perf.conversations import build_trace
from pytest_qnext.perf.goodput import parse_goodput
from pytest_qnext.perf.loadgen import PointRun, Target, run_point
from pytest_qnext.perf.metrics import compute_metrics
from pytest_qnext.perf.options import PerfSettings
from pytest_qnext.perf.prompts import PromptBuilder
from pytest_qnext.perf.telemetry import metrics_url_for, summarize
from pytest_qnext.sim import SimConfig, run_in_thread
from pytest_qnext.sim.runner import SimServer
from pytest_qnext.tokenizer import SimpleTokenCounter


def truth(sim: SimServer) -> dict[str, Any]:
    result: dict[str, Any] = sim._call("GET", "/sim/truth")
    return result


def settings(**changes: Any) -> PerfSettings:
    base: dict[str, Any] = {
        "min_prompt_length": 32,
        "max_prompt_length": 32,
        "min_tokens": 8,
        "max_tokens": 8,
        "extra_args": {"ignore_eos": True},
    }
    return PerfSettings(**{**base, **changes})


def run(sim: SimServer, jobs: list[Any], parallel: int, **kwargs: Any) -> PointRun:
    target = Target(
        (sim.url,),
        "qnext-sim",
        api=kwargs.pop("api", "chat"),
        metrics_url=metrics_url_for(sim.url),
        metrics_interval=kwargs.pop("interval", 1.0),
    )
    return run_point(target, jobs, parallel=parallel, **kwargs)


def test_goodput_equals_the_fraction_of_requests_the_simulator_did_not_stall() -> None:
    tok = SimpleTokenCounter()
    builder = PromptBuilder(settings(), "chat", tok)
    with run_in_thread(SimConfig(itl=0.001, stall_rate=0.4, stall_s=0.15, seed=3)) as sim:
        result = run(sim, builder.build(30), parallel=6)
        rows = truth(sim)["requests"]
    limits = parse_goodput("e2e<=0.1,ttft<=0.1")
    metrics = compute_metrics(result, tok, goodput=limits)
    assert len(rows) == 30 and metrics["completed"] == 30
    stalled = sum(1 for row in rows if row["fault"] == "stall")
    assert 0 < stalled < 30  # the distribution has both kinds
    assert metrics["good_fraction"] == (30 - stalled) / 30
    assert metrics["good_requests"] == 30 - stalled
    assert metrics["goodput"] == pytest.approx(metrics["good_requests"] / result.duration)
    assert metrics["good_output_throughput"] == pytest.approx(8 * (30 - stalled) / result.duration)


def test_shared_prefix_hits_the_prefix_cache_and_unique_prompts_do_not() -> None:
    tok = SimpleTokenCounter()
    shared = PromptBuilder(settings(prefix_length=64), "chat", tok)
    unique = PromptBuilder(settings(), "chat", tok)
    assert len(shared.shared_prefix()) == 64
    with run_in_thread(SimConfig(itl=0.001)) as sim:
        result = run(sim, unique.build(12), parallel=2)
        unique_hits = truth(sim)["prefix_cache_hits"]
        sim.reset()
        shared_run = run(sim, shared.build(12), parallel=2)
        rows = truth(sim)["requests"]
    assert unique_hits == 0
    assert compute_metrics(result, tok)["server_prefix_hit_rate"] == 0
    hits = [row["prefix_hit_tokens"] for row in rows]
    # every request after the first pair finds the 64 shared tokens (4 blocks of 16)
    assert sorted(hits)[2:] == [64] * 10
    metrics = compute_metrics(shared_run, tok)
    assert metrics["server_prefix_hits"] == sum(hits)
    assert metrics["prompt_mismatches"] == 0
    prompts = [r.request.messages[0]["content"] for r in shared_run.records]  # type: ignore[index]
    first = tok.encode(prompts[0])[:63]
    assert all(tok.encode(p)[:63] == first for p in prompts)


def test_multi_turn_resends_the_history_with_the_real_replies() -> None:
    tok = SimpleTokenCounter()
    builder = PromptBuilder(settings(dataset="multi_turn", turns=3), "chat", tok)
    conversations = builder.build(4)
    with run_in_thread(SimConfig(itl=0.0)) as sim:
        result = run(sim, conversations, parallel=2)
    metrics = compute_metrics(result, tok)
    assert metrics["completed"] == 12
    assert metrics["prompt_mismatches"] == 0  # usage == history + new turn, every turn
    by_conversation: dict[int, list[Any]] = {}
    for r in result.records:
        assert r.request.conversation is not None
        by_conversation.setdefault(r.request.conversation, []).append(r)
    for records in by_conversation.values():
        records.sort(key=lambda r: r.request.turn)
        assert [r.request.turn for r in records] == [0, 1, 2]
        for before, after in itertools.pairwise(records):
            sent = after.request.messages
            assert sent[: len(before.request.messages)] == before.request.messages
            assert sent[len(before.request.messages)] == {
                "role": "assistant",
                "content": before.record.content,
            }
            assert before.record.content  # a real reply was carried over
            assert after.record.prompt_tokens > before.record.prompt_tokens
    turns = metrics["turns"]
    assert [t["turn"] for t in turns] == [1, 2, 3] and all(t["n"] == 4 for t in turns)
    assert turns[0]["prompt_tokens_mean"] < turns[2]["prompt_tokens_mean"]


def test_trace_replays_times_lengths_and_shared_blocks(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    rows = [
        {"timestamp": 0, "input_length": 40, "output_length": 3, "hash_ids": [7, 8]},
        {"timestamp": 100, "input_length": 40, "output_length": 5, "hash_ids": [7, 8]},
        {"timestamp": 200, "input_length": 20, "output_length": 4},
        {"timestamp": 400, "input_length": 40, "output_length": 2, "hash_ids": [7, 9]},
    ]
    trace.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tok = SimpleTokenCounter()
    s = settings(dataset="trace", dataset_path=trace, trace_speed=2.0, trace_block_size=16)
    requests, offsets = build_trace(PromptBuilder(s, "completions", tok), 10, 0, random.Random(0))
    assert offsets == [0.0, 0.05, 0.1, 0.2]
    with run_in_thread(SimConfig(itl=0.0)) as sim:
        result = run(sim, requests, parallel=4, offsets=offsets, api="completions")
        seen = truth(sim)["requests"]
    by_index = {r.request.index: r for r in result.records}
    assert [by_index[i].record.completion_tokens for i in range(4)] == [3, 5, 4, 2]
    assert [by_index[i].record.prompt_tokens for i in range(4)] == [40, 40, 20, 40]
    start = result.window_start
    for i, offset in enumerate(offsets):
        assert by_index[i].intended_time == pytest.approx(start + offset)
    hits = sorted(row["prefix_hit_tokens"] for row in seen)
    assert hits == [0, 0, 16, 32]  # row 2 reuses both blocks of row 1, row 4 the first


def test_telemetry_scraped_equals_the_simulator_truth() -> None:
    tok = SimpleTokenCounter()
    builder = PromptBuilder(settings(prefix_length=32, max_tokens=24, min_tokens=24), "chat", tok)
    with run_in_thread(SimConfig(itl=0.004, max_num_seqs=4)) as sim:
        result = run(sim, builder.build(24), parallel=8, interval=0.05)
        known = truth(sim)
    values = summarize(result.scrapes)
    rows = known["requests"]
    assert values["server_missing"] == []
    assert values["server_ttft_n"] == len(rows) == 24
    assert values["server_ttft_mean"] == pytest.approx(sum(r["ttft"] for r in rows) / 24)
    assert values["server_e2e_mean"] == pytest.approx(sum(r["e2e"] for r in rows) / 24)
    assert values["server_prefix_hits"] == sum(r["prefix_hit_tokens"] for r in rows) > 0
    assert values["server_prefix_queries"] == known["prefix_cache_queries"]
    assert values["server_preemptions"] == known["preemptions"] == 0
    # saturated: every scrape during the window sees all 4 slots busy and 4 waiting
    assert values["server_running_max"] == known["max_running"] == 4
    assert values["server_waiting_max"] == 4
    assert 0 < values["server_kv_usage_max"] <= 1
    assert not math.isnan(values["server_ttft_p50"])


def test_duration_stops_sending_and_counts_what_was_in_flight() -> None:
    tok = SimpleTokenCounter()
    builder = PromptBuilder(settings(max_tokens=20, min_tokens=20), "chat", tok)
    with run_in_thread(SimConfig(itl=0.01)) as sim:
        result = run(sim, builder.build(200), parallel=2, duration=0.5)
    # each request takes ~0.2 s: a few waves fit in 0.5 s, then the in-flight ones finish
    assert 2 <= result.jobs_sent < 200
    assert len(result.records) == result.jobs_sent
    assert all(r.record.ok for r in result.records)
    last_send = max(r.record.send_time for r in result.records)
    assert last_send < result.window_start + 0.5 + 0.05


def test_workers_split_the_load_on_one_clock() -> None:
    tok = SimpleTokenCounter()
    builder = PromptBuilder(settings(), "chat", tok)
    with run_in_thread(SimConfig(itl=0.001)) as sim:
        result = run(sim, builder.build(16), parallel=4, workers=2, rate=200.0)
    assert result.workers == 2 and len(result.records) == 16
    assert all(r.record.ok for r in result.records)
    start = result.window_start
    # one time base: every send happened after the common start, none before its schedule
    assert all(r.record.send_time >= start - 1e-3 for r in result.records)
    assert all(r.record.send_time >= (r.intended_time or 0) - 1e-3 for r in result.records)
    metrics = compute_metrics(result, tok)
    assert metrics["completed"] == 16 and metrics["prompt_mismatches"] == 0
