"""Statistics for capability reports: confidence intervals and the paired test.

Everything returns plain floats so results go straight into summary.json.

- `wilson_interval`: score interval for a binomial proportion (binary metrics, one row per
  sample). Unlike the normal approximation it stays inside [0, 1] and behaves at 0 and n.
- `bootstrap_ci`: percentile bootstrap of a ratio estimator sum(num) / sum(den), resampling
  whole clusters (one cluster per sample, so the repeats of a sample move together). Used for
  non-binary metrics (IFEval's instruction-level ratios) and whenever a sample has repeats
  (avg@k), where rows are not independent and Wilson would be too narrow.
- `mcnemar_exact`: exact two-sided McNemar test, i.e. a binomial test with p = 1/2 on the
  discordant pairs of a paired comparison (baseline vs current run on the same sample ids).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from statistics import NormalDist

import numpy as np

__all__ = [
    "bootstrap_ci",
    "is_binary",
    "mcnemar_exact",
    "micro_mean",
    "wilson_interval",
    "z_value",
]


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for a confidence level (0.95 -> 1.959964...)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def micro_mean(nums: Sequence[float], dens: Sequence[float]) -> float | None:
    """sum(nums) / sum(dens); None when the denominators sum to zero."""
    den = math.fsum(dens)
    if den <= 0:
        return None
    return math.fsum(nums) / den


def is_binary(nums: Sequence[float], dens: Sequence[float]) -> bool:
    """True when every pair is (0, 1) or (1, 1): a plain per-sample accuracy."""
    return all(d == 1 and n in (0, 1) for n, d in zip(nums, dens, strict=True))


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for `successes` out of `n` trials.

    Returns (0.0, 1.0) when n == 0 (nothing is known).
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes!r}, n={n!r}")
    if n == 0:
        return 0.0, 1.0
    z = z_value(confidence)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    low = max(0.0, centre - half)
    high = min(1.0, centre + half)
    # the point estimate lies inside mathematically; guard against rounding at the ends
    return min(low, p), max(high, p)


def bootstrap_ci(
    nums: Sequence[float],
    dens: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of sum(nums)/sum(dens), resampling clusters.

    `clusters[i]` names the cluster of row i (e.g. the sample id, so repeats stay together);
    None makes every row its own cluster. Clusters are taken in sorted order of their first
    appearance key, so the result depends only on the data and `seed`. The interval is widened
    to contain the point estimate when the percentiles would exclude it (tiny, skewed samples).
    Returns None when the denominators sum to zero.
    """
    if len(nums) != len(dens):
        raise ValueError(f"nums and dens differ in length ({len(nums)} != {len(dens)})")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    estimate = micro_mean(nums, dens)
    if estimate is None:
        return None
    if clusters is None:
        keys: list[Hashable] = list(range(len(nums)))
    else:
        if len(clusters) != len(nums):
            raise ValueError(f"clusters has {len(clusters)} entries for {len(nums)} rows")
        keys = list(clusters)
    index: dict[Hashable, int] = {}
    for key in sorted(set(keys), key=repr):
        index[key] = len(index)
    k = len(index)
    cnum = np.zeros(k, dtype=np.float64)
    cden = np.zeros(k, dtype=np.float64)
    ids = np.fromiter((index[key] for key in keys), dtype=np.int64, count=len(keys))
    np.add.at(cnum, ids, np.asarray(nums, dtype=np.float64))
    np.add.at(cden, ids, np.asarray(dens, dtype=np.float64))

    rng = np.random.default_rng(seed)
    stats = np.empty(n_resamples, dtype=np.float64)
    chunk = max(1, min(n_resamples, 4_000_000 // max(k, 1)))
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        counts = rng.multinomial(k, np.full(k, 1.0 / k), size=size).astype(np.float64)
        num_sum = counts @ cnum
        den_sum = counts @ cden
        with np.errstate(invalid="ignore", divide="ignore"):
            stats[done : done + size] = np.where(den_sum > 0, num_sum / den_sum, np.nan)
        done += size
    valid = stats[~np.isnan(stats)]
    if valid.size == 0:
        return estimate, estimate
    alpha = 1.0 - confidence
    low = float(np.quantile(valid, alpha / 2.0))
    high = float(np.quantile(valid, 1.0 - alpha / 2.0))
    return min(low, estimate), max(high, estimate)


def _binom_cdf_half(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), exactly (integer arithmetic, one division)."""
    term = 1  # C(n, 0); C(n, i + 1) = C(n, i) * (n - i) / (i + 1), exact in integers
    total = 1
    for i in range(k):
        term = term * (n - i) // (i + 1)
        total += term
    return total / (1 << n)  # int / int true division: correctly rounded, never overflows


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value for discordant counts b and c.

    b = pairs that passed before and fail now, c = the reverse. Under the null hypothesis each
    discordant pair goes either way with probability 1/2, so p = min(1, 2 * P(X <= min(b, c)))
    with X ~ Binomial(b + c, 1/2). No discordant pairs gives p = 1.
    """
    if b < 0 or c < 0 or int(b) != b or int(c) != c:
        raise ValueError(f"discordant counts must be non-negative integers, got b={b!r}, c={c!r}")
    n = int(b) + int(c)
    if n == 0:
        return 1.0
    return min(1.0, 2.0 * _binom_cdf_half(min(int(b), int(c)), n))
