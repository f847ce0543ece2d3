"""The perf part of a page: the sweep table of each run and charts with the runs overlaid.

Columns are the terminal table's (`perf/table.py`), units and labels the metric catalog's, so
the page, the terminal and the PNG charts show the same numbers. Charts: throughput vs
concurrency, TTFT / TPOT / ITL percentiles vs concurrency, and a per-request TTFT and E2E
scatter from `perf.jsonl` (measured requests only, at most MAX_SCATTER per run).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_qnext.perf import table as perf_table
from pytest_qnext.perf.catalog import display_scale, display_unit, get
from pytest_qnext.view.charts import PALETTE, Series, xy_chart

__all__ = ["MAX_SCATTER", "PERCENTILE_LINES", "PerfRun", "perf_context"]

MAX_SCATTER = 4000
PERCENTILE_LINES = ("p50", "p90", "p99")


class PerfRun:
    """A run's perf points (summary.json `perf`) and measured request records (perf.jsonl)."""

    def __init__(
        self, label: str, points: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]]
    ) -> None:
        self.label = label
        self.points = list(points)
        self.records = list(records)


def _num(value: Any) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    )


def _table(run: PerfRun) -> dict[str, Any]:
    return {
        "label": run.label,
        "headers": [h for h, _key, _fmt in perf_table.COLUMNS],
        "rows": [
            [perf_table._cell(p, key, f) for _h, key, f in perf_table.COLUMNS] for p in run.points
        ],
        "notes": perf_table.notes(run.points),
    }


def _name(run: PerfRun, what: str, several: bool) -> str:
    return f"{run.label} · {what}" if several else what


def _throughput(runs: Sequence[PerfRun]) -> dict[str, Any]:
    several = len(runs) > 1
    series = []
    for n, run in enumerate(runs):
        for key, dash in (("output_throughput", False), ("total_throughput", True)):
            label = get(key).label if get(key) else key  # type: ignore[union-attr]
            series.append(
                Series(
                    _name(run, label, several),
                    [
                        (
                            _num(p.get("parallel")),
                            _num(p.get(key)),
                            f"{run.label}: parallel={p.get('parallel')}: "
                            f"{_num(p.get(key)):.1f} tok/s",
                        )
                        for p in run.points
                    ],
                    dash=dash,
                    color=PALETTE[n % len(PALETTE)],
                )
            )
    return xy_chart(
        "Throughput vs concurrency", "concurrency (--qnext-parallel)", "tokens/s", series
    )


def _latency(runs: Sequence[PerfRun], latency: str) -> dict[str, Any]:
    several = len(runs) > 1
    scale = display_scale(f"{latency}_p50")
    unit = display_unit(f"{latency}_p50")
    metric = get(f"{latency}_p50")
    title = metric.label.rsplit(" ", 1)[0] if metric else latency
    series = []
    for n, run in enumerate(runs):
        for k, pct in enumerate(PERCENTILE_LINES):
            key = f"{latency}_{pct}"
            color = PALETTE[(n * len(PERCENTILE_LINES) + k) % len(PALETTE)]
            series.append(
                Series(
                    _name(run, pct, several),
                    [
                        (
                            _num(p.get("parallel")),
                            _num(p.get(key)) * scale,
                            f"{run.label}: parallel={p.get('parallel')}: {latency} {pct} "
                            f"{_num(p.get(key)) * scale:.2f} {unit}"
                            + (
                                " (n<100: about the max)"
                                if pct == "p99" and p.get(f"{latency}_p99_low_n")
                                else ""
                            ),
                        )
                        for p in run.points
                    ],
                    dash=n > 0,
                    color=color,
                )
            )
    return xy_chart(
        f"{latency.upper()} percentiles vs concurrency ({title})",
        "concurrency (--qnext-parallel)",
        unit,
        series,
    )


def _scatter(runs: Sequence[PerfRun], key: str, title: str) -> dict[str, Any] | None:
    several = len(runs) > 1
    series = []
    scale = display_scale(f"{key}_p50")
    for run in runs:
        records = run.records
        step = max(1, math.ceil(len(records) / MAX_SCATTER))
        by_point: dict[str, list[tuple[float, float, str]]] = {}
        for rec in records[::step]:
            value = _num(rec.get(key))
            send = _num(rec.get("send"))
            if math.isnan(value) or math.isnan(send):
                continue
            point = str(rec.get("point", "?"))
            by_point.setdefault(point, []).append(
                (
                    send,
                    value * scale,
                    f"{run.label} {point} #{rec.get('index')}: {value * scale:.1f} ms",
                )
            )
        for point, pts in by_point.items():
            series.append(Series(_name(run, point, several), pts))
    if not series:
        return None
    return xy_chart(
        title, "request sent at (s from the point's window start)", "ms", series, lines=False
    )


def perf_context(runs: Sequence[PerfRun]) -> dict[str, Any]:
    """Tables and charts for 1-3 runs (the perf page and report.html's perf section)."""
    with_points = [r for r in runs if r.points]
    charts = []
    if with_points:
        charts.append(_throughput(with_points))
        charts.extend(_latency(with_points, lat) for lat in ("ttft", "tpot", "itl"))
    for key, title in (("ttft", "Per-request TTFT"), ("e2e", "Per-request end-to-end latency")):
        chart = _scatter(runs, key, title)
        if chart is not None:
            charts.append(chart)
    return {"perf_tables": [_table(r) for r in with_points], "perf_charts": charts}
