"""Baseline comparisons: resolving and reading a baseline, direction-aware regressions,
failing when nothing can be compared, and the across-rounds intervals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_qnext.perf.baseline import compare_baseline, load_baseline, resolve_baseline
from pytest_qnext.perf.slo import SLOError


def _row(**values: object) -> dict[str, object]:
    return {
        "point": "parallel=8-number=40",
        "parallel": 8,
        "number": 40,
        "rate": None,
        "rounds": 1,
        "gates": [],
        **values,
    }


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


def test_a_point_the_baseline_lacks_fails_with_the_reason() -> None:
    (gate,) = compare_baseline(_row(parallel=64, number=10), [_row(ttft_p50=0.1)], 0.1)
    assert not gate.passed
    assert "no point matches parallel=64 number=10" in gate.message
    assert "parallel=8 number=40" in gate.message


def test_nothing_in_common_fails() -> None:
    (gate,) = compare_baseline(_row(ttft_p50=0.1), [_row(output_throughput=5.0)], 0.1)
    assert not gate.passed and "no comparable metric" in gate.message


def test_rate_is_part_of_the_match() -> None:
    base = [_row(rate=2.0, ttft_p50=0.1)]
    (gate,) = compare_baseline(_row(rate=4.0, ttft_p50=0.1), base, 0.1)
    assert not gate.passed and "rate=4" in gate.message


def test_intervals_across_rounds_decide_significance() -> None:
    base = [_row(ttft_p50=0.100, ci95={"ttft_p50": [0.095, 0.105]})]
    # 20 % worse but the current interval is wide: not significant, so it passes
    noisy = _row(ttft_p50=0.120, ci95={"ttft_p50": [0.080, 0.160]})
    (gate,) = compare_baseline(noisy, base, 0.10)
    assert gate.passed and "across rounds" in gate.message and "not significant" in gate.message
    # 20 % worse with tight intervals: a real regression
    tight = _row(ttft_p50=0.120, ci95={"ttft_p50": [0.118, 0.122]})
    (gate,) = compare_baseline(tight, base, 0.10)
    assert not gate.passed and "REGRESSED" in gate.message
    # significant but within the allowed regression
    (gate,) = compare_baseline(
        _row(ttft_p50=0.105, ci95={"ttft_p50": [0.1049, 0.1051]}),
        [_row(ttft_p50=0.1, ci95={"ttft_p50": [0.0999, 0.1001]})],
        0.10,
    )
    assert gate.passed


def test_load_and_resolve_baseline(tmp_path: Path) -> None:
    summary = tmp_path / "run" / "summary.json"
    summary.parent.mkdir()
    summary.write_text(json.dumps({"table": [], "perf": [_row(ttft_p50=0.1)]}))
    assert load_baseline(summary)[0]["ttft_p50"] == 0.1
    assert resolve_baseline(summary.parent) == summary
    (tmp_path / "latest-perf").symlink_to(summary.parent)
    assert resolve_baseline(tmp_path).resolve() == summary.resolve()
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([_row(ttft_p50=0.2)]))
    assert load_baseline(rows)[0]["ttft_p50"] == 0.2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"table": [{"dataset_name": "x"}], "perf": []}, "holds a capability summary"),
        ([], "holds no perf points"),
        ("{not json", "cannot read"),
        ({"perf": [{"parallel": 1}]}, "lacks 'point'"),
    ],
)
def test_unusable_baselines_are_refused(tmp_path: Path, content: object, message: str) -> None:
    path = tmp_path / "summary.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(SLOError, match=message):
        load_baseline(path)


def test_missing_baseline_path(tmp_path: Path) -> None:
    with pytest.raises(SLOError, match="does not exist"):
        resolve_baseline(tmp_path / "nope")
    with pytest.raises(SLOError, match=r"holds no summary\.json"):
        resolve_baseline(tmp_path)
