"""`--qnext-perf-baseline`: find, read and compare against an earlier run's perf points.

`resolve_baseline(path)` accepts a summary.json (or a JSON list of perf points), a run folder
holding one, or a report ROOT (its `latest-perf`, else `latest`, run folder). `load_baseline`
reads and checks it; both raise `SLOError` with one line, which the option parser turns into a
usage error at start-up (exit 4): a baseline that cannot be read, or holds no perf points (a
capability summary), is refused before the first request.

`compare_baseline` matches the current point by (parallel, number, rate) (else the same
parallel and rate) and fails a metric that got worse by more than the allowed fraction (latency
up is worse, throughput down is worse). A point it cannot compare fails with the reason: no
matching baseline point, or no metric in common. With rounds (--qnext-perf-rounds >= 2) the
points carry a 95 % interval per metric (`ci95`): a metric then fails only when its change is
worse than the limit *and* the interval of the change excludes "no change" (the regression is
real, not noise); without intervals the stated noise is the bootstrap's, as information.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_qnext.perf.catalog import BASELINE_METRICS, direction
from pytest_qnext.perf.point import PerfPoint, PerfPointError
from pytest_qnext.perf.slo import GateResult, SLOError

__all__ = ["compare_baseline", "load_baseline", "resolve_baseline"]

SUMMARY = "summary.json"
_LINKS = ("latest-perf", "latest")


def resolve_baseline(path: Path) -> Path:
    """The summary file a baseline path stands for (SLOError when there is none)."""
    if path.is_file():
        return path
    if path.is_dir():
        candidates = [path / SUMMARY] + [path / link / SUMMARY for link in _LINKS]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        raise SLOError(
            f"{path} holds no {SUMMARY} (nor {'/, '.join(_LINKS)}/{SUMMARY}); give a perf run's "
            f"folder or its {SUMMARY}"
        )
    raise SLOError(f"{path} does not exist; give a perf run's folder or its {SUMMARY}")


def load_baseline(path: Path) -> list[dict[str, Any]]:
    """Perf points from a summary.json (`perf` list) or a JSON list of points."""
    source = resolve_baseline(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SLOError(f"cannot read {source}: {str(exc).splitlines()[0]}") from None
    rows = data.get("perf") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows:
        what = "a capability summary" if isinstance(data, dict) and "table" in data else "no"
        raise SLOError(
            f"{source} holds {what} perf points; give the summary.json of a perf run (it has "
            "a non-empty 'perf' list)"
        )
    for row in rows:
        try:
            PerfPoint.from_json(row)
        except PerfPointError as exc:
            raise SLOError(f"{source}: {exc}") from None
    return [dict(r) for r in rows]


def _find(
    rows: Sequence[Mapping[str, Any]], current: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    parallel, number, rate = current["parallel"], current["number"], current.get("rate")
    same = [r for r in rows if r.get("parallel") == parallel and r.get("rate") == rate]
    exact = [r for r in same if r.get("number") == number]
    found = exact or same
    return found[0] if found else None


def _half_width(row: Mapping[str, Any], metric: str) -> float | None:
    """Relative half-width of the metric's across-rounds 95 % interval, if the row has one."""
    ci = (row.get("ci95") or {}).get(metric)
    value = row.get(metric)
    if not isinstance(ci, list | tuple) or len(ci) != 2 or not isinstance(value, int | float):
        return None
    low, high = ci
    if not isinstance(low, int | float) or not isinstance(high, int | float) or value == 0:
        return None
    return float(high - low) / 2 / abs(float(value))


def _describe(current: Mapping[str, Any]) -> str:
    rate = current.get("rate")
    return f"parallel={current['parallel']} number={current['number']}" + (
        f" rate={rate:g}" if isinstance(rate, int | float) else ""
    )


def compare_baseline(
    current: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    max_regression: float,
    metrics: Sequence[str] = BASELINE_METRICS,
) -> list[GateResult]:
    """One GateResult per metric present in both the current point and the matching baseline
    point; one failed GateResult when no comparison is possible."""
    base = _find(rows, current)
    if base is None:
        have = sorted({_describe(r) for r in rows if "parallel" in r and "number" in r})
        return [
            GateResult(
                "baseline",
                False,
                f"baseline: no point matches {_describe(current)} (the baseline has "
                f"{'; '.join(have[:6]) or 'none'}); run the baseline with the same sweep",
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
        halves = (_half_width(current, metric), _half_width(base, metric))
        rounds = any(h is not None for h in halves)
        if rounds:
            noise = math.hypot(*(h or 0.0 for h in halves))
            significant = worse - noise > 0
            passed = worse <= max_regression or not significant
            basis = f"95% interval of the change ±{noise:.1%} across rounds"
            within = "" if significant or worse <= 0 else " (not significant)"
        else:
            noise = math.hypot(
                float(noise_now.get(metric, 0.0)), float(noise_then.get(metric, 0.0))
            )
            passed = worse <= max_regression
            basis = f"noise ±{noise:.1%}"
            within = " (within noise)" if abs(change) <= noise else ""
        verdict = "ok" if passed else "REGRESSED"
        results.append(
            GateResult(
                f"baseline:{metric}",
                passed,
                f"baseline {metric} {verdict}: {now:.6g} vs {then:.6g} ({change:+.1%}, "
                f"{'worse' if worse > 0 else 'better'}; limit {max_regression:.0%} worse; "
                f"{basis}){within}",
            )
        )
    if not results:
        return [
            GateResult(
                "baseline",
                False,
                f"baseline: the point {_describe(current)} shares no comparable metric with "
                "the baseline (none measured on one side)",
            )
        ]
    return results
