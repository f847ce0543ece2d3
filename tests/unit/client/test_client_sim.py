"""The clients against the simulator in its own process: what a run produces, not how fast.

Counts, usage, the order of a record's timestamps, the connection limit and the GC state. How
closely the clients measure TTFT/ITL is checked in tests/timing/test_timing_client.py.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from pytest_qnext.client import OpenAIClient, RequestRecord
from pytest_qnext.perf.loadgen import Target, run_point
from pytest_qnext.perf.metrics import compute_metrics
from pytest_qnext.perf.options import PerfSettings
from pytest_qnext.perf.prompts import PromptBuilder, load_perf_tokenizer
from pytest_qnext.sim import parse_spec, run_in_process
from pytest_qnext.tokenizer import load_tokenizer


def test_sharded_pools_keep_the_connection_limit() -> None:
    """max_connections=10 spread over two httpx pools still means 10 requests at a time; every
    record has its tokens, one timestamp per token, in send < first token <= end order."""
    tokens = 8
    with run_in_process(parse_spec("ttft=0.05,itl=0.005,max_num_seqs=1024")) as sim:

        async def main() -> list[RequestRecord]:
            async with OpenAIClient(
                [sim.url], model="qnext-sim", retries=0, max_connections=10
            ) as client:
                return await asyncio.gather(
                    *(
                        client.chat(
                            [{"role": "user", "content": f"limit {i}"}],
                            max_tokens=tokens,
                            ignore_eos=True,
                        )
                        for i in range(30)
                    )
                )

        records = asyncio.run(main())
        stats = sim.stats()
    assert all(r.ok for r in records), [r.error for r in records if not r.ok][:3]
    assert stats["max_running"] == 10
    assert all(r.completion_tokens == tokens == len(r.chunk_times) for r in records)
    # send_time is when the request went to the socket: never after the first byte of the answer
    for r in records:
        assert r.first_token_time == r.chunk_times[0]
        assert r.send_time < r.first_token_time <= r.chunk_times[-1] <= r.end_time
        assert r.chunk_times == sorted(r.chunk_times)


def test_perf_path_seed_shape_counts(seed_shape: Any) -> None:
    """The perf load generator with the seed's request shape (tests/conftest.py's SeedShape),
    the real Qwen3 tokenizer in the prompt builder and in the simulator: usage is exact and
    agrees with a client re-count."""
    requests = seed_shape.requests(8)
    spec = parse_spec(f"ttft=0,itl=0,tokenizer={seed_shape.tokenizer}")
    with run_in_process(spec) as sim:
        run = run_point(
            Target((sim.url,), "qnext-sim"), requests[4:], parallel=4, warmup=requests[:4]
        )
    m = compute_metrics(run, seed_shape.counter)
    assert m["errors"] == 0 and m["completed"] == 4
    truth = load_tokenizer(seed_shape.tokenizer)
    assert len(run.records) == 4
    for r in run.records:
        assert r.record.completion_tokens == 256
        assert r.record.prompt_tokens == truth.count_chat(r.request.messages)
    assert m["completion_mismatches"] == 0
    assert m["recount_mismatches"] == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_run_point_restores_the_gc_state(enabled: bool) -> None:
    with run_in_process(parse_spec("ttft=0,itl=0")) as sim:
        settings = PerfSettings(min_prompt_length=16, max_prompt_length=16, max_tokens=4)
        counter, _ = load_perf_tokenizer(None)
        requests = PromptBuilder(settings, "chat", counter).build(4)
        if not enabled:
            gc.disable()
        try:
            run = run_point(Target((sim.url,), "qnext-sim"), requests, parallel=2)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
    assert len(run.records) == 4 and all(r.record.ok for r in run.records)
