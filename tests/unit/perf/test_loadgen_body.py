"""The perf path against the simulator over real sockets: every timed request carries the body
the one builder makes from the prompt source's request (model, stream and usage added)."""

from __future__ import annotations

import json
from typing import Any

from pytest_qnext.client.body import build_body
from pytest_qnext.perf.loadgen import Target, run_point
from pytest_qnext.perf.options import PerfSettings
from pytest_qnext.perf.prompts import PromptBuilder
from pytest_qnext.sim import SimConfig, run_in_thread
from pytest_qnext.tokenizer import SimpleTokenCounter


def canonical(bodies: list[Any]) -> list[str]:
    return sorted(json.dumps(b, sort_keys=True) for b in bodies)


def test_timed_requests_send_the_built_body() -> None:
    settings = PerfSettings(
        min_prompt_length=24,
        max_prompt_length=24,
        min_tokens=4,
        max_tokens=4,
        extra_args={"ignore_eos": True, "temperature": 0},
    )
    builder = PromptBuilder(settings, "chat", SimpleTokenCounter())
    measured, warmup = builder.build(6), builder.build(2, start=100)
    with run_in_thread(SimConfig()) as sim:
        target = Target((sim.url,), "qnext-sim")
        run = run_point(target, measured, parallel=3, warmup=warmup)
        received = sim.requests()
    assert all(r.record.ok for r in run.records + run.warmup_records)
    expected = [
        build_body("chat", "qnext-sim", messages=r.messages, gen_config=r.gen_config, stream=True)
        for r in [*warmup, *measured]
    ]
    assert canonical(received) == canonical(expected)
    assert all(
        b["ignore_eos"] is True and b["max_tokens"] == b["min_tokens"] == 4 for b in received
    )
    assert all(r.record.completion_tokens == 4 for r in run.records)
