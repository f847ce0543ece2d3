"""Sweep charts (matplotlib, Agg backend, PNG) written into the report directory."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_qnext.perf.catalog import display_scale, display_unit, get

__all__ = ["CHART_FILES", "write_charts"]

CHART_FILES = ("perf_throughput.png", "perf_ttft.png", "perf_tpot.png")
_PCTS = ("p50", "p90", "p99")


def _finite(values: Sequence[Any]) -> list[float]:
    return [
        float(v) if isinstance(v, int | float) and math.isfinite(v) else math.nan for v in values
    ]


def _title(latency: str) -> str:
    """'time to first token' for 'ttft' (the catalog's label without its statistic)."""
    metric = get(f"{latency}_p50")
    label = metric.label.rsplit(" ", 1)[0] if metric is not None else latency
    return label[:1].upper() + label[1:]


def write_charts(rows: Sequence[Mapping[str, Any]], directory: Path) -> list[Path]:
    """Throughput vs concurrency, and TTFT / TPOT percentiles vs concurrency; returns paths."""
    if not rows:
        return []
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    ordered = sorted(rows, key=lambda r: (r["parallel"], r["number"]))
    achieved = _finite([r.get("achieved_concurrency") for r in ordered])
    parallel = [r["parallel"] for r in ordered]
    written: list[Path] = []

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(achieved, _finite([r.get("output_throughput") for r in ordered]), "o-", label="output")
    ax.plot(achieved, _finite([r.get("total_throughput") for r in ordered]), "s--", label="total")
    for x, y, p in zip(
        achieved, _finite([r.get("output_throughput") for r in ordered]), parallel, strict=False
    ):
        ax.annotate(f"p={p}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("achieved concurrency (time-weighted mean in flight)")
    ax.set_ylabel("tokens/s")
    ax.set_title("Throughput vs concurrency")
    ax.grid(True, alpha=0.3)
    ax.legend()
    path = directory / CHART_FILES[0]
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    written.append(path)

    for metric, filename in (("ttft", CHART_FILES[1]), ("tpot", CHART_FILES[2])):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        scale = display_scale(f"{metric}_p50")
        for pct in _PCTS:
            values = [v * scale for v in _finite([r.get(f"{metric}_{pct}") for r in ordered])]
            (line,) = ax.plot(achieved, values, "o-", label=pct)
            if pct == "p99":  # hollow where fewer than 100 values: that p99 is about the max
                few = [bool(r.get(f"{metric}_p99_low_n")) for r in ordered]
                ax.plot(
                    [x for x, f in zip(achieved, few, strict=True) if f],
                    [v for v, f in zip(values, few, strict=True) if f],
                    "o",
                    color=line.get_color(),
                    markerfacecolor="white",
                    label="p99 from < 100 values (about the max)" if any(few) else None,
                )
        ax.set_xlabel("achieved concurrency")
        ax.set_ylabel(display_unit(f"{metric}_p50"))
        title = _title(metric)
        ax.set_title(f"{title} percentiles vs concurrency")
        ax.grid(True, alpha=0.3)
        ax.legend()
        path = directory / filename
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written
