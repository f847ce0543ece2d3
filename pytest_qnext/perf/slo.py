"""Perf gates: SLOs on a point's (or the capacity search's) metrics.

`parse_slo("ttft_p99<=2.0")` -> SLO; `SLO.check(metrics)` -> GateResult. `parse_point_limits`
reads the comma-separated limits of `--qnext-find-max`. Baseline comparisons: baseline.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.perf.catalog import GATE_METRICS, POINT_METRICS, get

__all__ = [
    "SLO",
    "UNITS",
    "GateResult",
    "SLOError",
    "parse_point_limits",
    "parse_regression",
    "parse_slo",
]

_SLO_RE = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=)\s*([-+0-9.eE]+)\s*(ms|s)?\s*$")
UNITS = {"ms": 1e-3, "s": 1.0, None: 1.0}  # latency limits: seconds, or ms


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

    @property
    def scope(self) -> str:
        """ "point" (checked on every sweep point) or "search" (on the capacity answer)."""
        metric = get(self.metric)
        return metric.scope if metric is not None else "point"

    def met(self, value: float) -> bool:
        return value <= self.limit if self.op == "<=" else value >= self.limit

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
        ok = self.met(measured)
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
        limit = float(raw) * UNITS[unit]
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


def parse_point_limits(text: str) -> tuple[SLO, ...]:
    """'ttft_p99<=2.0,tpot_p99<=0.05' -> SLOs on point metrics (the capacity search's limits)."""
    limits = tuple(parse_slo(part) for part in text.split(",") if part.strip())
    if not limits:
        raise SLOError("no limit given; write e.g. 'ttft_p99<=2.0,tpot_p99<=0.05'")
    for slo in limits:
        if slo.metric not in POINT_METRICS:
            raise SLOError(f"{slo} is not a limit on a point's metric; use e.g. ttft_p99<=2.0")
    return limits
