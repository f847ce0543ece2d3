"""Perf options (`pytest -m perf`): the sweep shape, prompt source, load model and gates."""

from __future__ import annotations

from typing import Any

from pytest_qnext.options.values import (
    Option,
    choice,
    existing_file,
    integer,
    integers,
    number,
    path,
    request_params,
    text,
    texts,
    usage_error,
)

__all__ = ["NUMBER_FACTOR", "OUTPUT_TOKENS", "PERF", "PERF_DATASETS", "PROMPT_TOKENS"]

PERF_DATASETS = ("random", "openqa", "line_by_line", "custom")
NUMBER_FACTOR = 10  # --qnext-number defaults to this many requests per parallel stream
PROMPT_TOKENS = 1024  # the EvalScope reference sweep: 1024-token prompts ...
OUTPUT_TOKENS = 256  # ... and 256 output tokens


def _slos(flag: str, raw: Any) -> tuple[Any, ...]:
    from pytest_qnext.perf.slo import SLOError, parse_slo

    try:
        return tuple(parse_slo(item) for item in texts(flag, raw))
    except SLOError as exc:
        raise usage_error(flag, str(exc)) from None


def _regression(flag: str, raw: Any) -> float:
    from pytest_qnext.perf.slo import SLOError, parse_regression

    try:
        return parse_regression(text(flag, raw))
    except SLOError as exc:
        raise usage_error(flag, str(exc)) from None


PERF: tuple[Option, ...] = (
    Option(
        "--qnext-parallel",
        "Concurrent requests of each sweep point (closed loop: this many always in flight).",
        integers(minimum=1),
        default=(1,),
        ini_type="args",
        nargs="+",
        metavar="N",
    ),
    Option(
        "--qnext-number",
        "Measured requests of each sweep point, paired with --qnext-parallel (same count of "
        "values), or one value for every point.",
        integers(minimum=1),
        default=(),
        default_text=f"{NUMBER_FACTOR} x parallel",
        ini_type="args",
        nargs="+",
        metavar="N",
    ),
    Option(
        "--qnext-perf-dataset",
        f"Prompt source: {', '.join(PERF_DATASETS)} (openqa/line_by_line: a text or JSONL file of "
        'prompts; custom: JSONL of {"messages": [...]}; both via --qnext-perf-dataset-path).',
        choice(PERF_DATASETS),
        default="random",
        metavar="NAME",
    ),
    Option(
        "--qnext-perf-dataset-path",
        "Prompt file for the openqa, line_by_line and custom datasets.",
        existing_file,
        metavar="FILE",
    ),
    Option(
        "--qnext-min-prompt-length",
        "Shortest prompt in tokens (random dataset).",
        integer(minimum=1),
        default=PROMPT_TOKENS,
        metavar="N",
    ),
    Option(
        "--qnext-max-prompt-length",
        "Longest prompt in tokens (random dataset).",
        integer(minimum=1),
        default=PROMPT_TOKENS,
        metavar="N",
    ),
    Option(
        "--qnext-min-tokens",
        "Fewest output tokens asked for (sent as min_tokens).",
        integer(minimum=0),
        default=OUTPUT_TOKENS,
        metavar="N",
    ),
    Option(
        "--qnext-max-tokens",
        "Most output tokens asked for (sent as max_tokens).",
        integer(minimum=1),
        default=OUTPUT_TOKENS,
        metavar="N",
    ),
    Option(
        "--qnext-tokenizer",
        "Tokenizer folder or hub id for exact prompt lengths and output re-counts (the "
        "simulator uses it too).",
        text,
        default_text="a built-in simple tokenizer (lengths approximate)",
        env=("QNEXT_TOKENIZER",),
        metavar="PATH_OR_HUB_ID",
    ),
    Option(
        "--qnext-extra-args",
        "JSON object merged into every perf request body, e.g. '{\"ignore_eos\": true}'.",
        request_params("'{\"ignore_eos\": true}'"),
        default={},
        metavar="JSON",
    ),
    Option(
        "--qnext-rate",
        "Open loop: Poisson arrivals at this many requests/s (at most --qnext-parallel in "
        "flight); intended and actual send times are recorded.",
        number(minimum=1e-9),
        default_text="closed loop",
        metavar="REQ_PER_S",
    ),
    Option(
        "--qnext-warmup",
        "Requests sent before each point's measurement window and left out of its metrics.",
        integer(minimum=0),
        default=0,
        metavar="N",
    ),
    Option(
        "--qnext-seed",
        "Seed of perf prompt and arrival draws and of capability bootstrap CIs.",
        integer(minimum=0),
        default=0,
        metavar="N",
    ),
    Option(
        "--qnext-perf-rounds",
        "pytest-benchmark rounds per point (each round runs the whole point; metrics come "
        "from the last).",
        integer(minimum=1),
        default=1,
        metavar="N",
    ),
    Option(
        "--qnext-perf-warmup-rounds",
        "pytest-benchmark warmup rounds per point (run, not measured).",
        integer(minimum=0),
        default=0,
        metavar="N",
    ),
    Option(
        "--qnext-slo",
        "A per-point gate 'METRIC<=LIMIT' or 'METRIC>=LIMIT' (e.g. 'ttft_p99<=2.0', "
        "'output_throughput>=500'); repeat for several; seconds for latencies.",
        _slos,
        default=(),
        ini_type="args",
        action="append",
        metavar="GATE",
    ),
    Option(
        "--qnext-perf-baseline",
        "An earlier perf run: its run folder, a report root (its latest-perf run), its "
        "summary.json (or a perf rows JSON); each point fails when a metric regressed by more "
        "than --qnext-max-regression.",
        path,
        metavar="PATH",
    ),
    Option(
        "--qnext-max-regression",
        "Largest allowed regression against --qnext-perf-baseline: a fraction (0.1) or a "
        "percentage (10 followed by a percent sign).",
        _regression,
        default=0.1,
        metavar="PCT",
    ),
)
