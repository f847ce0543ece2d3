"""Perf settings (`pytest -m perf`): the sweep shape, prompt source, load model and gates.

Each option is declared in the option table (options.py) and resolves CLI > ini (`qnext_*`) >
env > default; `from_config` adds the checks between options, raising `pytest.UsageError`
with one line that names the option and how to fix it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_qnext.options import NUMBER_FACTOR, PERF_DATASETS, default, given, value
from pytest_qnext.options.perf import PERF_SAMPLING
from pytest_qnext.options.values import usage_error
from pytest_qnext.perf.slo import SLO

if TYPE_CHECKING:
    from pytest_qnext.perf.goodput import RequestLimit

__all__ = ["DATASETS", "PerfSettings", "SweepPoint", "from_config"]

DATASETS = PERF_DATASETS


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: `parallel` streams in flight (the cap of an open loop), `number`
    measured requests (multi_turn: conversations), `rate` requests/s of an open loop."""

    parallel: int
    number: int
    rate: float | None = None

    @property
    def id(self) -> str:
        base = f"parallel={self.parallel}-number={self.number}"
        return base if self.rate is None else f"{base}-rate={self.rate:g}"


@dataclass(frozen=True)
class PerfSettings:
    """The perf sweep asked for, validated."""

    parallel: tuple[int, ...] = default("--qnext-parallel")
    number: tuple[int, ...] = default("--qnext-number")  # empty = NUMBER_FACTOR x parallel
    dataset: str = default("--qnext-perf-dataset")
    dataset_path: Path | None = default("--qnext-perf-dataset-path")
    min_prompt_length: int = default("--qnext-min-prompt-length")
    max_prompt_length: int = default("--qnext-max-prompt-length")
    min_tokens: int = default("--qnext-min-tokens")
    max_tokens: int = default("--qnext-max-tokens")
    tokenizer: str | None = default("--qnext-tokenizer")
    extra_args: dict[str, Any] = field(default_factory=partial(default, "--qnext-extra-args"))
    rates: tuple[float, ...] = default("--qnext-rate")  # empty = closed loop
    burstiness: float = default("--qnext-burstiness")
    duration: float | None = default("--qnext-duration")
    prefix_length: int = default("--qnext-prefix-length")
    turns: int = default("--qnext-turns")
    trace_speed: float = default("--qnext-trace-speed")
    trace_block_size: int = default("--qnext-trace-block-size")
    goodput: tuple[RequestLimit, ...] = default("--qnext-goodput")
    find_max: tuple[SLO, ...] = default("--qnext-find-max")
    find_max_range: tuple[float, float] = default("--qnext-find-max-range")
    find_max_step: float = default("--qnext-find-max-step")
    find_max_probes: int = default("--qnext-find-max-probes")
    metrics_url: str | None = default("--qnext-metrics-url")  # None = derived, "off" = none
    metrics_interval: float = default("--qnext-metrics-interval")
    workers: int = default("--qnext-perf-workers")
    warmup: int = default("--qnext-warmup")
    seed: int = default("--qnext-seed")
    rounds: int = default("--qnext-perf-rounds")
    warmup_rounds: int = default("--qnext-perf-warmup-rounds")
    slos: tuple[SLO, ...] = default("--qnext-slo")
    baseline: Path | None = default("--qnext-perf-baseline")
    max_regression: float = default("--qnext-max-regression")

    @property
    def rate(self) -> float | None:
        """The rate of a single-rate open loop (None: closed loop)."""
        return self.rates[0] if self.rates else None

    @property
    def search_over(self) -> str:
        """What the capacity search varies: "rate" with --qnext-rate, else "concurrency"."""
        return "rate" if self.rates else "concurrency"

    def number_for(self, parallel: int, rate: float | None = None) -> int:
        """Measured requests of a point (of a capacity probe too)."""
        if self.number:
            return self.number[0]
        if rate is not None and self.find_max:
            return max(NUMBER_FACTOR, math.ceil(NUMBER_FACTOR * rate))
        return NUMBER_FACTOR * parallel

    def points(self) -> list[SweepPoint]:
        """The sweep points, parallel and number paired like EvalScope; with several rates,
        one point per rate (paired with the parallel values, or all with the one given).
        A capacity search (--qnext-find-max) replaces the sweep unless --qnext-parallel was
        given with more than one value."""
        if self.find_max and len(self.parallel) < 2:
            return []
        if not self.number:
            base = [SweepPoint(p, NUMBER_FACTOR * p) for p in self.parallel]
        elif len(self.number) == 1:
            base = [SweepPoint(p, self.number[0]) for p in self.parallel]
        else:
            base = [SweepPoint(p, n) for p, n in zip(self.parallel, self.number, strict=True)]
        if not self.rates:
            return base
        if len(self.rates) == 1 or len(base) == 1:
            return [SweepPoint(b.parallel, b.number, r) for b in base for r in self.rates]
        return [SweepPoint(b.parallel, b.number, r) for b, r in zip(base, self.rates, strict=True)]

    @property
    def ignore_eos(self) -> bool:
        return bool(self.extra_args.get("ignore_eos"))

    @property
    def gen_config(self) -> dict[str, Any]:
        """The generation parameters of every request (trace rows set their own lengths)."""
        gen: dict[str, Any] = {"max_tokens": self.max_tokens}
        if self.min_tokens > 0:
            gen["min_tokens"] = self.min_tokens
        gen.update(PERF_SAMPLING)
        gen.update(self.extra_args)
        return gen

    def template_line(self, model: str = "<model>") -> str:
        """The request body sent (prompt left out), as the header prints it."""
        from pytest_qnext.client.body import build_body, encode_body

        prompt = "<prompt>"
        if self.dataset == "custom":
            body = build_body("chat", model, messages=[], gen_config=self.gen_config, stream=True)
            body["messages"] = "<messages from the file>"
        else:
            message = [{"role": "user", "content": prompt}]
            body = build_body(
                "chat", model, messages=message, gen_config=self.gen_config, stream=True
            )
        return "qnext perf: request body (chat API): " + encode_body(body).decode("utf-8")

    def _load_text(self) -> str:
        if not self.rates:
            return "closed loop"
        kind = "Poisson" if self.burstiness == 1 else f"gamma (burstiness {self.burstiness:g})"
        rates = ", ".join(f"{r:g}" for r in self.rates)
        return f"open loop, {kind} {rates} req/s"

    def header_lines(self) -> list[str]:
        points = " ".join(
            f"{p.parallel}x{p.number}" + (f"@{p.rate:g}/s" if p.rate is not None else "")
            for p in self.points()
        )
        load = self._load_text()
        if self.duration is not None:
            load += f"; each point sends for at most {self.duration:g} s"
        if self.workers > 1:
            load += f"; {self.workers} sender processes"
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
        lines.append(self.template_line())
        if self.prefix_length:
            lines.append(f"qnext perf: shared prompt prefix of {self.prefix_length} tokens")
        if self.goodput:
            limits = ", ".join(str(g) for g in self.goodput)
            lines.append(f"qnext perf: goodput: a request is good when {limits}")
        if self.find_max:
            low, high = self.find_max_range
            limits = ", ".join(str(s) for s in self.find_max)
            lines.append(
                f"qnext perf: capacity search over {self.search_over} in {low:g}..{high:g} "
                f"(step {self.find_max_step:g}, at most {self.find_max_probes} probes): "
                f"highest load meeting {limits}"
            )
        if self.slos or self.baseline:
            gates = ", ".join(str(s) for s in self.slos) or "none"
            base = (
                f"; baseline {self.baseline} (max regression {self.max_regression:.0%})"
                if self.baseline
                else ""
            )
            lines.append(f"qnext perf: SLOs {gates}{base}")
        return lines


def _range(config: pytest.Config, low_flag: str, high_flag: str) -> tuple[int, int]:
    """(low, high) of a min/max option pair; a missing bound follows the given one."""
    low, high = given(config, low_flag), given(config, high_flag)
    if low is None:
        low = default(low_flag) if high is None else min(default(low_flag), high)
    if high is None:
        high = max(low, default(high_flag))
    if high < low:
        raise usage_error(high_flag, f"{high} is below {low_flag} {low}")
    return low, high


def _needs(config: pytest.Config, flag: str, ok: bool, what: str) -> None:
    if not ok and given(config, flag) is not None:
        raise usage_error(flag, what)


def _check_combinations(
    config: pytest.Config, dataset: str, parallel: tuple[int, ...], number: tuple[int, ...]
) -> None:
    """One-line usage errors for options that make no sense together."""
    rates = value(config, "--qnext-rate")
    _needs(
        config,
        "--qnext-burstiness",
        bool(rates),
        "it shapes open-loop arrivals; give --qnext-rate too",
    )
    _needs(
        config,
        "--qnext-prefix-length",
        dataset == "random",
        "only the random dataset has a shared prefix; use --qnext-perf-dataset random",
    )
    _needs(
        config,
        "--qnext-turns",
        dataset == "multi_turn",
        "use it with --qnext-perf-dataset multi_turn",
    )
    for flag in ("--qnext-trace-speed", "--qnext-trace-block-size"):
        _needs(config, flag, dataset == "trace", "use it with --qnext-perf-dataset trace")
    find_max = value(config, "--qnext-find-max")
    for flag in ("--qnext-find-max-range", "--qnext-find-max-step", "--qnext-find-max-probes"):
        _needs(config, flag, bool(find_max), "give --qnext-find-max LIMITS too")
    if len(rates) > 1 and len(parallel) > 1 and len(rates) != len(parallel):
        raise usage_error(
            "--qnext-rate",
            f"{len(rates)} rates for {len(parallel)} --qnext-parallel values; give one "
            "parallel value (the in-flight cap of every rate) or one per rate",
        )
    if find_max and len(rates) > 1:
        raise usage_error(
            "--qnext-rate",
            "give one rate with --qnext-find-max (the search over rates starts there)",
        )
    if find_max and len(number) > 1:
        raise usage_error("--qnext-number", "give one number (or none) with --qnext-find-max")
    if find_max and dataset == "trace":
        raise usage_error("--qnext-find-max", "a trace sets its own load; use random prompts")
    goodput_gates = [s for s in value(config, "--qnext-slo") if s.metric.startswith("good")]
    if goodput_gates and not value(config, "--qnext-goodput"):
        raise usage_error(
            "--qnext-slo",
            f"{goodput_gates[0]} needs per-request limits; give --qnext-goodput LIMITS",
        )
    search_gates = [s for s in value(config, "--qnext-slo") if s.scope == "search"]
    if search_gates and not find_max:
        raise usage_error(
            "--qnext-slo",
            f"{search_gates[0]} gates the capacity search's answer; give --qnext-find-max LIMITS",
        )
    if find_max and search_gates:
        over = "max_rate" if rates else "max_concurrency"
        wrong = [s for s in search_gates if s.metric != over]
        if wrong:
            raise usage_error("--qnext-slo", f"{wrong[0]}: this search answers {over}")


def from_config(config: pytest.Config) -> PerfSettings:
    """Resolve the perf options and check them against each other (one-line UsageError)."""
    parallel = value(config, "--qnext-parallel")
    number = value(config, "--qnext-number")
    if len(number) > 1 and len(number) != len(parallel):
        raise usage_error(
            "--qnext-number",
            f"{len(number)} values given for {len(parallel)} --qnext-parallel values; give one "
            "number per parallel value (paired like EvalScope) or a single number for all",
        )
    dataset = value(config, "--qnext-perf-dataset")
    dataset_path = value(config, "--qnext-perf-dataset-path")
    if dataset not in ("random", "multi_turn") and dataset_path is None:
        raise usage_error(
            "--qnext-perf-dataset-path",
            f"the {dataset} dataset needs a prompt file; give --qnext-perf-dataset-path FILE",
        )
    _check_combinations(config, dataset, parallel, number)
    min_prompt, max_prompt = _range(
        config, "--qnext-min-prompt-length", "--qnext-max-prompt-length"
    )
    min_tokens, max_tokens = _range(config, "--qnext-min-tokens", "--qnext-max-tokens")
    return PerfSettings(
        parallel=parallel,
        number=number,
        dataset=dataset,
        dataset_path=dataset_path,
        min_prompt_length=min_prompt,
        max_prompt_length=max_prompt,
        min_tokens=min_tokens,
        max_tokens=max_tokens,
        tokenizer=value(config, "--qnext-tokenizer"),
        extra_args=value(config, "--qnext-extra-args"),
        rates=value(config, "--qnext-rate"),
        burstiness=value(config, "--qnext-burstiness"),
        duration=value(config, "--qnext-duration"),
        prefix_length=value(config, "--qnext-prefix-length"),
        turns=value(config, "--qnext-turns"),
        trace_speed=value(config, "--qnext-trace-speed"),
        trace_block_size=value(config, "--qnext-trace-block-size"),
        goodput=value(config, "--qnext-goodput"),
        find_max=value(config, "--qnext-find-max"),
        find_max_range=value(config, "--qnext-find-max-range"),
        find_max_step=value(config, "--qnext-find-max-step"),
        find_max_probes=value(config, "--qnext-find-max-probes"),
        metrics_url=value(config, "--qnext-metrics-url"),
        metrics_interval=value(config, "--qnext-metrics-interval"),
        workers=value(config, "--qnext-perf-workers"),
        warmup=value(config, "--qnext-warmup"),
        seed=value(config, "--qnext-seed"),
        rounds=value(config, "--qnext-perf-rounds"),
        warmup_rounds=value(config, "--qnext-perf-warmup-rounds"),
        slos=value(config, "--qnext-slo"),
        baseline=value(config, "--qnext-perf-baseline"),
        max_regression=value(config, "--qnext-max-regression"),
    )
