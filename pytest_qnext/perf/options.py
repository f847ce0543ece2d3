"""Perf options (`pytest -m perf`): the sweep shape, prompt source, load model and gates.

Each option resolves CLI > ini (`qnext_*`) > env > default through `pytest_qnext.options`, and
`from_config` validates everything once, raising `pytest.UsageError` with one line that names
the option and how to fix it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.options import (
    add_option,
    parse_choice,
    parse_float,
    parse_int,
    resolve,
    usage_error,
)
from pytest_qnext.perf.slo import SLO, SLOError, parse_regression, parse_slo

__all__ = ["DATASETS", "PerfSettings", "SweepPoint", "add_options", "from_config"]

DATASETS = ("random", "openqa", "line_by_line", "custom")
DEFAULT_NUMBER_FACTOR = 10


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: `parallel` streams in flight, `number` measured requests."""

    parallel: int
    number: int

    @property
    def id(self) -> str:
        return f"parallel={self.parallel}-number={self.number}"


@dataclass(frozen=True)
class PerfSettings:
    """The perf sweep asked for, validated."""

    parallel: tuple[int, ...] = (1,)
    number: tuple[int, ...] = ()  # empty = DEFAULT_NUMBER_FACTOR x parallel
    dataset: str = "random"
    dataset_path: Path | None = None
    min_prompt_length: int = 1024
    max_prompt_length: int = 1024
    min_tokens: int = 256
    max_tokens: int = 256
    tokenizer: str | None = None
    extra_args: dict[str, Any] = field(default_factory=dict)
    rate: float | None = None  # None = closed loop
    warmup: int = 0
    seed: int = 0
    rounds: int = 1
    warmup_rounds: int = 0
    slos: tuple[SLO, ...] = ()
    baseline: Path | None = None
    max_regression: float = 0.10

    def points(self) -> list[SweepPoint]:
        """The sweep points, parallel and number paired like EvalScope."""
        if not self.number:
            return [SweepPoint(p, DEFAULT_NUMBER_FACTOR * p) for p in self.parallel]
        if len(self.number) == 1:
            return [SweepPoint(p, self.number[0]) for p in self.parallel]
        return [SweepPoint(p, n) for p, n in zip(self.parallel, self.number, strict=True)]

    @property
    def ignore_eos(self) -> bool:
        return bool(self.extra_args.get("ignore_eos"))

    def header_lines(self) -> list[str]:
        points = " ".join(f"{p.parallel}x{p.number}" for p in self.points())
        load = "closed loop" if self.rate is None else f"open loop, Poisson {self.rate:g} req/s"
        lines = [
            f"qnext perf: points (parallel x number) {points}; {load}; warmup {self.warmup} "
            f"requests; seed {self.seed}; rounds {self.rounds} (+{self.warmup_rounds} warmup)",
            f"qnext perf: dataset {self.dataset}"
            + (f" ({self.dataset_path})" if self.dataset_path else "")
            + f"; prompt {self.min_prompt_length}-{self.max_prompt_length} tokens; output "
            f"{self.min_tokens}-{self.max_tokens} tokens; tokenizer "
            f"{self.tokenizer or 'built-in simple (prompt lengths approximate)'}",
        ]
        if self.extra_args:
            lines.append(f"qnext perf: extra args {json.dumps(self.extra_args, sort_keys=True)}")
        if self.slos or self.baseline:
            gates = ", ".join(str(s) for s in self.slos) or "none"
            base = (
                f"; baseline {self.baseline} (max regression {self.max_regression:.0%})"
                if self.baseline
                else ""
            )
            lines.append(f"qnext perf: SLOs {gates}{base}")
        return lines


def add_options(parser: pytest.Parser) -> None:
    """Declare the `--qnext-*` perf options."""
    many: dict[str, Any] = {"nargs": "+", "metavar": "N"}
    add_option(
        parser,
        "--qnext-parallel",
        "Concurrent requests of each sweep point (closed loop: this many always in flight).",
        default_text="1",
        ini_type="args",
        **many,
    )
    add_option(
        parser,
        "--qnext-number",
        "Measured requests of each sweep point, paired with --qnext-parallel (same count of "
        "values), or one value for every point.",
        default_text=f"{DEFAULT_NUMBER_FACTOR} x parallel",
        ini_type="args",
        **many,
    )
    add_option(
        parser,
        "--qnext-perf-dataset",
        f"Prompt source: {', '.join(DATASETS)} (openqa/line_by_line: a text or JSONL file of "
        'prompts; custom: JSONL of {"messages": [...]}; both via --qnext-perf-dataset-path).',
        default_text="random",
        metavar="NAME",
    )
    add_option(
        parser,
        "--qnext-perf-dataset-path",
        "Prompt file for the openqa, line_by_line and custom datasets.",
        default_text="none",
        metavar="FILE",
    )
    for flag, what, default in (
        ("--qnext-min-prompt-length", "Shortest prompt in tokens (random dataset).", "1024"),
        ("--qnext-max-prompt-length", "Longest prompt in tokens (random dataset).", "1024"),
        ("--qnext-min-tokens", "Fewest output tokens asked for (sent as min_tokens).", "256"),
        ("--qnext-max-tokens", "Most output tokens asked for (sent as max_tokens).", "256"),
    ):
        add_option(parser, flag, what, default_text=default, metavar="N")
    add_option(
        parser,
        "--qnext-tokenizer",
        "Tokenizer folder or hub id for exact prompt lengths and output re-counts (the "
        "simulator uses it too).",
        default_text="a built-in simple tokenizer (lengths approximate)",
        env=("QNEXT_TOKENIZER",),
        metavar="PATH_OR_HUB_ID",
    )
    add_option(
        parser,
        "--qnext-extra-args",
        "JSON object merged into every perf request body, e.g. '{\"ignore_eos\": true}'.",
        default_text="{}",
        metavar="JSON",
    )
    add_option(
        parser,
        "--qnext-rate",
        "Open loop: Poisson arrivals at this many requests/s (at most --qnext-parallel in "
        "flight); intended and actual send times are recorded.",
        default_text="closed loop",
        metavar="REQ_PER_S",
    )
    add_option(
        parser,
        "--qnext-warmup",
        "Requests sent before each point's measurement window and left out of its metrics.",
        default_text="0",
        metavar="N",
    )
    add_option(
        parser,
        "--qnext-seed",
        "Seed of perf prompt and arrival draws and of capability bootstrap CIs.",
        default_text="0",
        metavar="N",
    )
    add_option(
        parser,
        "--qnext-perf-rounds",
        "pytest-benchmark rounds per point (each round runs the whole point; metrics come "
        "from the last).",
        default_text="1",
        metavar="N",
    )
    add_option(
        parser,
        "--qnext-perf-warmup-rounds",
        "pytest-benchmark warmup rounds per point (run, not measured).",
        default_text="0",
        metavar="N",
    )
    add_option(
        parser,
        "--qnext-slo",
        "A per-point gate 'METRIC<=LIMIT' or 'METRIC>=LIMIT' (e.g. 'ttft_p99<=2.0', "
        "'output_throughput>=500'); repeat for several; seconds for latencies.",
        default_text="none",
        ini_type="args",
        action="append",
        metavar="GATE",
    )
    add_option(
        parser,
        "--qnext-perf-baseline",
        "summary.json (or perf rows JSON) of an earlier run: each point fails when a metric "
        "regressed by more than --qnext-max-regression.",
        default_text="none",
        metavar="FILE",
    )
    add_option(
        parser,
        "--qnext-max-regression",
        "Largest allowed regression against --qnext-perf-baseline: a fraction (0.1) or a "
        "percentage (10 followed by a percent sign).",
        default_text="0.1",
        metavar="PCT",
    )


def _int_list(flag: str, value: object) -> tuple[int, ...]:
    items = value if isinstance(value, list | tuple) else str(value).split()
    parts: list[str] = []
    for item in items:
        parts.extend(p for p in str(item).replace(",", " ").split() if p)
    return tuple(parse_int(flag, p, minimum=1) for p in parts)


def _extra_args(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    try:
        data = json.loads(str(value))
    except json.JSONDecodeError as exc:
        raise usage_error(
            "--qnext-extra-args",
            f"not valid JSON ({exc.msg}); give an object like '{{\"ignore_eos\": true}}'",
        ) from None
    if not isinstance(data, dict):
        raise usage_error(
            "--qnext-extra-args", "must be a JSON object like '{\"ignore_eos\": true}'"
        )
    return data


def _range(
    config: pytest.Config, low_flag: str, high_flag: str, default: int, low_min: int
) -> tuple[int, int]:
    """(low, high) of a min/max option pair; a missing bound follows the given one."""
    raw_low, raw_high = resolve(config, low_flag), resolve(config, high_flag)
    high = None if raw_high is None else parse_int(high_flag, raw_high, minimum=max(low_min, 1))
    low = (
        parse_int(low_flag, raw_low, minimum=low_min)
        if raw_low is not None
        else min(default, high if high is not None else default)
    )
    if high is None:
        high = max(low, default, 1)
    if high < low:
        raise usage_error(high_flag, f"{high} is below {low_flag} {low}")
    return low, high


def from_config(config: pytest.Config) -> PerfSettings:
    """Resolve and validate the perf options (one-line UsageError on bad values)."""
    parallel = _int_list("--qnext-parallel", resolve(config, "--qnext-parallel", default=["1"]))
    number = _int_list("--qnext-number", resolve(config, "--qnext-number", default=[]))
    if len(number) > 1 and len(number) != len(parallel):
        raise usage_error(
            "--qnext-number",
            f"{len(number)} values given for {len(parallel)} --qnext-parallel values; give one "
            "number per parallel value (paired like EvalScope) or a single number for all",
        )
    dataset = parse_choice(
        "--qnext-perf-dataset", resolve(config, "--qnext-perf-dataset", default="random"), DATASETS
    )
    raw_path = resolve(config, "--qnext-perf-dataset-path")
    dataset_path = Path(str(raw_path)).expanduser() if raw_path else None
    if dataset != "random":
        if dataset_path is None:
            raise usage_error(
                "--qnext-perf-dataset-path",
                f"the {dataset} dataset needs a prompt file; give --qnext-perf-dataset-path FILE",
            )
        if not dataset_path.is_file():
            raise usage_error("--qnext-perf-dataset-path", f"{dataset_path} is not a file")

    def number_of(flag: str, default: int, minimum: int) -> int:
        return parse_int(flag, resolve(config, flag, default=default), minimum=minimum)

    min_prompt, max_prompt = _range(
        config, "--qnext-min-prompt-length", "--qnext-max-prompt-length", 1024, 1
    )
    min_tokens, max_tokens = _range(config, "--qnext-min-tokens", "--qnext-max-tokens", 256, 0)
    raw_rate = resolve(config, "--qnext-rate")
    rate = None if raw_rate is None else parse_float("--qnext-rate", raw_rate, minimum=1e-9)
    slos: list[SLO] = []
    for text in resolve(config, "--qnext-slo", default=[]) or []:
        try:
            slos.append(parse_slo(str(text)))
        except SLOError as exc:
            raise usage_error("--qnext-slo", str(exc)) from None
    raw_base = resolve(config, "--qnext-perf-baseline")
    baseline = Path(str(raw_base)).expanduser() if raw_base else None
    if baseline is not None and not baseline.is_file():
        raise usage_error("--qnext-perf-baseline", f"{baseline} is not a file")
    try:
        max_regression = parse_regression(
            str(resolve(config, "--qnext-max-regression", default="10%"))
        )
    except SLOError as exc:
        raise usage_error("--qnext-max-regression", str(exc)) from None
    tokenizer = resolve(config, "--qnext-tokenizer", env=("QNEXT_TOKENIZER",))
    return PerfSettings(
        parallel=parallel,
        number=number,
        dataset=dataset,
        dataset_path=dataset_path,
        min_prompt_length=min_prompt,
        max_prompt_length=max_prompt,
        min_tokens=min_tokens,
        max_tokens=max_tokens,
        tokenizer=str(tokenizer) if tokenizer else None,
        extra_args=_extra_args(resolve(config, "--qnext-extra-args")),
        rate=rate,
        warmup=number_of("--qnext-warmup", 0, 0),
        seed=number_of("--qnext-seed", 0, 0),
        rounds=number_of("--qnext-perf-rounds", 1, 1),
        warmup_rounds=number_of("--qnext-perf-warmup-rounds", 0, 0),
        slos=tuple(slos),
        baseline=baseline,
        max_regression=max_regression,
    )
