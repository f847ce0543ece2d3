"""pass@k over repeats, and the contamination warning for a model's training cutoff.

Each sample's score is `pass@1` = 1 when the program passed every test (one repeat = one
program). With `repeats` n > 1 per problem the report can add, per problem with c passing
programs, the unbiased estimator pass@k = 1 - C(n-c, k) / C(n, k) (Chen et al. 2021, the one
LiveCodeBench and EvalScope use), averaged over problems, and avg@n = the mean of all n x
problems pass@1 values (which equals the mean pass@1 estimate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

__all__ = ["contamination_warning", "pass_at_k", "summarize"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate of one problem with `c` passing programs out of `n`."""
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    miss = 1.0
    for i in range(n - c + 1, n + 1):
        miss *= 1.0 - k / i
    return 1.0 - miss


def summarize(results: Mapping[str, Sequence[bool]], ks: Sequence[int] = (1,)) -> dict[str, float]:
    """{"pass@k": mean over problems for each k every problem has >= k programs for,
    "avg@n": mean over all programs} for results = problem id -> passed, per repeat."""
    if not results:
        return {}
    counts = [(len(passed), sum(map(bool, passed))) for passed in results.values()]
    out: dict[str, float] = {}
    for k in ks:
        if all(n >= k for n, _ in counts):
            out[f"pass@{k}"] = sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)
    n_max = max(n for n, _ in counts)
    out[f"avg@{n_max}"] = sum(c for _, c in counts) / sum(n for n, _ in counts)
    return out


def _as_date(value: str | date | datetime, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a date like 2025-01-01 (YYYY-MM-DD)") from None


def contamination_warning(
    start_date: str | date | datetime | None, cutoff: str | date | datetime
) -> str | None:
    """One warning line when the problems' date window starts before the model's training
    cutoff (those problems may be in its training data), else None."""
    cut = _as_date(cutoff, "model cutoff")
    if start_date is None:
        return (
            f"live_code_bench: no start_date, so problems from before the model's cutoff {cut} "
            f"count; set start_date after {cut} for a contamination-free score"
        )
    start = _as_date(start_date, "start_date")
    if start > cut:
        return None
    return (
        f"live_code_bench: start_date {start} is not after the model's cutoff {cut}; problems "
        f"up to {cut} may be in its training data (set start_date after {cut})"
    )
