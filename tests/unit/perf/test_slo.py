"""SLO parsing/checking and direction-aware baseline comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_qnext.perf.catalog import direction
from pytest_qnext.perf.slo import (
    SLOError,
    compare_baseline,
    load_baseline,
    parse_regression,
    parse_slo,
)


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


def _row(**values: float) -> dict[str, object]:
    return {"parallel": 8, "number": 40, **values}


def test_latency_up_and_throughput_down_are_regressions() -> None:
    base = [_row(ttft_p50=0.100, output_throughput=1000.0)]
    worse = compare_baseline(_row(ttft_p50=0.120, output_throughput=850.0), base, 0.10)
    assert [g.passed for g in worse] == [False, False]
    assert "+20.0%" in worse[0].message and "REGRESSED" in worse[0].message
    assert "-15.0%" in worse[1].message
    better = compare_baseline(_row(ttft_p50=0.080, output_throughput=1200.0), base, 0.10)
    assert all(g.passed for g in better)
    small = compare_baseline(_row(ttft_p50=0.105, output_throughput=960.0), base, 0.10)
    assert all(g.passed for g in small)


def test_noise_is_stated() -> None:
    base = [{**_row(ttft_p50=0.1), "noise": {"ttft_p50": 0.03}}]
    current = {**_row(ttft_p50=0.102), "noise": {"ttft_p50": 0.04}}
    (gate,) = compare_baseline(current, base, 0.10)
    assert "noise ±5.0%" in gate.message and "within noise" in gate.message


def test_missing_point_is_not_compared() -> None:
    (gate,) = compare_baseline({"parallel": 64, "number": 10}, [_row(ttft_p50=0.1)], 0.1)
    assert gate.passed and "not compared" in gate.message


def test_load_baseline(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"table": [], "perf": [_row(ttft_p50=0.1)]}))
    assert load_baseline(summary)[0]["ttft_p50"] == 0.1
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([_row(ttft_p50=0.2)]))
    assert load_baseline(rows)[0]["ttft_p50"] == 0.2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"table": []}))
    with pytest.raises(SLOError, match="no perf rows"):
        load_baseline(bad)
