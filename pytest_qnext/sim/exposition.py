"""The simulator's Prometheus `/metrics`: vLLM's metric names (V1), from the simulator's own
ground truth, written with `prometheus_client` (imported when the app is created).

Gauges are read at scrape time: requests running (holding one of `max_num_seqs` slots) and
waiting for one, and KV-cache usage (blocks held by running sequences, prompt and generated
tokens, over `kv_blocks`). Counters: prefix-cache queried and hit tokens (prefix.py), finished
requests, preemptions (the simulator never preempts: always 0). Histograms, with vLLM's bucket
bounds: time to first token and end-to-end latency, both from the request's arrival (the time
its bytes came in) to its first token's write / its last write, the same values /sim/truth
lists per request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_qnext.sim.state import SimState

__all__ = ["E2E_BUCKETS", "TTFT_BUCKETS", "Exposition"]

# vLLM's default bucket bounds (vllm/v1/metrics/buckets.py)
TTFT_BUCKETS = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
    10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
)  # fmt: skip
E2E_BUCKETS = (
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0,
    240.0, 480.0, 960.0, 1920.0, 7680.0,
)  # fmt: skip


class Exposition:
    """The metric objects of one simulator (its own registry)."""

    def __init__(self, model: str) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        labels = ["model_name", "engine"]
        values = {"model_name": model, "engine": "0"}

        def gauge(name: str, doc: str) -> Any:
            return Gauge(name, doc, labels, registry=self.registry).labels(**values)

        def counter(name: str, doc: str) -> Any:
            return Counter(name, doc, labels, registry=self.registry).labels(**values)

        self.running = gauge("vllm:num_requests_running", "Requests in execution batches.")
        self.waiting = gauge("vllm:num_requests_waiting", "Requests waiting to be processed.")
        self.kv_usage = gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent.")
        self.prefix_queries = counter("vllm:prefix_cache_queries", "Prefix cache queried tokens.")
        self.prefix_hits = counter("vllm:prefix_cache_hits", "Prefix cache hit tokens.")
        self.preemptions = counter("vllm:num_preemptions", "Preemptions (never, here).")
        self.success = counter("vllm:request_success", "Finished requests.")
        self.ttft = Histogram(
            "vllm:time_to_first_token_seconds",
            "Time to first token.",
            labels,
            buckets=TTFT_BUCKETS,
            registry=self.registry,
        ).labels(**values)
        self.e2e = Histogram(
            "vllm:e2e_request_latency_seconds",
            "End-to-end request latency.",
            labels,
            buckets=E2E_BUCKETS,
            registry=self.registry,
        ).labels(**values)

    def render(self, state: SimState) -> bytes:
        """The exposition text, gauges read from `state` now."""
        from prometheus_client import generate_latest

        self.running.set(state.running)
        self.waiting.set(state.waiting)
        self.kv_usage.set(state.kv_usage())
        return generate_latest(self.registry)
