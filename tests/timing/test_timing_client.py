"""Timing honesty of the clients against the simulator in its own process.

The simulator is configured with TTFT 50 ms and inter-token time 10 ms; the tests print what
the clients measured minus that truth. The asserted bounds are deliberately generous (the
machine running the tests is shared and noisy): they catch a client that adds whole waves of
queueing, not milliseconds. `benchmarks/bench_client.py` reports the accuracy properly.
What these runs must produce besides timings (counts, usage, order, GC state) is checked in the
unit suite (tests/unit/client/test_client_sim.py).
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from typing import Any

import pytest

from pytest_qnext.client import OpenAIClient, RequestRecord
from pytest_qnext.perf.loadgen import Target, run_point
from pytest_qnext.perf.metrics import compute_metrics
from pytest_qnext.sim import parse_spec, run_in_process

TTFT = 0.050
ITL = 0.010
STREAMS = 32
BOUND = 0.025  # generous: the real numbers are printed

pytestmark = pytest.mark.timing


def _errors_ms(records: Sequence[RequestRecord]) -> tuple[float, float]:
    """(median TTFT error, median inter-chunk gap error) in milliseconds."""
    ttft = [r.ttft for r in records if r.ttft is not None]
    gaps = [b - a for r in records for a, b in zip(r.chunk_times, r.chunk_times[1:], strict=False)]
    assert len(ttft) == len(records) and gaps
    return (statistics.median(ttft) - TTFT) * 1e3, (statistics.median(gaps) - ITL) * 1e3


async def _rounds(url: str, rounds: int, tokens: int) -> list[RequestRecord]:
    """One warm-up round (opens the connections), then `rounds` timed rounds of 32 streams."""
    async with OpenAIClient([url], model="qnext-sim", retries=0, max_connections=STREAMS) as c:

        async def one_round(k: int) -> list[RequestRecord]:
            return await asyncio.gather(
                *(
                    c.chat(
                        [{"role": "user", "content": f"timing round {k} stream {i}"}],
                        max_tokens=tokens,
                        ignore_eos=True,
                    )
                    for i in range(STREAMS)
                )
            )

        await one_round(0)
        out: list[RequestRecord] = []
        for k in range(1, rounds + 1):
            out += await one_round(k)
        return out


def test_openai_client_measures_ttft_and_itl_at_32_streams() -> None:
    tokens = 48
    with run_in_process(parse_spec(f"ttft={TTFT},itl={ITL},max_num_seqs=1024")) as sim:
        records = asyncio.run(_rounds(sim.url, 2, tokens))
        stats = sim.stats()
    assert all(r.ok for r in records), [r.error for r in records if not r.ok][:3]
    ttft_err, itl_err = _errors_ms(records)
    print(
        f"\nOpenAIClient, {STREAMS} streams x {tokens} tokens: median TTFT error "
        f"{ttft_err:+.2f} ms, median ITL error {itl_err:+.3f} ms (simulator's own first-token "
        f"lag {stats['first_token_lag_mean_ms']:.2f} ms mean)"
    )
    assert abs(ttft_err) < BOUND * 1e3
    assert abs(itl_err) < BOUND * 1e3


def test_perf_path_seed_shape_at_parallel_32(seed_shape: Any) -> None:
    """The perf load generator with the seed's request shape (tests/conftest.py's SeedShape),
    the real Qwen3 tokenizer in the prompt builder and in the simulator."""
    requests = seed_shape.requests(3 * STREAMS)
    spec = parse_spec(f"ttft={TTFT},itl={ITL},max_num_seqs=1024,tokenizer={seed_shape.tokenizer}")
    with run_in_process(spec) as sim:
        run = run_point(
            Target((sim.url,), "qnext-sim"),
            requests[STREAMS:],
            parallel=STREAMS,
            warmup=requests[:STREAMS],
        )
    m = compute_metrics(run, seed_shape.counter)
    print(
        f"\nperf path, parallel {STREAMS}, 1024/256 tokens, Qwen3: TTFT p50 error "
        f"{(m['ttft_p50'] - TTFT) * 1e3:+.2f} ms, TPOT p50 error "
        f"{(m['tpot_p50'] - ITL) * 1e3:+.3f} ms, achieved concurrency "
        f"{m['achieved_concurrency']:.2f}, client loop lag p99 {m['loop_lag_p99'] * 1e3:.2f} ms"
    )
    assert m["errors"] == 0
    assert abs(m["ttft_p50"] - TTFT) < BOUND
    assert abs(m["tpot_p50"] - ITL) < BOUND
    assert m["achieved_concurrency"] > STREAMS * 0.8
