"""SLO parsing/checking and direction-aware baseline comparison."""

from __future__ import annotations

import pytest

from pytest_qnext.perf.catalog import direction
from pytest_qnext.perf.slo import SLOError, parse_point_limits, parse_regression, parse_slo


def test_parse_and_check() -> None:
    slo = parse_slo("ttft_p99<=2.0")
    assert (slo.metric, slo.op, slo.limit) == ("ttft_p99", "<=", 2.0)
    assert parse_slo("tpot_p50 <= 40ms").limit == pytest.approx(0.04)
    ok = slo.check({"ttft_p99": 1.5, "ttft_n": 20})
    assert ok.passed and "measured 1.5 vs limit 2" in ok.message and "n=20" in ok.message
    bad = slo.check({"ttft_p99": 2.5})
    assert not bad.passed and "violated" in bad.message
    thr = parse_slo("output_throughput>=500")
    assert not thr.check({"output_throughput": 499.0}).passed
    assert thr.check({"output_throughput": 500.0}).passed


def test_unmeasured_metric_fails() -> None:
    result = parse_slo("ttft_p50<=1").check({"ttft_p50": float("nan")})
    assert not result.passed and "not measured" in result.message


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("ttft_p99<2", "METRIC<=LIMIT"),
        ("ttft_p99=2", "METRIC<=LIMIT"),
        ("ttft_p42<=2", "unknown metric"),
        ("latency<=2", "unknown metric"),
    ],
)
def test_bad_slos_say_what_to_write(text: str, hint: str) -> None:
    with pytest.raises(SLOError, match=hint) as info:
        parse_slo(text)
    assert "\n" not in str(info.value)


def test_regression_parsing() -> None:
    assert parse_regression("10%") == pytest.approx(0.1)
    assert parse_regression("0.25") == pytest.approx(0.25)
    for bad in ("ten", "0", "-5%"):
        with pytest.raises(SLOError):
            parse_regression(bad)


def test_directions() -> None:
    assert direction("ttft_p99") == "lower"
    assert direction("output_throughput") == "higher"
    assert direction("ttft_n") is None


def test_point_limits_and_search_scope() -> None:
    limits = parse_point_limits("ttft_p99<=2.0, tpot_p99<=50ms")
    assert [str(s) for s in limits] == ["ttft_p99<=2", "tpot_p99<=0.05"]
    assert parse_slo("max_concurrency>=24").scope == "search"
    assert limits[0].scope == "point"
    with pytest.raises(SLOError, match="not a limit on a point"):
        parse_point_limits("max_concurrency>=2")
    with pytest.raises(SLOError, match="no limit"):
        parse_point_limits(" , ")
