"""Baseline comparison: paired McNemar verdicts, flips, fingerprints, max_drop gates."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.report import Aggregator, BaselineError, compare, write_report_dir
from pytest_qnext.report.terminal import comparison_lines


def _exact_p(b: int, c: int) -> float:
    n = b + c
    tail = sum(Fraction(math.comb(n, i), 2**n) for i in range(min(b, c) + 1))
    return float(min(Fraction(1), 2 * tail))


def _run(
    make_row: Callable[..., Any],
    make_meta: Any,
    outcomes: dict[str, str],
    *,
    model: str = "m",
    dataset: str = "mcq",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    agg = Aggregator(n_resamples=50)
    agg.add_dataset_meta(make_meta(dataset, ["acc"], "acc"))
    for sid, outcome in outcomes.items():
        agg.add_row(make_row(dataset, sid, outcome))
    return agg.summary(fingerprint_extra={"model": model}), agg.rows


def _paired(n: int, base_pass: int, b: int, c: int) -> tuple[dict[str, str], dict[str, str]]:
    """n samples; the first base_pass pass in the baseline; b of those fail now, and c of the
    baseline failures pass now."""
    base = {f"s{i}": "pass" if i < base_pass else "fail" for i in range(n)}
    cur = dict(base)
    for i in range(b):
        cur[f"s{i}"] = "fail"
    for i in range(base_pass, base_pass + c):
        cur[f"s{i}"] = "pass"
    return base, cur


@pytest.fixture
def baseline_dir(tmp_path: Path) -> Path:
    return tmp_path / "baseline"


@pytest.mark.parametrize(
    ("b", "c", "verdict"),
    [(15, 2, "regressed"), (1, 12, "improved"), (6, 3, "inconclusive"), (0, 0, "inconclusive")],
)
def test_verdicts_on_known_discordant_counts(
    make_row: Callable[..., Any], make_meta: Any, baseline_dir: Path, b: int, c: int, verdict: str
) -> None:
    base, cur = _paired(120, 80, b, c)
    write_report_dir(baseline_dir, *_run(make_row, make_meta, base))
    summary, rows = _run(make_row, make_meta, cur)
    comparison = compare(summary, rows, baseline_dir)
    assert comparison.refused is None
    (ds,) = comparison.datasets
    assert (ds.pass_to_fail, ds.fail_to_pass, ds.paired) == (b, c, 120)
    assert ds.p_value == pytest.approx(_exact_p(b, c))
    assert ds.verdict == verdict
    assert ds.delta == pytest.approx((c - b) / 120)
    assert [f["sample_id"] for f in ds.flips_pass_to_fail] == [f"s{i}" for i in range(b)]
    assert [f["sample_id"] for f in ds.flips_fail_to_pass] == [f"s{i}" for i in range(80, 80 + c)]
    lines = comparison_lines(comparison)
    assert any(verdict in line and f"p={ds.p_value:.3g}" in line for line in lines)


def test_pairs_only_shared_scored_samples(
    make_row: Callable[..., Any], make_meta: Any, baseline_dir: Path
) -> None:
    base = {"a": "pass", "b": "pass", "c": "fail", "d": "skipped"}
    cur = {"a": "fail", "c": "pass", "d": "pass", "e": "pass"}
    write_report_dir(baseline_dir, *_run(make_row, make_meta, base))
    comparison = compare(*_run(make_row, make_meta, cur), baseline_dir)
    (ds,) = comparison.datasets
    assert ds.paired == 2  # a and c; b missing now, d skipped before, e new
    assert (ds.pass_to_fail, ds.fail_to_pass) == (1, 1)


def test_fingerprint_mismatch_refuses_unless_forced(
    make_row: Callable[..., Any], make_meta: Any, baseline_dir: Path
) -> None:
    base, cur = _paired(50, 40, 10, 0)
    write_report_dir(baseline_dir, *_run(make_row, make_meta, base, model="old"))
    summary, rows = _run(make_row, make_meta, cur, model="new")
    refused = compare(summary, rows, baseline_dir, max_drop=0.01)
    assert refused.refused is not None
    assert "fingerprints differ" in refused.refused and "mcq: model" in refused.refused
    assert "\n" not in refused.refused
    assert refused.datasets == []
    (gate,) = refused.gates
    assert not gate.passed and "cannot check" in gate.message
    forced = compare(summary, rows, baseline_dir, force=True)
    # a tuple in memory equals the list JSON gave the baseline: no spurious difference
    same = dict(summary, fingerprint={"mcq": {**summary["fingerprint"]["mcq"], "model": "old"}})
    assert compare(same, rows, baseline_dir).refused is None
    tupled = json.loads(json.dumps(same))
    tupled["fingerprint"]["mcq"]["stop"] = ("a", "b")
    write_report_dir(
        baseline_dir,
        {**tupled, "fingerprint": {"mcq": {**tupled["fingerprint"]["mcq"], "stop": ["a", "b"]}}},
        rows,
    )
    assert compare(tupled, rows, baseline_dir).refused is None
    assert forced.forced and forced.refused is None
    assert forced.datasets[0].verdict == "regressed"
    assert forced.fingerprint_differences == {"mcq": ["model"]}


def test_max_drop_fails_only_significant_drops_above_the_limit(
    make_row: Callable[..., Any], make_meta: Any, baseline_dir: Path
) -> None:
    base, cur = _paired(200, 150, 20, 2)  # drop 0.09, p << 0.05
    write_report_dir(baseline_dir, *_run(make_row, make_meta, base))
    summary, rows = _run(make_row, make_meta, cur)
    (gate,) = compare(summary, rows, baseline_dir, max_drop=0.02).gates
    assert not gate.passed
    assert gate.measured == pytest.approx(18 / 200)
    assert gate.dataset == "mcq"
    (loose,) = compare(summary, rows, baseline_dir, max_drop=0.10).gates
    assert loose.passed and "within the limit" in loose.message


def test_max_drop_passes_large_but_insignificant_drop(
    make_row: Callable[..., Any], make_meta: Any, baseline_dir: Path
) -> None:
    base, cur = _paired(20, 10, 3, 0)  # drop 0.15 but p = 0.25
    write_report_dir(baseline_dir, *_run(make_row, make_meta, base))
    (gate,) = compare(*_run(make_row, make_meta, cur), baseline_dir, max_drop=0.02).gates
    assert gate.passed and "not significant" in gate.message


def test_datasets_only_on_one_side(
    make_row: Callable[..., Any], make_meta: Any, baseline_dir: Path
) -> None:
    write_report_dir(baseline_dir, *_run(make_row, make_meta, {"1": "pass"}, dataset="old"))
    comparison = compare(
        *_run(make_row, make_meta, {"1": "pass"}, dataset="new"), baseline_dir, max_drop=0.1
    )
    assert comparison.only_in_current == ["new"]
    assert comparison.only_in_baseline == ["old"]
    assert comparison.datasets == []
    assert [g.passed for g in comparison.gates] == [False]


def test_unreadable_baselines_raise_one_line(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match=r"nowhere does not exist; give a run folder"):
        compare({}, [], tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BaselineError, match=r"holds no summary\.json and no latest-capability"):
        compare({}, [], tmp_path / "empty")
    (tmp_path / "summary.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "samples.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(BaselineError, match="not valid JSON") as info:
        compare({}, [], tmp_path)
    assert "\n" not in str(info.value)
    (tmp_path / "summary.json").write_text(json.dumps({"table": []}), encoding="utf-8")
    (tmp_path / "samples.jsonl").write_text('{"dataset": "x"}\n', encoding="utf-8")
    with pytest.raises(BaselineError, match="line 1 is not a sample row"):
        compare({}, [], tmp_path)
    with pytest.raises(BaselineError, match="max_drop"):
        compare({}, [], tmp_path, max_drop=2.0)
