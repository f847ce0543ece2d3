"""live_code_bench's breakdown: kinds, difficulty, month and platform tables, pass@k over repeats
(the counts recomputed here from the rows, pass@k from the binomial formula)."""

from __future__ import annotations

from collections import Counter
from math import comb
from typing import Any

import pytest

from pytest_qnext.evals.livecodebench import SPEC, sample_details
from pytest_qnext.evals.livecodebench.breakdown import breakdown, ks_for, row_kind
from pytest_qnext.rows import SampleRow
from pytest_qnext.sample import Sample

# per problem and repeat: (outcome, kind or None when the engine decided without grading)
RUNS = {
    0: [("pass", "pass"), ("fail", "wrong_answer"), ("pass", "pass"), ("fail", "timeout")],
    1: [("fail", "compile_error"), ("unparsed", "unparsed"), ("truncated", None), ("pass", "pass")],
    2: [("error", None), ("fail", "killed"), ("fail", "runtime_error"), ("fail", "memory")],
}


def make_rows(loaded: list[Sample]) -> list[SampleRow]:
    rows = []
    for index, runs in RUNS.items():
        sample = loaded[index * 7]  # different months and difficulties
        for repeat, (outcome, kind) in enumerate(runs):
            details: dict[str, Any] = dict(sample_details(sample))
            if kind is not None:
                details["kind"] = kind
            rows.append(
                SampleRow(
                    dataset=SPEC.name,
                    sample_id=sample.id,
                    outcome=outcome,  # type: ignore[arg-type]
                    repeat=repeat,
                    metrics={"pass@1": (float(outcome == "pass"), 1.0)},
                    details=details,
                )
            )
    return rows


def test_tables_count_every_row(loaded: list[Sample]) -> None:
    rows = make_rows(loaded)
    out = breakdown(rows)
    assert out is not None
    assert {r["kind"]: r["count"] for r in out["by_kind"]} == dict(Counter(map(row_kind, rows)))
    assert sum(r["count"] for r in out["by_kind"]) == len(rows)
    assert {"truncated", "error", "killed", "memory"} <= {r["kind"] for r in out["by_kind"]}
    for table, key, cut in (
        ("by_difficulty", "difficulty", None),
        ("by_month", "contest_date", 7),
        ("by_platform", "platform", None),
    ):
        expected: dict[str, list[int]] = {}
        for row in rows:
            name = str(row.details[key])[:cut]
            entry = expected.setdefault(name, [0, 0])
            entry[0] += 1
            entry[1] += row.outcome == "pass"
        got = {r[table.removeprefix("by_")]: [r["count"], r["passed"]] for r in out[table]}
        assert got == expected, table
        assert all(r["pass_rate"] == r["passed"] / r["count"] for r in out[table])


def test_pass_at_k_over_repeats(loaded: list[Sample]) -> None:
    out = breakdown(make_rows(loaded))
    assert out is not None
    passes = [sum(o == "pass" for o, _ in runs) for runs in RUNS.values()]
    values = {r["metric"]: r["value"] for r in out["pass_at_k"]}
    assert set(values) == {"pass@1", "pass@2", "pass@4", "avg@4"}
    for k in (1, 2, 4):
        expected = sum(1 - comb(4 - c, k) / comb(4, k) for c in passes) / len(passes)
        assert values[f"pass@{k}"] == pytest.approx(expected)
    assert values["avg@4"] == pytest.approx(sum(passes) / 12)
    assert all(r["problems"] == 3 for r in out["pass_at_k"])


def test_one_repeat_has_no_pass_at_k_and_no_rows_no_breakdown(loaded: list[Sample]) -> None:
    single = [r for r in make_rows(loaded) if r.repeat == 0]
    out = breakdown(single)
    assert out is not None and "pass_at_k" not in out
    assert breakdown([]) is None


@pytest.mark.parametrize(("n", "ks"), [(1, [1]), (2, [1, 2]), (3, [1, 2, 3]), (8, [1, 2, 4, 8])])
def test_reported_ks(n: int, ks: list[int]) -> None:
    assert ks_for(n) == ks
