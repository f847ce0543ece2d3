"""A collection run in the report: the seed's one-row-per-dataset table, summary.json
`collection`, collection gates, terminal level lines and the baseline comparison as a whole.

Rows are built as a collection item reports them (`SampleRow.from_json` of plain JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.collections import ScoredRow, collection_levels
from pytest_qnext.report import Aggregator, compare, write_report_dir
from pytest_qnext.report.baseline import compare_collection
from pytest_qnext.report.gates import evaluate_gates, parse_gate
from pytest_qnext.report.terminal import collection_lines, comparison_lines
from pytest_qnext.rows import DatasetMeta, SampleRow

# (categories, dataset, weight, task_type, tags) of the three leaves
LEAVES = {
    "aime24": (["Mix", "Math"], 0.5, "math", ["en"]),
    "ceval": (["Mix", "Exams"], 0.25, "exam", ["zh"]),
    "ifeval": (["Mix", "Exams"], 0.25, "instruction", ["en"]),
}
PRIMARY = {"aime24": "acc", "ceval": "acc", "ifeval": "prompt_level_strict"}


def row(dataset: str, sid: str, outcome: str, *, leaf: bool = True, repeat: int = 0) -> SampleRow:
    won = float(outcome == "pass")
    metrics: dict[str, list[float]] = {}
    if outcome != "skipped":
        metrics = {PRIMARY[dataset]: [won, 1.0]}
        if dataset == "ifeval":  # a second metric the collection table leaves out
            metrics["inst_level_strict"] = [won + 1.0, 2.0]
    categories, weight, task_type, tags = LEAVES[dataset]
    data: dict[str, Any] = {"dataset": dataset, "sample_id": sid, "outcome": outcome,
                            "metrics": metrics, "repeat": repeat}  # fmt: skip
    if leaf:
        data["collection"] = {"task_type": task_type, "tags": tags, "categories": categories,
                              "weight": weight}  # fmt: skip
    return SampleRow.from_json(data)


def outcomes(pattern: dict[str, str], *, leaf: bool = True) -> list[SampleRow]:
    """{"aime24": "ppf", ...}: one row per letter (p pass, f fail, s skipped, e error)."""
    names = {"p": "pass", "f": "fail", "s": "skipped", "e": "error"}
    return [
        row(dataset, f"{dataset[:2]}{i}", names[letter], leaf=leaf)
        for dataset, letters in pattern.items()
        for i, letter in enumerate(letters)
    ]


CURRENT = {"aime24": "ppffs", "ceval": "pfpf", "ifeval": "ppppe"}


def summarize(rows: list[SampleRow], gates: list[str] | None = None) -> dict[str, Any]:
    agg = Aggregator(n_resamples=200, seed=3)
    for name, metric in PRIMARY.items():
        metrics = [metric, "inst_level_strict"] if name == "ifeval" else [metric]
        agg.add_dataset_meta(DatasetMeta(name, "from-the-benchmark", metric, tuple(metrics)))
    for r in rows:
        agg.add_row(r)
    return agg.summary(gates=gates)


def test_table_has_one_row_per_dataset_with_the_schema_task_type() -> None:
    summary = summarize(outcomes(CURRENT))
    assert [(t["dataset_name"], t["metric"], t["task_type"], t["count"]) for t in summary["table"]]\
        == [("aime24", "acc", "math", 4), ("ceval", "acc", "exam", 4),
            ("ifeval", "prompt_level_strict", "instruction", 5)]  # fmt: skip
    direct = summarize(outcomes(CURRENT, leaf=False))
    assert "collection" not in direct and len(direct["table"]) == 4  # ifeval: both metrics
    assert direct["table"][0]["task_type"] == "from-the-benchmark"


def test_collection_block_holds_the_levels_of_the_scored_rows() -> None:
    rows = outcomes(CURRENT)
    block = summarize(rows)["collection"]
    scored = [
        ScoredRow(
            r.dataset,
            r.subset,
            r.sample_id,
            r.metrics[PRIMARY[r.dataset]][0],
            LEAVES[r.dataset][1],
            LEAVES[r.dataset][2],
            tuple(LEAVES[r.dataset][3]),
            tuple(LEAVES[r.dataset][0]),
        )
        for r in rows
        if r.outcome != "skipped"
    ]
    assert {k: v for k, v in block.items() if k != "name"} == collection_levels(
        scored, 3, n_resamples=200
    )
    assert block["name"] == "Mix"
    (whole,) = [e for e in block["levels"]["category"] if e["category"] == ["Mix"]]
    # 13 scored (the skipped aime24 row is out; the error row counts as 0)
    assert whole["count"] == 13 and whole["micro_avg"] == pytest.approx(8 / 13)
    # weighted: 0.5 x aime24 2/4 + 0.25 x ceval 2/4 + 0.25 x ifeval 4/5
    assert whole["weighted_avg"] == pytest.approx(0.5 * 0.5 + 0.25 * 0.5 + 0.25 * 0.8)
    low, high = whole["weighted_ci"]
    assert low <= whole["weighted_avg"] <= high and high - low > 0.05


def test_collection_gates_read_the_levels() -> None:
    gates = [
        "collection>=0.5",
        "collection.micro>=0.7",
        "collection.tag.zh>=0.5",
        "collection.category.Mix/Exams.macro>=0.6",
        "collection.subset.ifeval/default>=0.9",
        "collection.tag.fr>=0.1",
    ]
    results = {g["name"]: g for g in summarize(outcomes(CURRENT), gates)["gates"]}
    assert results["collection>=0.5"]["measured"] == pytest.approx(0.575)
    assert results["collection>=0.5"]["passed"]
    assert not results["collection.micro>=0.7"]["passed"]
    assert results["collection.tag.zh>=0.5"]["measured"] == pytest.approx(0.5)
    assert results["collection.category.Mix/Exams.macro>=0.6"]["measured"] == pytest.approx(0.65)
    assert not results["collection.subset.ifeval/default>=0.9"]["passed"]
    fr = results["collection.tag.fr>=0.1"]
    assert not fr["passed"] and fr["measured"] is None
    assert "tag 'fr' has no scored samples in this run (tags: en, zh)" in fr["message"]
    (none,) = evaluate_gates(
        [parse_gate("collection>=0.1")], summarize(outcomes(CURRENT, leaf=False))
    )
    assert not none.passed and "this run evaluated no collection" in none.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("collection.tags.zh>=0.5", "unknown collection level or average 'tags'"),
        ("collection.tag>=0.5", "name the tag entry"),
        ("collection.tag.zh>=60", "outside [0, 1]"),
        ("collection.median>=0.5", "unknown collection level or average 'median'"),
    ],
)
def test_bad_collection_gates_are_one_line(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_gate(text)
    assert str(info.value).startswith(f"bad gate {text!r}") and message in str(info.value)
    assert "\n" not in str(info.value)


def test_terminal_shows_the_whole_collection_and_the_asked_levels() -> None:
    summary = summarize(outcomes(CURRENT))
    lines = collection_lines(summary, ("tag",))
    assert lines[0] == "qnext collection Mix"
    assert [c.strip() for c in lines[1].split(" | ")] == [
        "level", "key", "count", "micro_avg", "95% CI", "macro_avg", "95% CI", "weighted_avg",
        "95% CI"
    ]  # fmt: skip
    body = [line.split(" | ") for line in lines[3:]]
    assert [(cells[0].strip(), cells[1].strip(), cells[2].strip()) for cells in body] == [
        ("collection", "Mix", "13"), ("tag", "en", "9"), ("tag", "zh", "4")
    ]  # fmt: skip
    assert body[0][-2].strip() == "0.5750"  # the weighted average
    assert len(collection_lines(summary)) == 4  # header, column names, rule, whole collection
    assert collection_lines(summarize(outcomes(CURRENT, leaf=False)), ("tag",)) == []


def test_baseline_pairs_the_collection_on_shared_samples(tmp_path: Path) -> None:
    base_rows = outcomes({"aime24": "pppps", "ceval": "pppp", "ifeval": "ppppp"}, leaf=False)
    base_dir = tmp_path / "base"
    write_report_dir(base_dir, summarize(base_rows), base_rows)  # a direct run as the baseline
    rows = outcomes(CURRENT)
    summary = summarize(rows)
    whole = compare_collection(
        {r.key: r for r in rows if r.outcome != "skipped"},
        {r.key: r for r in base_rows if r.outcome != "skipped"},
        PRIMARY,
    )
    assert whole is not None
    assert (whole["paired"], whole["pass_to_fail"], whole["fail_to_pass"]) == (13, 5, 0)
    assert whole["baseline_weighted"] == pytest.approx(1.0)
    assert whole["current_weighted"] == pytest.approx(0.575)
    assert whole["delta"] == pytest.approx(-0.425)
    low, high = whole["delta_ci"]
    assert low <= -0.425 <= high < 0 and whole["verdict"] == "regressed"
    comparison = compare(summary, rows, base_dir, max_drop=0.1, force=True)
    assert comparison.collection == whole | {"alpha": 0.05}
    (gate,) = [g for g in comparison.gates if g.name == "collection.max_drop<=0.1"]
    assert not gate.passed and gate.measured == pytest.approx(0.425)
    text = "\n".join(comparison_lines(comparison))
    assert "collection: regressed weighted 1.0000 -> 0.5750 (-0.4250" in text
    same = compare_collection({r.key: r for r in rows}, {r.key: r for r in rows}, PRIMARY)
    assert same is not None and same["delta"] == 0 and same["verdict"] == "inconclusive"
    assert compare_collection({}, {r.key: r for r in rows}, PRIMARY) is None
