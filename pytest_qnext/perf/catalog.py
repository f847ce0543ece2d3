"""Every perf metric a sweep point reports, declared once: name, unit, direction, label.

`metrics.py` computes them, `slo.py` gates and compares them, `table.py` and `charts.py` show
them; all four read this table, so adding a metric is one entry here (plus its computation).
This module imports nothing from the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BASELINE_METRICS",
    "GATE_METRICS",
    "LATENCIES",
    "METRICS",
    "PERCENTILES",
    "POINT_METRICS",
    "SEARCH_METRICS",
    "STATS",
    "Metric",
    "direction",
    "display_scale",
    "display_unit",
    "get",
]

Unit = Literal["s", "tok/s", "req/s", "requests", "tokens", "ratio", "count"]
Direction = Literal["lower", "higher"]
Scope = Literal["point", "search"]

LATENCIES: tuple[str, ...] = ("ttft", "tpot", "itl", "e2e")
PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)
STATS: tuple[str, ...] = ("mean", *(f"p{p}" for p in PERCENTILES))
# a p99 from fewer values than this is (close to) the maximum and is flagged
LOW_N = 100

_LATENCY_LABELS = {
    "ttft": "time to first token",
    "tpot": "time per output token",
    "itl": "inter-token latency",
    "e2e": "end-to-end latency",
}


@dataclass(frozen=True)
class Metric:
    """One metric of a point. `gate`: usable in --qnext-slo; `baseline`: compared against a
    --qnext-perf-baseline by default (percentiles with enough support, and throughputs).
    `scope` "search": a result of the capacity search (--qnext-find-max), not of a point."""

    name: str
    unit: Unit
    direction: Direction | None
    label: str
    gate: bool = True
    baseline: bool = False
    scope: Scope = "point"


def _server_metrics() -> list[Metric]:
    """The server's own view (Prometheus /metrics), reported beside the client's timing."""
    out = [
        Metric("server_running_mean", "count", None, "server: requests running, mean"),
        Metric("server_running_max", "count", None, "server: requests running, max"),
        Metric("server_waiting_mean", "count", None, "server: requests waiting, mean"),
        Metric("server_waiting_max", "count", None, "server: requests waiting, max"),
        Metric("server_kv_usage_mean", "ratio", None, "server: KV-cache usage, mean"),
        Metric("server_kv_usage_max", "ratio", None, "server: KV-cache usage, max"),
        Metric("server_prefix_hit_rate", "ratio", None, "server: prefix-cache hit rate"),
        Metric("server_preemptions", "count", "lower", "server: preemptions"),
    ]
    for latency in ("ttft", "e2e"):
        for stat in ("mean", "p50", "p90", "p99"):
            label = f"server: {_LATENCY_LABELS[latency]} {stat}"
            out.append(Metric(f"server_{latency}_{stat}", "s", "lower", label))
    return out


def _latency_metrics() -> list[Metric]:
    out = []
    for latency in LATENCIES:
        for stat in STATS:
            baseline = (stat in ("p50", "p90") and latency in ("ttft", "tpot")) or (
                stat == "p50" and latency in ("itl", "e2e")
            )
            out.append(
                Metric(
                    f"{latency}_{stat}",
                    "s",
                    "lower",
                    f"{_LATENCY_LABELS[latency]} {stat}",
                    baseline=baseline,
                )
            )
    return out


METRICS: tuple[Metric, ...] = (
    *_latency_metrics(),
    Metric("output_throughput", "tok/s", "higher", "output tokens/s", baseline=True),
    Metric("total_throughput", "tok/s", "higher", "prompt + output tokens/s", baseline=True),
    Metric("request_throughput", "req/s", "higher", "successful requests/s", baseline=True),
    Metric("achieved_concurrency", "count", "higher", "time-weighted mean requests in flight"),
    Metric("error_rate", "ratio", "lower", "failed requests / requests"),
    Metric("errors", "requests", "lower", "failed requests"),
    Metric("completed", "requests", "higher", "successful requests"),
    Metric("tokens_per_chunk", "count", "higher", "output tokens per streamed chunk"),
    Metric("prompt_mismatches", "requests", "lower", "prompt token count != usage"),
    Metric("completion_mismatches", "requests", "lower", "output token count != asked"),
    Metric("recount_mismatches", "requests", "lower", "client re-count != usage"),
    Metric("loop_lag_p99", "s", "lower", "client event-loop lag p99"),
    Metric("send_lag_p99", "s", "lower", "open-loop send lateness p99"),
    Metric("invalid_text", "requests", "lower", "responses with invalid text (replaced)"),
    Metric("good_fraction", "ratio", "higher", "good requests / requests", baseline=True),
    Metric("goodput", "req/s", "higher", "good requests/s", baseline=True),
    Metric("good_output_throughput", "tok/s", "higher", "output tokens/s of good requests"),
    *_server_metrics(),
    Metric(
        "max_concurrency",
        "count",
        "higher",
        "highest concurrency meeting the limits",
        scope="search",
    ),
    Metric(
        "max_rate", "req/s", "higher", "highest request rate meeting the limits", scope="search"
    ),
)

_BY_NAME = {m.name: m for m in METRICS}
GATE_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.gate)
POINT_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.scope == "point")
SEARCH_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.scope == "search")
BASELINE_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.baseline)


def get(name: str) -> Metric | None:
    """The declared metric `name`, or None."""
    return _BY_NAME.get(name)


def direction(name: str) -> Direction | None:
    """'lower' or 'higher' is better for `name`; None for undeclared names (counts like
    `ttft_n`, flags, examples)."""
    metric = _BY_NAME.get(name)
    return None if metric is None else metric.direction


def display_scale(name: str) -> float:
    """Factor from the stored unit to the shown one (seconds are shown in ms)."""
    metric = _BY_NAME.get(name)
    return 1e3 if metric is not None and metric.unit == "s" else 1.0


def display_unit(name: str) -> str:
    """The unit a value of `name` is shown in (after `display_scale`)."""
    metric = _BY_NAME.get(name)
    if metric is None:
        return ""
    return "ms" if metric.unit == "s" else metric.unit
