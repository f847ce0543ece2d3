"""Gate parsing and evaluation against real aggregated summaries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.report import Aggregator, evaluate_gates, parse_gate
from pytest_qnext.report.gates import GATE_FORMS


@pytest.mark.parametrize(
    ("text", "dataset", "metric", "op", "limit"),
    [
        ("mmlu_pro>=0.75", "mmlu_pro", None, ">=", 0.75),
        ("ifeval.prompt_level_strict >= 0.8", "ifeval", "prompt_level_strict", ">=", 0.8),
        ("error_rate<=0", None, "error_rate", "<=", 0.0),
        ("truncated_rate<=0.02", None, "truncated_rate", "<=", 0.02),
        ("mmlu_pro.unparsed_rate<=0.05", "mmlu_pro", "unparsed_rate", "<=", 0.05),
        (" aime24.avg@4 > 0.5 ", "aime24", "avg@4", ">", 0.5),
        ("gpqa_diamond<1", "gpqa_diamond", None, "<", 1.0),
    ],
)
def test_parse_valid_forms(
    text: str, dataset: str | None, metric: str | None, op: str, limit: float
) -> None:
    gate = parse_gate(text)
    assert (gate.dataset, gate.metric, gate.op, gate.limit) == (dataset, metric, op, limit)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("mmlu_pro", "bad gate"),
        ("mmlu_pro==0.7", "operator '=='"),
        ("mmlu_pro=>0.7", "operator '=>'"),
        ("mmlu_pro>=75", "outside [0, 1]"),
        ("mmlu_pro>=high", "not a number"),
        ("mmlu_pro>=nan", "outside [0, 1]"),
        ("a.b.c>=0.5", "bad gate"),
        ("", "bad gate"),
    ],
)
def test_parse_errors_are_one_line_naming_valid_forms(text: str, why: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_gate(text)
    message = str(info.value)
    assert why in message
    assert GATE_FORMS in message
    assert "\n" not in message


@pytest.fixture
def summary(make_row: Callable[..., Any], make_meta: Any) -> dict[str, Any]:
    agg = Aggregator()
    agg.add_dataset_meta(make_meta("mcq", ["acc"], "acc"))
    agg.add_dataset_meta(make_meta("ife", ["prompt", "inst"], "prompt"))
    for i, outcome in enumerate(["pass"] * 6 + ["fail", "unparsed", "error", "truncated"]):
        agg.add_row(make_row("mcq", i, outcome))
    for i, (p, n, d) in enumerate([(1, 2, 2), (0, 1, 3), (1, 1, 1), (0, 0, 2)]):
        agg.add_row(
            make_row(
                "ife",
                i,
                "pass" if p else "fail",
                metrics={"prompt": [float(p), 1.0], "inst": [float(n), float(d)]},
            )
        )
    return agg.summary()


def _result(summary: dict[str, Any], text: str) -> Any:
    (result,) = evaluate_gates([parse_gate(text)], summary)
    return result


def test_primary_metric_gate_and_boundaries(summary: dict[str, Any]) -> None:
    score = summary["datasets"]["mcq"]["score"]
    assert score == pytest.approx(6 / 10)
    assert _result(summary, f"mcq>={score}").passed
    assert not _result(summary, f"mcq>{score}").passed
    low = _result(summary, "mcq>=0.7")
    assert not low.passed and low.measured == score and low.limit == 0.7
    assert low.dataset == "mcq"
    assert "violated" in low.message


def test_named_metric_gate(summary: dict[str, Any]) -> None:
    inst = next(t for t in summary["table"] if t["metric"] == "inst")
    result = _result(summary, "ife.inst>=0.5")
    assert result.measured == inst["average_score"] == pytest.approx(4 / 8)
    assert result.passed


def test_outcome_rate_gates(summary: dict[str, Any]) -> None:
    run_count = summary["outcome_rates"]["run"]["count"]
    err = _result(summary, "error_rate<=0")
    assert not err.passed and err.measured == pytest.approx(1 / run_count)
    unparsed = _result(summary, "mcq.unparsed_rate<=0.05")
    assert not unparsed.passed and unparsed.measured == pytest.approx(1 / 10)
    assert _result(summary, "ife.truncated_rate<=0").passed


def test_missing_dataset_or_metric_fails_with_reason(summary: dict[str, Any]) -> None:
    gone = _result(summary, "gsm8k>=0.5")
    assert not gone.passed and gone.measured is None
    assert "did not run" in gone.message and "mcq" in gone.message
    metric = _result(summary, "mcq.f1>=0.5")
    assert not metric.passed and "no metric 'f1'" in metric.message


def test_gates_through_summary_argument(make_row: Callable[..., Any]) -> None:
    agg = Aggregator()
    agg.add_row(make_row("mcq", "1", "pass"))
    summary = agg.summary(gates=["mcq>=0.5", parse_gate("error_rate<=0")])
    assert [g["passed"] for g in summary["gates"]] == [True, True]
    assert set(summary["gates"][0]) == {"name", "passed", "measured", "limit", "message", "dataset"}


names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda s: s not in {"error_rate", "truncated_rate", "unparsed_rate"}
)


@given(
    dataset=names,
    metric=st.one_of(st.none(), names),
    op=st.sampled_from([">=", "<=", ">", "<"]),
    limit=st.floats(0.0, 1.0),
)
def test_parse_round_trips(dataset: str, metric: str | None, op: str, limit: float) -> None:
    name = dataset if metric is None else f"{dataset}.{metric}"
    gate = parse_gate(f"{name}{op}{limit!r}")
    assert (gate.dataset, gate.metric, gate.op, gate.limit) == (dataset, metric, op, limit)


def test_gate_on_all_skipped_dataset_fails_with_reason(make_row: Callable[..., Any]) -> None:
    agg = Aggregator()
    agg.add_row(make_row("mcq", "1", "skipped"))
    (result,) = agg.summary(gates=["mcq>=0.5"])["gates"]
    assert not result["passed"] and "no scored samples" in result["message"]


def test_check_gates_refuses_what_could_never_be_evaluated() -> None:
    from pytest_qnext.report.gates import check_gates

    selected = {"mmlu_pro": ("acc",), "custom": None}
    check_gates(
        [parse_gate(g) for g in ("mmlu_pro>=0.5", "mmlu_pro.acc>=0.5", "error_rate<=0")],
        selected,
    )
    check_gates([parse_gate("custom.anything>=0.5")], selected)  # metrics not declared
    check_gates([parse_gate("mmlu_pro.unparsed_rate<=0.1")], selected)
    with pytest.raises(ValueError, match=r"'mmlu_prp' \(did you mean 'mmlu_pro'\?\), which"):
        check_gates([parse_gate("mmlu_prp>=0.5")], selected)
    with pytest.raises(ValueError, match=r"mmlu_pro has no metric 'acc_norm'.*valid: acc, "):
        check_gates([parse_gate("mmlu_pro.acc_norm>=0.5")], selected)


def test_collection_gates_are_checked_against_the_collections_keys() -> None:
    from pytest_qnext.collections.levels import ScoredRow
    from pytest_qnext.report.collection import gate_keys
    from pytest_qnext.report.gates import check_gates

    rows = [
        ScoredRow("mmlu_pro", "math", "1", 0.0, 0.5, "exam", ("en",), ("Qwen3", "English")),
        ScoredRow("ceval", "law", "2", 0.0, 0.5, "exam", ("zh",), ("Qwen3", "Chinese")),
    ]
    keys = gate_keys(rows)
    assert keys["category"] == {"Qwen3", "Qwen3/English", "Qwen3/Chinese"}
    assert keys["subset"] == {"mmlu_pro/math", "ceval/law"} and keys["tag"] == {"en", "zh"}
    selected = {"mmlu_pro": ("acc",), "ceval": ("acc",)}
    fine = ("collection>=0.5", "collection.tag.zh.micro>=0.5", "collection.subset.ceval/law>=0.1")
    check_gates([parse_gate(g) for g in fine], selected, keys)
    with pytest.raises(ValueError, match=r"no category 'Qwen3/Englsh' \(did you mean 'Qwen3/E"):
        check_gates([parse_gate("collection.category.Qwen3/Englsh>=0.5")], selected, keys)
    with pytest.raises(ValueError, match=r"no task_type 'code' \(task_types: exam\)"):
        check_gates([parse_gate("collection.task_type.code>=0.5")], selected, keys)
    with pytest.raises(ValueError, match="this run evaluates no collection"):
        check_gates([parse_gate("collection>=0.5")], selected, None)
    two_roots = gate_keys(
        [*rows, ScoredRow("aime24", "default", "3", 0.0, 1.0, "math", (), ("X",))]
    )
    with pytest.raises(ValueError, match=r"2 roots \(Qwen3, X\); gate on collection.category"):
        check_gates([parse_gate("collection>=0.5")], selected, two_roots)


def _covered(make_row: Callable[..., Any], outcomes: list[str]) -> dict[str, Any]:
    """A summary with the coverage the controller adds: 3 passes of 5 rows, 2 skipped."""
    from pytest_qnext.report.controller import _coverage

    agg = Aggregator()
    for i, outcome in enumerate(outcomes):
        agg.add_row(make_row("mcq", i, outcome))
    summary = agg.summary()
    _coverage(summary)
    return summary


def test_a_partly_scored_dataset_fails_its_gates_unless_allowed(
    make_row: Callable[..., Any],
) -> None:
    summary = _covered(make_row, ["pass"] * 3 + ["skipped"] * 2)
    assert summary["datasets"]["mcq"]["coverage"] == {"scored": 3, "selected": 5}
    gates = [parse_gate("mcq>=0.5"), parse_gate("error_rate<=0")]
    strict = evaluate_gates(gates, summary)
    assert [g.passed for g in strict] == [False, False]
    assert "covers only 3 of its 5 selected samples (2 skipped); pass --qnext-allow-partial" in (
        strict[0].message
    )
    assert "the run covers only 3 of its 5" in strict[1].message
    allowed = evaluate_gates(gates, summary, allow_partial=True)
    assert [(g.passed, g.measured) for g in allowed] == [(True, 1.0), (True, 0.0)]


def test_a_run_that_stopped_early_passes_no_gate(make_row: Callable[..., Any]) -> None:
    summary = _covered(make_row, ["pass"] * 3)
    gates = [parse_gate("mcq>=0.5"), parse_gate("nope>=0.5")]
    results = evaluate_gates(gates, summary, incomplete="interrupted")
    assert [g.passed for g in results] == [False, False]
    assert results[0].measured == 1.0
    assert results[0].message.startswith("cannot pass: the run stopped early (interrupted);")
    assert results[1].message.startswith("cannot check: dataset 'nope' did not run")
