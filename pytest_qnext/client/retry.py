"""Retry policy: which failures are retried, and how long to wait before the next attempt.

Exponential backoff with full jitter: before retry number `n` (0-based) the client sleeps a
uniform random time in `[0, min(backoff_max, backoff_base * 2**n)]`. A `Retry-After` header
(seconds, or an HTTP date) on a 429/5xx answer replaces the jittered delay, capped by
`backoff_max`. The random generator is seeded when a seed is given, so runs replay exactly.
"""

from __future__ import annotations

import math
import random
import time
from email.utils import parsedate_to_datetime

from pytest_qnext.client.errors import ClientConfigError
from pytest_qnext.client.records import ErrorKind

__all__ = ["RETRYABLE", "Backoff", "parse_retry_after"]

# failures worth another attempt; never other 4xx, nor an error event the server sent on purpose
RETRYABLE: frozenset[ErrorKind] = frozenset(
    {"connect", "timeout", "http_429", "http_5xx", "stream_dropped", "malformed"}
)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header value; None when absent or unreadable.

    Accepts delay-seconds (also with a fraction, which some servers send) and HTTP dates;
    `now` is the wall-clock time (`time.time()`) to measure a date against.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class Backoff:
    """Delays between attempts (see the module docstring)."""

    __slots__ = ("base", "maximum", "rng")

    def __init__(self, base: float = 0.5, maximum: float = 20.0, seed: int | None = None) -> None:
        if not (math.isfinite(base) and base >= 0):
            raise ClientConfigError(f"backoff_base must be a number >= 0, got {base!r}")
        if not (math.isfinite(maximum) and maximum >= 0):
            raise ClientConfigError(f"backoff_max must be a number >= 0, got {maximum!r}")
        self.base = base
        self.maximum = maximum
        self.rng = random.Random(seed)

    def ceiling(self, retry: int) -> float:
        """Largest jittered delay before retry number `retry` (0-based)."""
        # 2.0**1000 is still a float; base * it may be inf, which min() caps
        return min(self.maximum, self.base * (2.0 ** min(retry, 1000)))

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before retry number `retry` (0-based)."""
        if retry_after is not None:
            return min(self.maximum, retry_after)
        return self.rng.uniform(0.0, self.ceiling(retry))
