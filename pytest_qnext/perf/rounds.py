"""Rounds that count (`--qnext-perf-rounds N`): a point's metrics over all its rounds.

Each round runs the whole point and has its own metrics (metrics.py). The point then reports,
for every metric of the catalog, the mean over the rounds (at the top level, where a one-round
point has its only value), the per-round values (`round_values`) and a 95 % interval of that
mean across rounds (`ci95`: mean ± t(0.975, n-1) · s / √n, Student's t for n rounds). Baseline
comparisons read those intervals (baseline.py). Values that are not catalog metrics (counts,
examples, telemetry lists) come from the last round, except the request counts, which add up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_qnext.perf.catalog import METRICS

__all__ = ["T_975", "aggregate_rounds", "interval"]

# Student's t quantile 0.975 for 1..30 degrees of freedom (beyond: the normal's 1.96)
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
_SUMMED = ("completed", "failed", "output_tokens", "prompt_tokens")


def interval(values: Sequence[float]) -> tuple[float, float] | None:
    """95 % interval of the mean of `values` (None for fewer than two)."""
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    t = T_975[n - 2] if n - 1 <= len(T_975) else 1.96
    half = t * sd / math.sqrt(n)
    return (mean - half, mean + half)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def aggregate_rounds(rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One metrics dict for a point measured in `rounds` (at least one)."""
    out = dict(rounds[-1])
    if len(rounds) == 1:
        return out
    values: dict[str, list[float]] = {}
    ci: dict[str, list[float]] = {}
    for metric in METRICS:
        found = [_number(r.get(metric.name)) for r in rounds]
        numbers = [v for v in found if v is not None]
        if not numbers:
            continue
        values[metric.name] = numbers
        out[metric.name] = sum(numbers) / len(numbers)
        bounds = interval(numbers)
        if bounds is not None:
            ci[metric.name] = [bounds[0], bounds[1]]
    for key in _SUMMED:
        out[key] = sum(int(r.get(key) or 0) for r in rounds)
    out["round_values"] = values
    out["ci95"] = ci
    return out
