"""Arrival schedules: mean gap 1/rate whatever the burstiness; burstiness shapes the spread."""

from __future__ import annotations

import itertools
import random
import statistics

import pytest

from pytest_qnext.perf.arrivals import arrival_offsets, trace_offsets


def gaps(burstiness: float) -> list[float]:
    offsets = arrival_offsets(20_000, 10.0, burstiness, random.Random(1))
    return [b - a for a, b in itertools.pairwise(offsets)]


@pytest.mark.parametrize("burstiness", [0.25, 1.0, 4.0])
def test_mean_gap_is_one_over_the_rate(burstiness: float) -> None:
    assert statistics.fmean(gaps(burstiness)) == pytest.approx(0.1, rel=0.05)


def test_burstiness_sets_the_spread() -> None:
    # gamma(k): coefficient of variation 1/sqrt(k); Poisson (k=1) has CV 1
    for k in (0.25, 1.0, 4.0):
        g = gaps(k)
        assert statistics.stdev(g) / statistics.fmean(g) == pytest.approx(k**-0.5, rel=0.08)


def test_first_request_at_zero_and_bad_values() -> None:
    assert arrival_offsets(3, 5.0)[0] == 0.0
    with pytest.raises(ValueError, match="must be above 0"):
        arrival_offsets(3, 0.0)


def test_trace_offsets_scale_with_speed() -> None:
    assert trace_offsets([10.0, 10.5, 12.0], speed=2.0) == [0.0, 0.25, 1.0]
    assert trace_offsets([]) == []
