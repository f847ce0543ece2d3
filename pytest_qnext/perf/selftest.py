"""The client's own capacity, measured at start-up: a short zero-latency self-test.

A simulator with no latency runs in a thread of this process (an in-process sink) and one
sender streams `STREAMS` requests of the configured output length at it for about
`SECONDS`: the requests and output tokens per second it reaches are what this client can
push at best (the sink shares the process, so it is a lower bound of the sender alone). The
header states it, and the point notes warn when a point's measured load is within 2x of it
(the client, not the server, may then be what limits the numbers): add --qnext-perf-workers.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["SECONDS", "STREAMS", "capacity_line", "client_capacity"]

STREAMS = 32
SECONDS = 0.5
_PROMPT_TOKENS = 16


def client_capacity(output_tokens: int) -> dict[str, float]:
    """{"request_throughput", "output_throughput"} of one sender against a zero-latency sink."""
    from pytest_qnext.perf.loadgen import Target, run_point
    from pytest_qnext.perf.options import PerfSettings
    from pytest_qnext.perf.prompts import PromptBuilder
    from pytest_qnext.sim import SimConfig, create_app
    from pytest_qnext.sim.runner import serve_app_in_thread
    from pytest_qnext.tokenizer import SimpleTokenCounter

    tokens = max(1, min(output_tokens, 1024))
    settings = PerfSettings(
        min_prompt_length=_PROMPT_TOKENS,
        max_prompt_length=_PROMPT_TOKENS,
        min_tokens=tokens,
        max_tokens=tokens,
        extra_args={"ignore_eos": True},
    )
    builder = PromptBuilder(settings, "chat", SimpleTokenCounter())
    server = serve_app_in_thread(create_app(SimConfig()))
    try:
        target = Target((server.url,), "qnext-sim")
        started = time.perf_counter()
        run_point(target, builder.build(STREAMS), parallel=STREAMS)  # warm connections
        first = max(time.perf_counter() - started, 1e-3)
        number = max(STREAMS, int(STREAMS * SECONDS / first))
        run = run_point(target, builder.build(number, start=10_000), parallel=STREAMS)
    finally:
        server.stop()
    done = [r for r in run.records if r.record.ok]
    return {
        "request_throughput": len(done) / run.duration,
        "output_throughput": sum(r.record.completion_tokens or 0 for r in done) / run.duration,
    }


def capacity_line(capacity: dict[str, Any], workers: int, rates: tuple[float, ...]) -> str:
    """The header line, with a warning when an asked rate is within 2x of the capacity."""
    req, tok = capacity["request_throughput"], capacity["output_throughput"]
    line = (
        f"qnext perf: client capacity (zero-latency self-test, one sender, {STREAMS} streams): "
        f"{req:.0f} req/s, {tok:.0f} output tok/s"
    )
    if workers > 1:
        line += f"; {workers} sender processes share each point"
    close = [r for r in rates if r * 2 >= req * workers]
    if close:
        line += (
            f"; WARNING: --qnext-rate {close[0]:g} is within 2x of it, the client may limit "
            "the load (add --qnext-perf-workers)"
        )
    return line
