"""Capacity search (`--qnext-find-max "ttft_p99<=2.0,tpot_p99<=0.05"`): the highest load
(concurrency, or open-loop rate with --qnext-rate) whose point meets every limit.

Bracketing, then bisection: the first probe is the range's LOW (over rates: the --qnext-rate
given, halved down to LOW while it misses); while probes pass, the load doubles (up to
HIGH); the first failing probe closes the bracket [highest pass, lowest fail], which is then
halved until it is no wider than the step. A probe whose value for some limit is
within its own noise of that limit (the bootstrap interval of the metric, metrics.py) is
repeated at the same load (at most `REPEATS` more times); the verdict at a load is that of the
mean over its repeats. Every probe is one pytest item (`test_find_max[probe-03]`); the search
stops when the bracket is closed to the step, when LOW already fails (no load meets the
limits: the answer is 0), when HIGH passes (the answer is HIGH, an open bracket), or when the
probe budget is spent (the answer is the highest load that passed, with its open bracket).
The answer is gateable as `max_concurrency` / `max_rate` in --qnext-slo.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_qnext.perf.slo import SLO

__all__ = ["REPEATS", "CapacitySearch", "Probe"]

REPEATS = 2  # extra probes at one load when a value is within noise of its limit


@dataclass
class Probe:
    """One probe: its load, its values for the limited metrics and its own verdict."""

    load: float
    point: str
    values: dict[str, float | None]
    passed: bool
    uncertain: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "load": self.load,
            "point": self.point,
            "values": self.values,
            "passed": self.passed,
            "uncertain": self.uncertain,
        }


@dataclass
class CapacitySearch:
    limits: Sequence[SLO]
    over: str  # "concurrency" | "rate"
    low: float
    high: float
    step: float
    budget: int
    start: float | None = None  # the first probe (default: LOW)
    probes: list[Probe] = field(default_factory=list)
    passed_at: float | None = None  # highest load that met the limits
    failed_at: float | None = None  # lowest load that did not
    reason: str | None = None  # why the search ended (None: still running)

    @property
    def metric(self) -> str:
        return "max_rate" if self.over == "rate" else "max_concurrency"

    def _round(self, load: float) -> float:
        return float(max(1, int(load))) if self.over == "concurrency" else load

    def _verdict(self, load: float) -> tuple[bool, bool]:
        """(passed, uncertain) at `load` from the mean of its probes' values."""
        at = [p for p in self.probes if p.load == load]
        passed, uncertain = True, False
        for slo in self.limits:
            values = [v for p in at if (v := p.values.get(slo.metric)) is not None]
            if not values:
                return False, False
            mean = sum(values) / len(values)
            passed = passed and slo.met(mean)
            uncertain = uncertain or any(p.uncertain for p in at)
        return passed, uncertain

    def _bracket(self) -> None:
        """Highest passing load below the lowest failing one (verdicts over repeats)."""
        verdicts = {load: self._verdict(load)[0] for load in {p.load for p in self.probes}}
        fails = [load for load, ok in verdicts.items() if not ok]
        self.failed_at = min(fails) if fails else None
        passes = [
            load
            for load, ok in verdicts.items()
            if ok and (self.failed_at is None or load < self.failed_at)
        ]
        self.passed_at = max(passes) if passes else None

    def next_load(self) -> float | None:
        """The load of the next probe, or None when the search is over (see `reason`)."""
        if self.reason is not None:
            return None
        if len(self.probes) >= self.budget:
            self.reason = f"probe budget ({self.budget}) spent"
            return None
        if not self.probes:
            first = self.low if self.start is None else min(max(self.start, self.low), self.high)
            return self._round(first)
        last = self.probes[-1]
        repeats = sum(1 for p in self.probes if p.load == last.load) - 1
        if last.uncertain and repeats < REPEATS:
            return last.load
        self._bracket()
        if self.passed_at is None:
            lowest = min(p.load for p in self.probes)
            if lowest > self.low:
                return self._round(max(self.low, lowest / 2))
            self.reason = f"the lowest load {lowest:g} does not meet the limits"
            return None
        if self.failed_at is None:
            if self.passed_at >= self.high:
                self.reason = f"the highest load {self.high:g} meets the limits"
                return None
            return self._round(min(self.high, self.passed_at * 2))
        if self.failed_at - self.passed_at <= self.step:
            self.reason = "bracket closed to the step"
            return None
        middle = self._round((self.passed_at + self.failed_at) / 2)
        if middle in (self.passed_at, self.failed_at):
            self.reason = "bracket closed to the step"
            return None
        return middle

    def record(self, load: float, point: str, metrics: Mapping[str, Any]) -> Probe:
        """Add what the probe at `load` measured."""
        noise: Mapping[str, Any] = metrics.get("noise") or {}
        values: dict[str, float | None] = {}
        passed, uncertain = True, False
        for slo in self.limits:
            raw = metrics.get(slo.metric)
            value = float(raw) if isinstance(raw, int | float) and not math.isnan(raw) else None
            values[slo.metric] = value
            if value is None:
                passed = False
                continue
            passed = passed and slo.met(value)
            band = float(noise.get(slo.metric, 0.0) or 0.0) * abs(value)
            uncertain = uncertain or abs(value - slo.limit) <= band
        probe = Probe(load, point, values, passed, uncertain)
        self.probes.append(probe)
        return probe

    def result(self) -> dict[str, Any]:
        """The answer (`value`, with its bracket), for the terminal, summary.json and gates."""
        self._bracket()
        value = self.passed_at if self.passed_at is not None else 0.0
        if self.over == "concurrency":
            value = int(value)
        return {
            "metric": self.metric,
            "over": self.over,
            "value": value,
            "bracket": [self.passed_at, self.failed_at],
            "step": self.step,
            "range": [self.low, self.high],
            "limits": [str(s) for s in self.limits],
            "reason": self.reason or "not finished",
            "probes": [p.to_json() for p in self.probes],
        }

    def describe(self) -> str:
        """One line: the answer and its bracket."""
        result = self.result()
        low, high = result["bracket"]
        bracket = f"[{'-' if low is None else f'{low:g}'}, {'-' if high is None else f'{high:g}'})"
        return (
            f"{self.metric} = {result['value']:g} (meets {', '.join(result['limits'])}; "
            f"bracket {bracket}; {len(self.probes)} probes; {result['reason']})"
        )
