"""Perf options (`pytest -m perf`): the sweep shape, prompt source, load model and gates."""

from __future__ import annotations

from pathlib import Path
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

__all__ = [
    "NUMBER_FACTOR",
    "OUTPUT_TOKENS",
    "PERF",
    "PERF_DATASETS",
    "PERF_SAMPLING",
    "PROMPT_TOKENS",
]

PERF_DATASETS = ("random", "openqa", "line_by_line", "custom", "multi_turn", "trace")
NUMBER_FACTOR = 10  # --qnext-number defaults to this many requests per parallel stream
PROMPT_TOKENS = 1024  # the EvalScope reference sweep: 1024-token prompts ...
OUTPUT_TOKENS = 256  # ... and 256 output tokens
# sampling parameters every perf request sends unless --qnext-extra-args sets them: what
# EvalScope perf sends by default (temperature 0.0), so the reference command compares
PERF_SAMPLING: dict[str, float] = {"temperature": 0.0}


def _slos(flag: str, raw: Any) -> tuple[Any, ...]:
    from pytest_qnext.perf.slo import SLOError, parse_slo

    try:
        return tuple(parse_slo(item) for item in texts(flag, raw))
    except SLOError as exc:
        raise usage_error(flag, str(exc)) from None


def _goodput(flag: str, raw: Any) -> tuple[Any, ...]:
    from pytest_qnext.perf.goodput import GoodputError, parse_goodput

    try:
        return parse_goodput(",".join(texts(flag, raw)))
    except GoodputError as exc:
        raise usage_error(flag, str(exc)) from None


def _find_max(flag: str, raw: Any) -> tuple[Any, ...]:
    from pytest_qnext.perf.slo import SLOError, parse_point_limits

    try:
        return parse_point_limits(",".join(texts(flag, raw)))
    except SLOError as exc:
        raise usage_error(flag, str(exc)) from None


def _search_range(flag: str, raw: Any) -> tuple[float, float]:
    value = text(flag, raw)
    low, sep, high = value.partition(":")
    one = number(minimum=1e-9)
    if not sep:
        raise usage_error(flag, f"{value!r} is not LOW:HIGH, e.g. 1:256")
    lo, hi = one(flag, low), one(flag, high)
    if hi <= lo:
        raise usage_error(flag, f"HIGH {hi:g} must be above LOW {lo:g}")
    return (lo, hi)


def _rates(flag: str, raw: Any) -> tuple[float, ...]:
    one = number(minimum=1e-9)
    items = raw if isinstance(raw, list | tuple) else [raw]
    return tuple(one(flag, p) for item in items for p in str(item).replace(",", " ").split())


def _metrics_url(flag: str, raw: Any) -> str:
    value = text(flag, raw)
    if value.lower() in ("off", "none", "no"):
        return "off"
    if not value.startswith(("http://", "https://")):
        raise usage_error(flag, f"{value!r} is not an http(s) URL or 'off'")
    return value


def _perf_baseline(flag: str, raw: Any) -> Any:
    from pytest_qnext.perf.baseline import load_baseline, resolve_baseline
    from pytest_qnext.perf.slo import SLOError

    given_path = path(flag, raw)
    try:
        load_baseline(given_path)  # unreadable, corrupt or not a perf run: refused now
        return resolve_baseline(given_path)
    except SLOError as exc:
        raise usage_error(flag, str(exc)) from None


def _tokenizer(flag: str, raw: Any) -> str:
    """A local tokenizer folder, or a hub id already in the Hugging Face cache: checked now,
    without the network (pytest-qnext never downloads a tokenizer)."""
    value = text(flag, raw)
    if value in ("", "simple"):
        return value
    local = Path(value).expanduser()
    if local.exists():
        return value
    looks_local = value.startswith(("/", ".", "~")) or value.count("/") > 1 or "\\" in value
    if looks_local:
        raise usage_error(
            flag, f"{value} does not exist; give a folder with tokenizer.json (or a hub id)"
        )
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(value, "tokenizer_config.json")
    except Exception:  # not a valid repo id
        cached = None
    if not isinstance(cached, str):
        raise usage_error(
            flag,
            f"{value!r} is neither a local folder nor a hub id in the Hugging Face cache "
            "(pytest-qnext does not download tokenizers); give the tokenizer's folder, or "
            "download it first (huggingface-cli download ID)",
        )
    return value


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
        _tokenizer,
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
        "Open loop: arrivals at this many requests/s (at most --qnext-parallel in flight); "
        "several values sweep over rates (one point each); intended and actual send times "
        "are recorded.",
        _rates,
        default=(),
        default_text="closed loop",
        ini_type="args",
        nargs="+",
        metavar="REQ_PER_S",
    ),
    Option(
        "--qnext-burstiness",
        "Open loop: shape of the gamma-distributed gaps between arrivals (1 = Poisson; "
        "below 1 burstier, above 1 more regular).",
        number(minimum=1e-6),
        default=1.0,
        metavar="K",
    ),
    Option(
        "--qnext-duration",
        "A point stops sending after this many seconds (requests in flight then finish and "
        "count; --qnext-number stays the most it sends).",
        number(minimum=1e-3),
        default_text="until --qnext-number requests were sent",
        metavar="SECONDS",
    ),
    Option(
        "--qnext-prefix-length",
        "random dataset: every prompt starts with the same N tokens (then a unique part of "
        "the prompt length), to exercise the server's prefix cache.",
        integer(minimum=0),
        default=0,
        metavar="N",
    ),
    Option(
        "--qnext-turns",
        "multi_turn dataset without a file: user turns per synthetic conversation (each of "
        "the prompt length; replies of the output length).",
        integer(minimum=1),
        default=3,
        metavar="K",
    ),
    Option(
        "--qnext-trace-speed",
        "trace dataset: replay speed factor (2 = twice as fast as recorded).",
        number(minimum=1e-6),
        default=1.0,
        metavar="X",
    ),
    Option(
        "--qnext-trace-block-size",
        "trace dataset: tokens per hash id (shared prompt block) of the trace.",
        integer(minimum=1),
        default=512,
        metavar="N",
    ),
    Option(
        "--qnext-goodput",
        "Per-request SLOs: a request is good when it meets every limit, e.g. "
        "'ttft<=0.5,tpot<=0.05' (ttft, tpot, e2e, itl; seconds or ms); points report "
        "good_fraction, goodput and good_output_throughput.",
        _goodput,
        default=(),
        ini_type="args",
        action="append",
        metavar="LIMITS",
    ),
    Option(
        "--qnext-find-max",
        "Capacity search: the highest load (concurrency, or rate with --qnext-rate) whose "
        "point meets every limit, e.g. 'ttft_p99<=2.0,tpot_p99<=0.05'; one item per probe.",
        _find_max,
        default=(),
        ini_type="args",
        action="append",
        metavar="LIMITS",
    ),
    Option(
        "--qnext-find-max-range",
        "Capacity search: lowest and highest load probed, LOW:HIGH.",
        _search_range,
        default=(1.0, 256.0),
        default_text="1:256",
        metavar="LOW:HIGH",
    ),
    Option(
        "--qnext-find-max-step",
        "Capacity search: resolution of the answer (streams, or requests/s).",
        number(minimum=1e-9),
        default=1.0,
        metavar="STEP",
    ),
    Option(
        "--qnext-find-max-probes",
        "Capacity search: most probes (items) it may run, repeats included.",
        integer(minimum=2),
        default=10,
        metavar="N",
    ),
    Option(
        "--qnext-metrics-url",
        "Prometheus /metrics of the server, scraped before, during and after each point "
        "('off' to skip).",
        _metrics_url,
        default_text="the server's base URL without /v1, plus /metrics",
        metavar="URL",
    ),
    Option(
        "--qnext-metrics-interval",
        "Seconds between /metrics scrapes during a point.",
        number(minimum=0.01),
        default=1.0,
        metavar="SECONDS",
    ),
    Option(
        "--qnext-perf-workers",
        "Sender processes sharing each point's load (arrivals planned centrally, records "
        "merged on one clock).",
        integer(minimum=1),
        default=1,
        metavar="N",
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
        "Rounds per point (each round runs the whole point; every metric is the mean over "
        "rounds with a 95 percent interval, and baseline comparisons use those intervals).",
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
        "An earlier perf run (its folder, a report root's latest perf run, or its "
        "summary.json): each point fails when a metric regressed by more than "
        "--qnext-max-regression, or when it has no matching point.",
        _perf_baseline,
        metavar="RUN_OR_FILE",
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
