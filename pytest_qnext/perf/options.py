"""Perf settings (`pytest -m perf`): the sweep shape, prompt source, load model and gates.

Each option is declared in the option table (options.py) and resolves CLI > ini (`qnext_*`) >
env > default; `from_config` adds the checks between options, raising `pytest.UsageError`
with one line that names the option and how to fix it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.option_values import usage_error
from pytest_qnext.options import NUMBER_FACTOR, PERF_DATASETS, default, given, value
from pytest_qnext.perf.slo import SLO

__all__ = ["DATASETS", "PerfSettings", "SweepPoint", "from_config"]

DATASETS = PERF_DATASETS


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
    rate: float | None = default("--qnext-rate")  # None = closed loop
    warmup: int = default("--qnext-warmup")
    seed: int = default("--qnext-seed")
    rounds: int = default("--qnext-perf-rounds")
    warmup_rounds: int = default("--qnext-perf-warmup-rounds")
    slos: tuple[SLO, ...] = default("--qnext-slo")
    baseline: Path | None = default("--qnext-perf-baseline")
    max_regression: float = default("--qnext-max-regression")

    def points(self) -> list[SweepPoint]:
        """The sweep points, parallel and number paired like EvalScope."""
        if not self.number:
            return [SweepPoint(p, NUMBER_FACTOR * p) for p in self.parallel]
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
    if dataset != "random" and dataset_path is None:
        raise usage_error(
            "--qnext-perf-dataset-path",
            f"the {dataset} dataset needs a prompt file; give --qnext-perf-dataset-path FILE",
        )
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
        rate=value(config, "--qnext-rate"),
        warmup=value(config, "--qnext-warmup"),
        seed=value(config, "--qnext-seed"),
        rounds=value(config, "--qnext-perf-rounds"),
        warmup_rounds=value(config, "--qnext-perf-warmup-rounds"),
        slos=value(config, "--qnext-slo"),
        baseline=value(config, "--qnext-perf-baseline"),
        max_regression=value(config, "--qnext-max-regression"),
    )
