"""Perf gates: SLOs with an explicit direction and direction-aware baseline regressions.

`parse_slo("ttft_p99<=2.0")` -> SLO; `SLO.check(metrics)` -> GateResult. A baseline is the
`perf` rows of an earlier run's summary.json (or a JSON list of such rows); `compare_baseline`
matches rows by (parallel, number) and fails a metric that got worse by more than the allowed
fraction (latency up is worse, throughput down is worse), stating the comparison's noise.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_qnext.perf.catalog import BASELINE_METRICS, GATE_METRICS, direction

__all__ = [
    "SLO",
    "GateResult",
    "SLOError",
    "compare_baseline",
    "load_baseline",
    "parse_regression",
    "parse_slo",
]

_SLO_RE = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=)\s*([-+0-9.eE]+)\s*(ms|s)?\s*$")
_UNITS = {"ms": 1e-3, "s": 1.0, None: 1.0}


class SLOError(ValueError):
    """A gate or baseline could not be understood; the message says what to write instead."""


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    message: str  # one line: measured vs limit


@dataclass(frozen=True)
class SLO:
    """`metric op limit`, op being '<=' or '>='; latencies in seconds."""

    metric: str
    op: str
    limit: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.limit:g}"

    def check(self, metrics: Mapping[str, Any]) -> GateResult:
        value = metrics.get(self.metric)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return GateResult(
                str(self),
                False,
                f"SLO {self}: {self.metric} was not measured (no successful "
                "requests with that data)",
            )
        measured = float(value)
        ok = measured <= self.limit if self.op == "<=" else measured >= self.limit
        verdict = "met" if ok else "violated"
        n = metrics.get(self.metric.rsplit("_", 1)[0] + "_n")
        n_text = f", n={n}" if isinstance(n, int) else ""
        return GateResult(
            str(self),
            ok,
            f"SLO {self} {verdict}: measured {measured:.6g} vs limit {self.limit:g}{n_text}",
        )


def parse_slo(text: str) -> SLO:
    """'ttft_p99<=2.0' / 'output_throughput>=500' / 'tpot_p50<=40ms' -> SLO."""
    match = _SLO_RE.match(text)
    if match is None:
        raise SLOError(
            f"cannot read gate {text!r}; write METRIC<=LIMIT or METRIC>=LIMIT, e.g. "
            "'ttft_p99<=2.0' or 'output_throughput>=500'"
        )
    metric, op, raw, unit = match.groups()
    if metric not in GATE_METRICS:
        raise SLOError(
            f"unknown metric {metric!r} in {text!r}; use one of: {', '.join(GATE_METRICS)}"
        )
    try:
        limit = float(raw) * _UNITS[unit]
    except ValueError:
        raise SLOError(f"limit {raw!r} in {text!r} is not a number") from None
    return SLO(metric, op, limit)


def parse_regression(text: str) -> float:
    """'10%' or '0.1' -> 0.1 (a fraction > 0)."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise SLOError(f"{text!r} is not a fraction like 0.1 or a percentage like 10%") from None
    if not value > 0:
        raise SLOError(f"{text!r} must be above 0")
    return value


def load_baseline(path: Path) -> list[dict[str, Any]]:
    """Perf rows from a summary.json (`perf` list) or a JSON list of rows; SLOError if neither."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SLOError(f"cannot read baseline {path}: {exc}") from None
    rows = data.get("perf") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise SLOError(
            f"baseline {path} has no perf rows; give the summary.json of a perf run (it has a "
            "'perf' list)"
        )
    return rows


def _find(
    rows: Sequence[Mapping[str, Any]], parallel: int, number: int
) -> Mapping[str, Any] | None:
    same = [r for r in rows if r.get("parallel") == parallel]
    exact = [r for r in same if r.get("number") == number]
    found = exact or same
    return found[0] if found else None


def compare_baseline(
    current: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    max_regression: float,
    metrics: Sequence[str] = BASELINE_METRICS,
) -> list[GateResult]:
    """One GateResult per metric present in both the current row and the matching baseline row."""
    base = _find(rows, int(current["parallel"]), int(current["number"]))
    if base is None:
        return [
            GateResult(
                "baseline",
                True,
                f"baseline: no row for parallel={current['parallel']}; not compared",
            )
        ]
    noise_now: Mapping[str, Any] = current.get("noise") or {}
    noise_then: Mapping[str, Any] = base.get("noise") or {}
    results: list[GateResult] = []
    for metric in metrics:
        now, then = current.get(metric), base.get(metric)
        way = direction(metric)
        if not isinstance(now, int | float) or not isinstance(then, int | float) or way is None:
            continue
        if then == 0 or math.isnan(now) or math.isnan(then):
            continue
        change = (now - then) / abs(then)
        worse = change if way == "lower" else -change
        noise = math.hypot(float(noise_now.get(metric, 0.0)), float(noise_then.get(metric, 0.0)))
        within = " (within noise)" if abs(change) <= noise else ""
        passed = worse <= max_regression
        verdict = "ok" if passed else "REGRESSED"
        results.append(
            GateResult(
                f"baseline:{metric}",
                passed,
                f"baseline {metric} {verdict}: {now:.6g} vs {then:.6g} ({change:+.1%}, "
                f"{'worse' if worse > 0 else 'better'}; limit {max_regression:.0%} worse; "
                f"noise ±{noise:.1%}){within}",
            )
        )
    return results
