"""Server telemetry next to client timing: the server's Prometheus `/metrics`, scraped before,
during (every --qnext-metrics-interval seconds) and after each point.

While the point runs, a scrape is one GET on the load generator's loop whose text is kept as
is; parsing (with `prometheus_client`'s text parser) and every statistic happen after the
window (`summarize`). Per point:

- gauges, over the scrapes taken during the window: requests running and waiting (mean, max),
  KV-cache usage (mean, max);
- counters, after minus before: prefix-cache hit rate (hit tokens / queried tokens),
  preemptions;
- histograms, after minus before: the server's own TTFT and E2E latency, mean (sum / count) and
  p50/p90/p99 interpolated inside the buckets (as Prometheus' `histogram_quantile` does).

Names are vLLM's (V1; older spellings as fallbacks). A metric the server does not expose is
listed in `server_missing` (the session prints the list once); a server without /metrics
gives `server_error` and no values: telemetry is never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["NAMES", "Scrape", "Scraper", "metrics_url_for", "parse_text", "summarize"]

# what we report -> the exposition names to look for, first found wins
NAMES: dict[str, tuple[str, ...]] = {
    "running": ("vllm:num_requests_running",),
    "waiting": ("vllm:num_requests_waiting",),
    "kv_usage": ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"),
    "prefix_hits": ("vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"),
    "prefix_queries": ("vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total"),
    "preemptions": ("vllm:num_preemptions_total",),
    "ttft": ("vllm:time_to_first_token_seconds",),
    "e2e": ("vllm:e2e_request_latency_seconds",),
}
_HISTOGRAMS = ("ttft", "e2e")
_TIMEOUT = 5.0


@dataclass
class Scrape:
    time: float  # perf_counter when the answer was in
    phase: str  # "before" | "during" | "after"
    text: str | None  # None when the scrape failed
    error: str | None = None


def metrics_url_for(base_url: str) -> str:
    """`http://host:port/v1` -> `http://host:port/metrics` (vLLM serves it at the root)."""
    root = base_url.rstrip("/")
    if root.endswith("/v1"):
        root = root[: -len("/v1")]
    return root + "/metrics"


class Scraper:
    """Scrapes one /metrics URL on the running loop: `await begin()` (the "before" scrape, then
    one every `interval` s), `await end()` (stops, takes the "after" scrape)."""

    def __init__(self, url: str, interval: float) -> None:
        self.url = url
        self.interval = interval
        self.scrapes: list[Scrape] = []
        self._session: Any = None
        self._task: asyncio.Task[None] | None = None
        self._dead = False

    async def _get(self, phase: str) -> None:
        if self._dead:
            return
        try:
            async with self._session.get(self.url) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise OSError(f"HTTP {resp.status}")
            self.scrapes.append(Scrape(time.perf_counter(), phase, body.decode("utf-8", "replace")))
        except Exception as exc:  # telemetry is never fatal
            self.scrapes.append(
                Scrape(time.perf_counter(), phase, None, f"{exc or type(exc).__name__}")
            )
            self._dead = phase == "before"  # no /metrics at all: stop asking

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self._get("during")

    async def begin(self) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=_TIMEOUT),
            connector=aiohttp.TCPConnector(limit=1),
            headers={"Accept-Encoding": "identity"},
        )
        await self._get("before")
        if not self._dead:
            self._task = asyncio.get_running_loop().create_task(self._periodic())

    async def end(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._get("after")
            await self._session.close()


Flat = dict[tuple[str, str | None], float]  # (sample name, le) -> value summed over labels


def parse_text(text: str) -> Flat:
    """The samples of an exposition text, summed over label sets (engines, models) except
    `le` (with prometheus_client's parser)."""
    from prometheus_client.parser import text_string_to_metric_families

    out: Flat = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, sample.labels.get("le"))
            out[key] = out.get(key, 0.0) + float(sample.value)
    return out


def _find(flat: Flat, what: str) -> str | None:
    names = {name for name, _ in flat}
    for name in NAMES[what]:
        probe = f"{name}_count" if what in _HISTOGRAMS else name
        if probe in names:
            return name
    return None


def _buckets(flat: Flat, name: str) -> list[tuple[float, float]]:
    """(upper bound, cumulative count) of a histogram, ordered."""
    rows = [(float(le), v) for (n, le), v in flat.items() if n == f"{name}_bucket" and le]
    return sorted(rows)


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float:
    """The q-quantile (0..1) of cumulative buckets, linear inside a bucket; NaN when empty."""
    if not buckets or buckets[-1][1] <= 0:
        return math.nan
    total = buckets[-1][1]
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound  # the highest finite bound, as Prometheus does
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


def _gauge(parsed: Sequence[Flat], what: str, out: dict[str, Any], key: str) -> bool:
    name = next((n for f in parsed if (n := _find(f, what))), None)
    if name is None:
        return False
    values = [f[(name, None)] for f in parsed if (name, None) in f]
    out[f"server_{key}_mean"] = sum(values) / len(values) if values else math.nan
    out[f"server_{key}_max"] = max(values) if values else math.nan
    return True


def _delta(before: Flat, after: Flat, name: str) -> float:
    return after.get((name, None), 0.0) - before.get((name, None), 0.0)


def summarize(scrapes: Sequence[Scrape]) -> dict[str, Any]:
    """The per-point telemetry values (catalog names `server_*`), `server_missing` and
    `server_error` (see the module docstring)."""
    out: dict[str, Any] = {"server_scrapes": sum(1 for s in scrapes if s.text is not None)}
    failed = [s for s in scrapes if s.text is None]
    if failed and not out["server_scrapes"]:
        out["server_error"] = failed[0].error
        return out
    texts = {s.phase: s for s in scrapes if s.text is not None}
    before_s, after_s = texts.get("before"), texts.get("after")
    if before_s is None or after_s is None:
        out["server_error"] = "no scrape before or after the point"
        return out
    before, after = parse_text(before_s.text or ""), parse_text(after_s.text or "")
    during = [parse_text(s.text) for s in scrapes if s.phase == "during" and s.text]
    missing: list[str] = []
    for what, key in (("running", "running"), ("waiting", "waiting"), ("kv_usage", "kv_usage")):
        if not _find(after, what):
            missing.append(NAMES[what][0])
        elif during:  # a point shorter than the interval has no scrape while it ran
            _gauge(during, what, out, key)
    hits, queries = _find(after, "prefix_hits"), _find(after, "prefix_queries")
    if hits and queries:
        asked = _delta(before, after, queries)
        out["server_prefix_hit_rate"] = _delta(before, after, hits) / asked if asked else math.nan
        out["server_prefix_hits"] = _delta(before, after, hits)
        out["server_prefix_queries"] = asked
    else:
        missing += [NAMES["prefix_hits"][0], NAMES["prefix_queries"][0]]
    preempt = _find(after, "preemptions")
    if preempt:
        out["server_preemptions"] = _delta(before, after, preempt)
    else:
        missing.append(NAMES["preemptions"][0])
    for what in _HISTOGRAMS:
        name = _find(after, what)
        if name is None:
            missing.append(NAMES[what][0])
            continue
        count = _delta(before, after, f"{name}_count")
        out[f"server_{what}_n"] = int(count)
        out[f"server_{what}_mean"] = (
            _delta(before, after, f"{name}_sum") / count if count else math.nan
        )
        then = dict(_buckets(before, name))
        delta = [(le, c - then.get(le, 0.0)) for le, c in _buckets(after, name)]
        for p in (50, 90, 99):
            out[f"server_{what}_p{p}"] = histogram_quantile(p / 100, delta)
    out["server_missing"] = missing
    return out


def merge_missing(seen: set[str], values: Mapping[str, Any]) -> list[str]:
    """The metrics of `values['server_missing']` not reported yet (adds them to `seen`)."""
    new = [m for m in values.get("server_missing") or [] if m not in seen]
    seen.update(new)
    return new
