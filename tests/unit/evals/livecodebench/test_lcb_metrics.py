"""pass@k (unbiased estimator), avg@n, and the contamination warning."""

from __future__ import annotations

from datetime import date
from math import comb

import pytest

from pytest_qnext.evals.livecodebench import SPEC, contamination_warning, pass_at_k, summarize


@pytest.mark.parametrize(
    ("n", "c", "k"), [(10, 3, 1), (10, 3, 5), (20, 0, 4), (5, 5, 2), (7, 6, 3)]
)
def test_pass_at_k_is_the_unbiased_estimator(n: int, c: int, k: int) -> None:
    expected = 1 - comb(n - c, k) / comb(n, k)
    assert pass_at_k(n, c, k) == pytest.approx(expected, rel=1e-12)


def test_pass_at_1_is_the_pass_rate() -> None:
    assert pass_at_k(8, 3, 1) == pytest.approx(3 / 8)


@pytest.mark.parametrize(("n", "c", "k"), [(3, 4, 1), (3, 1, 4), (3, 1, 0), (3, -1, 1)])
def test_impossible_counts_are_refused(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match="pass@k needs"):
        pass_at_k(n, c, k)


def test_summarize_over_problems_and_repeats() -> None:
    results = {"a": [True, False, False, True], "b": [False] * 4, "c": [True] * 4}
    out = summarize(results, ks=(1, 2, 5))
    assert out["pass@1"] == pytest.approx((2 / 4 + 0 + 1) / 3)
    assert out["pass@2"] == pytest.approx((pass_at_k(4, 2, 2) + 0 + 1) / 3)
    assert "pass@5" not in out  # every problem needs >= k programs
    assert out["avg@4"] == pytest.approx(6 / 12)
    assert summarize({}) == {}


def test_primary_metric_name_is_pass_at_1() -> None:
    assert SPEC.primary_metric == "pass@1" and SPEC.metrics == ("pass@1",)
    assert SPEC.task_type == "code" and SPEC.name == "live_code_bench"


def test_contamination_warning() -> None:
    assert contamination_warning("2025-01-01", "2024-12-31") is None
    warning = contamination_warning("2025-01-01", date(2025, 2, 1))
    assert warning is not None and "2025-02-01" in warning and "\n" not in warning
    assert contamination_warning("2025-01-01", "2025-01-01") is not None  # same day: not after
    missing = contamination_warning(None, "2024-06-30")
    assert missing is not None and "no start_date" in missing
    with pytest.raises(ValueError, match="model cutoff 'June' is not a date"):
        contamination_warning("2025-01-01", "June")
