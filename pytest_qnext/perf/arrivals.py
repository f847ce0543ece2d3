"""Open-loop arrival schedules, planned before a point starts (centrally, for every sender).

`arrival_offsets(n, rate, burstiness, rng)`: the send offsets (seconds from the point's start)
of `n` requests arriving at `rate` per second with gamma-distributed gaps of shape
`burstiness` and mean 1/rate (vLLM bench's definition: 1 = Poisson, below 1 burstier, above 1
more regular); the first request goes at 0. `trace_offsets` scales a trace's recorded times.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

__all__ = ["arrival_offsets", "trace_offsets"]


def arrival_offsets(
    n: int, rate: float, burstiness: float = 1.0, rng: random.Random | None = None
) -> list[float]:
    """`n` increasing offsets starting at 0 with mean gap 1/rate."""
    if rate <= 0 or burstiness <= 0:
        raise ValueError(f"rate ({rate}) and burstiness ({burstiness}) must be above 0")
    draw = rng or random.Random(0)
    out: list[float] = []
    at = 0.0
    for _ in range(n):
        out.append(at)
        if burstiness == 1.0:
            at += draw.expovariate(rate)
        else:
            at += draw.gammavariate(burstiness, 1.0 / (rate * burstiness))
    return out


def trace_offsets(timestamps: Sequence[float], speed: float = 1.0) -> list[float]:
    """A trace's recorded times (seconds) as offsets from its first one, divided by `speed`."""
    if not timestamps:
        return []
    first = timestamps[0]
    return [max(0.0, (t - first) / speed) for t in timestamps]
