"""Tests for pytest_qnext.scoring.stats: Wilson, cluster bootstrap, exact McNemar."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_qnext.scoring.stats import (
    bootstrap_ci,
    is_binary,
    mcnemar_exact,
    micro_mean,
    wilson_interval,
    z_value,
)

# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in
# Medicine 17:857-872, Table I, method 3 (Wilson score interval without continuity correction).
NEWCOMBE_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE_WILSON)
def test_wilson_matches_textbook_values(x: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(x, n)
    assert round(got[0], 4) == low
    assert round(got[1], 4) == high


def test_z_value_for_95_percent() -> None:
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError, match="confidence"):
        z_value(1.0)


def test_wilson_approaches_normal_interval_for_large_n() -> None:
    n, x = 1_000_000, 430_000
    p = x / n
    half = 1.959964 * math.sqrt(p * (1 - p) / n)
    low, high = wilson_interval(x, n)
    assert low == pytest.approx(p - half, abs=1e-5)
    assert high == pytest.approx(p + half, abs=1e-5)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="successes <= n"):
        wilson_interval(5, 4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@given(n=st.integers(1, 5000), data=st.data(), conf=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_bounds_contain_estimate(n: int, data: st.DataObject, conf: float) -> None:
    x = data.draw(st.integers(0, n))
    low, high = wilson_interval(x, n, conf)
    assert 0.0 <= low <= x / n <= high <= 1.0
    # a wider confidence level never gives a narrower interval
    wide = wilson_interval(x, n, 0.999)
    assert wide[0] <= low + 1e-12 and wide[1] >= high - 1e-12


pairs = st.lists(
    st.tuples(st.integers(0, 5), st.integers(1, 5)).map(lambda t: (min(t), t[1])),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(rows=pairs, seed=st.integers(0, 2**32 - 1))
def test_bootstrap_bounds_contain_estimate(rows: list[tuple[int, int]], seed: int) -> None:
    nums = [float(n) for n, _ in rows]
    dens = [float(d) for _, d in rows]
    ci = bootstrap_ci(nums, dens, n_resamples=200, seed=seed)
    estimate = micro_mean(nums, dens)
    assert ci is not None and estimate is not None
    assert 0.0 <= ci[0] <= estimate <= ci[1] <= 1.0


def test_bootstrap_is_deterministic_per_seed_and_none_without_denominators() -> None:
    nums = [1.0, 0.0, 3.0, 2.0, 0.0, 1.0] * 10
    dens = [1.0, 2.0, 3.0, 4.0, 1.0, 1.0] * 10
    assert bootstrap_ci(nums, dens, seed=7) == bootstrap_ci(nums, dens, seed=7)
    assert bootstrap_ci([0.0], [0.0]) is None
    with pytest.raises(ValueError, match="differ in length"):
        bootstrap_ci([1.0], [1.0, 1.0])


def test_cluster_bootstrap_treats_identical_repeats_as_one_sample() -> None:
    # 40 samples answered identically 4 times: resampling whole samples must give exactly the
    # interval of the 40 distinct samples, and an unclustered bootstrap is (wrongly) narrower.
    unique = [1.0 if i % 3 else 0.0 for i in range(40)]
    nums = [v for v in unique for _ in range(4)]
    ids = [f"s{i}" for i in range(40) for _ in range(4)]
    ones = [1.0] * len(nums)
    clustered = bootstrap_ci(nums, ones, ids, seed=3)
    assert clustered is not None
    single = bootstrap_ci(unique, [1.0] * 40, [f"s{i}" for i in range(40)], seed=3)
    assert clustered == single
    naive = bootstrap_ci(nums, ones, seed=3)
    assert naive is not None
    assert naive[1] - naive[0] < clustered[1] - clustered[0]


def test_bootstrap_close_to_wilson_for_binary_data() -> None:
    nums = [1.0] * 300 + [0.0] * 200
    ci = bootstrap_ci(nums, [1.0] * 500, n_resamples=2000, seed=1)
    low, high = wilson_interval(300, 500)
    assert ci is not None
    print(f"bootstrap {ci} wilson {(low, high)}")
    assert ci[0] == pytest.approx(low, abs=0.01)
    assert ci[1] == pytest.approx(high, abs=0.01)


def _binomial_two_sided(b: int, c: int) -> float:
    n = b + c
    tail = sum(Fraction(math.comb(n, i), 2**n) for i in range(min(b, c) + 1))
    return float(min(Fraction(1), 2 * tail))


def test_mcnemar_known_values() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 10) == pytest.approx(2 / 1024)
    assert mcnemar_exact(1, 9) == pytest.approx(2 * 11 / 1024)
    assert mcnemar_exact(5, 5) == 1.0
    with pytest.raises(ValueError, match="non-negative integers"):
        mcnemar_exact(-1, 3)


@given(b=st.integers(0, 400), c=st.integers(0, 400))
def test_mcnemar_symmetric_bounded_and_exact(b: int, c: int) -> None:
    p = mcnemar_exact(b, c)
    assert p == mcnemar_exact(c, b)
    assert 0.0 < p <= 1.0
    assert p == pytest.approx(_binomial_two_sided(b, c), rel=1e-9)


@given(b=st.integers(0, 50), c=st.integers(0, 50))
def test_mcnemar_more_imbalance_is_more_significant(b: int, c: int) -> None:
    if b >= c:
        assert mcnemar_exact(b + 1, c) <= mcnemar_exact(b, c)


def test_mcnemar_large_counts_do_not_overflow() -> None:
    p = mcnemar_exact(5000, 6000)
    assert 0.0 < p < 1e-15


def test_binary_and_micro_mean_helpers() -> None:
    assert is_binary([1, 0, 1], [1, 1, 1])
    assert not is_binary([1, 2], [1, 3])
    assert micro_mean([1, 2], [2, 4]) == pytest.approx(0.5)
    assert micro_mean([], []) is None
