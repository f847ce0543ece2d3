"""Goodput: per-request SLOs (`--qnext-goodput "ttft<=0.5,tpot<=0.05"`).

Each measured request is *good* when it succeeded and meets every per-request limit: its own
TTFT, TPOT ((E2E - TTFT) / (output tokens - 1)), E2E latency or largest inter-token gap
(`itl`, the worst gap of that request). A failed request is never good; a request whose value
for a limited latency cannot be measured (e.g. TPOT of a one-token answer) is not good either.
The point reports `good_fraction` (good / measured requests), `goodput` (good requests per
second of the measurement window) and `good_output_throughput` (output tokens of good requests
per second), the definitions of vLLM bench's `--goodput` and AIPerf's good-request fraction.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_qnext.perf.slo import UNITS

__all__ = [
    "REQUEST_LATENCIES",
    "GoodputError",
    "RequestLimit",
    "is_good",
    "parse_goodput",
    "request_values",
]

REQUEST_LATENCIES = ("ttft", "tpot", "e2e", "itl")
_LIMIT_RE = re.compile(r"^\s*([a-z0-9_]+)\s*<=\s*([-+0-9.eE]+)\s*(ms|s)?\s*$")


class GoodputError(ValueError):
    """A goodput limit could not be understood (one line saying what to write instead)."""


@dataclass(frozen=True)
class RequestLimit:
    """`latency <= seconds` for one request."""

    latency: str
    limit: float

    def __str__(self) -> str:
        return f"{self.latency}<={self.limit:g}"


def parse_goodput(text: str) -> tuple[RequestLimit, ...]:
    """'ttft<=0.5,tpot<=50ms' -> limits (seconds); GoodputError naming the bad part."""
    limits: dict[str, RequestLimit] = {}
    for part in (p for p in text.split(",") if p.strip()):
        match = _LIMIT_RE.match(part)
        if match is None:
            raise GoodputError(
                f"cannot read {part.strip()!r}; write LATENCY<=SECONDS items separated by "
                f"commas, e.g. 'ttft<=0.5,tpot<=0.05' (latencies: {', '.join(REQUEST_LATENCIES)})"
            )
        name, raw, unit = match.groups()
        if name not in REQUEST_LATENCIES:
            raise GoodputError(
                f"unknown latency {name!r}; use one of: {', '.join(REQUEST_LATENCIES)}"
            )
        try:
            value = float(raw) * UNITS[unit]
        except ValueError:
            raise GoodputError(f"limit {raw!r} of {name} is not a number") from None
        if not value > 0 or value == float("inf"):
            raise GoodputError(f"limit of {name} must be a finite number above 0, got {raw}")
        limits[name] = RequestLimit(name, value)
    if not limits:
        raise GoodputError("no limit given; write e.g. 'ttft<=0.5,tpot<=0.05'")
    return tuple(limits.values())


def request_values(
    ttft: float | None, e2e: float, output_tokens: int | None, chunk_times: Sequence[float]
) -> dict[str, float | None]:
    """One request's own latencies, as the goodput limits read them."""
    tpot = None
    if ttft is not None and output_tokens is not None and output_tokens > 1:
        tpot = (e2e - ttft) / (output_tokens - 1)
    gaps = [b - a for a, b in itertools.pairwise(chunk_times)]
    return {"ttft": ttft, "tpot": tpot, "e2e": e2e, "itl": max(gaps) if gaps else None}


def is_good(values: Mapping[str, float | None], limits: Sequence[RequestLimit]) -> bool:
    """Whether a successful request's values meet every limit (an unmeasured one does not)."""
    for limit in limits:
        value = values.get(limit.latency)
        if value is None:
            if limit.latency == "itl":
                continue  # a one-chunk answer has no gap: nothing to exceed
            return False
        if value > limit.limit:
            return False
    return True
