"""The simulator's latency model, measured by a plain httpx client against its own process.

Timing bounds are loose (two shared cores); the measured numbers are printed. What these
streams must contain (token counts, slots, faults) is checked in the unit suite
(tests/unit/sim/).
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_qnext.sim import SimConfig, parse_spec, run_in_process
from pytest_qnext.tokenizer import load_tokenizer

pytestmark = pytest.mark.timing


async def _timed_stream(
    client: httpx.AsyncClient, url: str, i: int, n: int, content: str = "timing probe"
) -> dict[str, Any]:
    """One streamed request: its TTFT, the gaps between content chunks, the chunk count."""
    body = {
        "messages": [{"role": "user", "content": f"{content} {i}"}],
        "max_tokens": n,
        "ignore_eos": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    loop = asyncio.get_running_loop()
    times: list[float] = []
    sent = loop.time()
    async with client.stream("POST", url + "/chat/completions", json=body) as resp:
        async for line in resp.aiter_lines():
            if '"content":"' in line and '"role"' not in line:
                times.append(loop.time())
    return {
        "ttft": times[0] - sent,
        "gaps": [b - a for a, b in itertools.pairwise(times)],
        "chunks": len(times),
    }


def _measure(url: str, streams: int, n: int, content: str = "timing probe") -> list[dict[str, Any]]:
    """`streams` concurrent streams of `n` tokens each."""

    async def run() -> list[dict[str, Any]]:
        limits = httpx.Limits(max_connections=streams + 4)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            return await asyncio.gather(
                *(_timed_stream(client, url, i, n, content) for i in range(streams))
            )

    return asyncio.run(run())


@pytest.mark.parametrize("streams", [1, 16])
def test_stream_timing_matches_latency_model(streams: int) -> None:
    ttft, itl, prefill, n = 0.05, 0.01, 0.0005, 40
    config = parse_spec(f"ttft={ttft},itl={itl},prefill_per_token={prefill}")
    with run_in_process(config) as sim:
        _measure(sim.url, 1, 3)  # warm the connection path
        sim.reset()
        results = _measure(sim.url, streams, n)
        stats = sim.stats()
    prompt_tokens = stats["prompt_tokens"] // streams
    expected_ttft = ttft + prefill * prompt_tokens
    ttfts = [r["ttft"] for r in results]
    gaps = [g for r in results for g in r["gaps"]]
    mean_ttft, mean_gap = statistics.fmean(ttfts), statistics.fmean(gaps)
    ttft_err = (mean_ttft - expected_ttft) * 1000
    print(
        f"\n{streams} streams: TTFT mean {mean_ttft * 1000:.1f} ms"
        f" (model {expected_ttft * 1000:.1f}, error {ttft_err:+.1f} ms);"
        f" ITL mean {mean_gap * 1000:.2f} ms (model {itl * 1000:.1f},"
        f" error {(mean_gap - itl) * 1000:+.2f} ms); server first-token lag mean"
        f" {stats['first_token_lag_mean_ms']:.1f} ms, write lag mean"
        f" {stats['write_lag_mean_ms']:.2f} ms, max {stats['write_lag_max_ms']:.1f} ms"
    )
    assert all(r["chunks"] == n for r in results)
    assert stats["completed"] == streams
    # absolute deadlines: the stream's total duration does not drift with n
    assert expected_ttft * 0.9 <= mean_ttft <= expected_ttft + 0.25
    assert itl * 0.8 <= mean_gap <= itl * 3
    total = statistics.fmean(r["ttft"] + sum(r["gaps"]) for r in results)
    assert total <= expected_ttft + (n - 1) * itl + 0.3


def test_batch_slowdown_stretches_inter_token_gaps() -> None:
    """ITL = itl * (1 + batch_slowdown * (running - 1)): 6 streams at slowdown 1 -> ~6x."""
    with run_in_process(SimConfig(itl=0.01, batch_slowdown=1.0)) as sim:
        _measure(sim.url, 1, 3)  # warm the connection path

        def mean_middle_gap(streams: int) -> float:
            results = _measure(sim.url, streams, 12)
            middle = [g for r in results for g in r["gaps"][3:-3]]  # all streams running here
            return statistics.fmean(middle)

        single, six = mean_middle_gap(1), mean_middle_gap(6)
    print(f"\nmean ITL: 1 stream {single * 1e3:.1f} ms, 6 streams {six * 1e3:.1f} ms (model 10/60)")
    assert 0.008 <= single <= 0.03
    assert 0.045 <= six <= 0.1


def test_max_num_seqs_makes_later_requests_wait() -> None:
    """2 slots, 6 concurrent requests of ~0.05 + 4 * 0.01 = 0.09 s each: the last pair waited
    at least two turns for a slot, so its TTFT is >= 0.12 s above the first pair's."""
    with run_in_process(SimConfig(max_num_seqs=2, ttft=0.05, itl=0.01)) as sim:
        _measure(sim.url, 1, 3)  # warm the connection path
        ttfts = sorted(r["ttft"] for r in _measure(sim.url, 6, 5))
    print("\nttfts", [round(t, 3) for t in ttfts])
    assert ttfts[-1] >= ttfts[0] + 0.12


def test_stall_pauses_mid_stream() -> None:
    with run_in_process(SimConfig(stall_rate=1.0, stall_s=0.4, itl=0.001)) as sim:
        (result,) = _measure(sim.url, 1, 40)
    gaps = result["gaps"]
    print(f"\nlargest gap {max(gaps):.3f}s (stall_s=0.4)")
    assert max(gaps) >= 0.35
    # the pause is in the middle: tokens arrived before and after it
    where = gaps.index(max(gaps))
    assert 0 < where < len(gaps) - 1


def test_prefill_waits_for_the_exact_count(qwen3_tokenizer_path: Path) -> None:
    """TTFT = prefill_per_token * the prompt's exact Qwen3 chat-template token count."""
    tokenizer = str(qwen3_tokenizer_path)
    config = SimConfig(tokenizer=tokenizer, ttft=0.0, prefill_per_token=0.002)
    content = "count me " * 40
    with run_in_process(config) as sim:
        (result,) = _measure(sim.url, 1, 2, content)
    messages = [{"role": "user", "content": f"{content} 0"}]
    expected = 0.002 * load_tokenizer(tokenizer).count_chat(messages)
    print(f"\nTTFT {result['ttft'] * 1000:.1f} ms, prefill model {expected * 1000:.1f} ms")
    assert result["ttft"] >= expected * 0.95
