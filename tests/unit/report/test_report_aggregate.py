"""Aggregator: micro averages, counts, outcomes, CIs, duplicates, determinism, breakdown hooks,
real data."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_qnext.report import Aggregator, SampleRow
from pytest_qnext.scoring.stats import wilson_interval

SEED_KEYS = {"task_type", "metric", "dataset_name", "average_score", "count"}
EXTRA_KEYS = {"ci_low", "ci_high", "ci_method", "outcomes", "subsets"}


def _micro(rows: list[SampleRow], metric: str) -> float:
    scored = [r for r in rows if r.outcome != "skipped"]
    return sum(r.metrics[metric][0] for r in scored) / sum(r.metrics[metric][1] for r in scored)


def test_table_keys_micro_average_and_outcomes(
    make_row: Callable[..., Any], make_meta: Any
) -> None:
    outcomes = ["pass"] * 7 + ["fail"] * 3 + ["unparsed", "truncated", "error", "skipped"]
    rows = [make_row("mcq", f"q{i}", o) for i, o in enumerate(outcomes)]
    agg = Aggregator()
    agg.add_dataset_meta(make_meta("mcq", ["acc"], "acc"))
    for row in rows:
        agg.add_row(row)
    summary = agg.summary()
    (entry,) = summary["table"]
    assert set(entry) == SEED_KEYS | EXTRA_KEYS
    scored = [r for r in rows if r.outcome != "skipped"]
    assert entry["count"] == len(scored)
    # error / truncated / unparsed stay in the denominator with numerator 0
    assert entry["average_score"] == pytest.approx(_micro(rows, "acc"))
    assert entry["average_score"] == pytest.approx(outcomes.count("pass") / len(scored))
    assert entry["outcomes"] == {k: outcomes.count(k) for k in entry["outcomes"]}
    assert entry["ci_method"] == "wilson"
    assert (entry["ci_low"], entry["ci_high"]) == wilson_interval(
        outcomes.count("pass"), len(scored)
    )
    run = summary["outcome_rates"]["run"]
    assert run["error_rate"] == pytest.approx(1 / len(scored))
    assert run["truncated_rate"] == pytest.approx(1 / len(scored))
    assert summary["datasets"]["mcq"]["score"] == entry["average_score"]
    json.dumps(summary, allow_nan=False)  # JSON-able, no NaN


def test_non_binary_metrics_use_bootstrap_and_meta_metric_order(
    make_row: Callable[..., Any], make_meta: Any
) -> None:
    agg = Aggregator()
    agg.add_dataset_meta(make_meta("ife", ["prompt", "inst"], "prompt"))
    rows = []
    for i in range(30):
        n = 1 + i % 4
        ok = i % n
        rows.append(
            make_row(
                "ife",
                i,
                "pass" if ok == n else "fail",
                metrics={"inst": [float(ok), float(n)], "prompt": [float(ok == n), 1.0]},
            )
        )
    for row in rows:
        agg.add_row(row)
    table = agg.summary()["table"]
    assert [t["metric"] for t in table] == ["prompt", "inst"]
    inst = table[1]
    assert inst["average_score"] == pytest.approx(_micro(rows, "inst"))
    assert inst["ci_method"] == "bootstrap"
    assert inst["ci_low"] <= inst["average_score"] <= inst["ci_high"]


def test_repeats_count_rows_and_cluster_the_ci(make_row: Callable[..., Any]) -> None:
    agg = Aggregator()
    rows = [
        make_row("aime", f"p{i}", "pass" if (i + r) % 3 else "fail", repeat=r)
        for i in range(20)
        for r in range(4)
    ]
    for row in rows:
        agg.add_row(row)
    summary = agg.summary()
    (entry,) = summary["table"]
    assert entry["count"] == len(rows)
    assert entry["average_score"] == pytest.approx(_micro(rows, "acc"))
    assert entry["ci_method"] == "bootstrap_cluster"
    assert summary["datasets"]["aime"]["samples"] == 20
    assert summary["datasets"]["aime"]["repeats"] == 4
    assert summary["datasets"]["aime"]["task_type"] == "unknown"
    assert any("no meta" in w for w in summary["warnings"])


def test_duplicate_rows_keep_the_last_and_warn(make_row: Callable[..., Any]) -> None:
    agg = Aggregator()
    agg.add_row(make_row("mcq", "1", "fail"))
    agg.add_row(make_row("mcq", "2", "pass"))
    agg.add_row(make_row("mcq", "1", "pass"))
    (entry,) = agg.summary()["table"]
    assert entry["count"] == 2
    assert entry["average_score"] == 1.0
    assert len(agg.rows) == 2
    assert sum("duplicate row for mcq/1 repeat 0" in w for w in agg.warnings) == 1


def test_all_skipped_dataset_has_no_score(make_row: Callable[..., Any]) -> None:
    agg = Aggregator()
    agg.add_row(make_row("mcq", "1", "skipped"))
    summary = agg.summary()
    assert summary["table"] == []  # skipped rows carry no metrics, so no metric rows
    assert summary["datasets"]["mcq"]["count"] == 0
    assert summary["datasets"]["mcq"]["outcomes"]["skipped"] == 1
    assert summary["outcome_rates"]["run"] == {
        "count": 0,
        "error_rate": 0.0,
        "truncated_rate": 0.0,
        "unparsed_rate": 0.0,
    }


def test_subsets_and_dataset_order(make_row: Callable[..., Any]) -> None:
    agg = Aggregator(dataset_order=["zeta", "alpha"])
    rows = [make_row("zeta", i, "pass" if i % 2 else "fail", subset=f"s{i % 3}") for i in range(9)]
    rows += [make_row("alpha", 1, "pass"), make_row("beta", 1, "fail")]
    for row in rows:
        agg.add_row(row)
    table = agg.summary()["table"]
    assert [t["dataset_name"] for t in table] == ["zeta", "alpha", "beta"]
    zeta = table[0]
    for sub in zeta["subsets"]:
        in_sub = [r for r in rows if r.dataset == "zeta" and r.subset == sub["subset"]]
        assert sub["count"] == len(in_sub)
        assert sub["average_score"] == pytest.approx(_micro(in_sub, "acc"))
    assert sum(s["count"] for s in zeta["subsets"]) == zeta["count"]


row_specs = st.lists(
    st.tuples(
        st.sampled_from(["a", "b"]),
        st.integers(0, 12),
        st.integers(0, 2),
        st.sampled_from(["pass", "fail", "error", "skipped", "truncated"]),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda t: (t[0], t[1], t[2]),
)


@settings(max_examples=30, deadline=None)
@given(specs=row_specs, data=st.data())
def test_summary_does_not_depend_on_arrival_order(
    make_row: Callable[..., Any], specs: list[tuple[str, int, int, str]], data: st.DataObject
) -> None:
    rows = [make_row(d, i, o, repeat=r) for d, i, r, o in specs]
    shuffled = data.draw(st.permutations(rows))
    first, second = Aggregator(n_resamples=100), Aggregator(n_resamples=100)
    for row in rows:
        first.add_row(row)
    for row in shuffled:
        second.add_row(row)
    assert first.summary() == second.summary()
    assert first.rows == second.rows


def test_fingerprint_merges_run_extras(make_row: Callable[..., Any], make_meta: Any) -> None:
    agg = Aggregator()
    agg.add_dataset_meta(make_meta("mcq", ["acc"], "acc"))
    agg.add_row(make_row("mcq", "1", "pass"))
    fp = agg.summary(fingerprint_extra={"model": "m1", "generation_config": {"t": 0}})
    assert fp["fingerprint"]["mcq"] == {
        "content_sha256": "abc",
        "generation_config": {"t": 0},
        "model": "m1",
        "version": "1",
    }


def test_ifeval_official_figures(
    ifeval_gpt4_rows: list[SampleRow], reference_figures: dict[str, Any]
) -> None:
    """Instruction-level metrics are micro averages over instructions, as Google counts."""
    ref = reference_figures["ifeval_gpt4"]
    agg = Aggregator()
    for row in ifeval_gpt4_rows:
        agg.add_row(row)
    summary = agg.summary()
    scores = {t["metric"]: t for t in summary["table"]}
    for mode in ("strict", "loose"):
        fig = ref[mode]
        prompt, inst = scores[f"prompt_level_{mode}"], scores[f"inst_level_{mode}"]
        assert prompt["count"] == fig["prompts"]
        assert prompt["average_score"] == fig["prompt_level_correct"] / fig["prompts"]
        assert inst["average_score"] == fig["instruction_level_correct"] / fig["instructions"]
        assert round(inst["average_score"], 4) == fig["instruction_level_accuracy"]
        assert inst["ci_method"] == "bootstrap"
        assert inst["ci_low"] < inst["average_score"] < inst["ci_high"]


def test_mmlu_pro_official_accuracy_with_category_subsets(
    mmlu_pro_llama_rows: list[SampleRow], reference_figures: dict[str, Any]
) -> None:
    ref = reference_figures["mmlu_pro_llama31_8b"]
    agg = Aggregator()
    for row in mmlu_pro_llama_rows:
        agg.add_row(row)
    (entry,) = agg.summary()["table"]
    assert entry["count"] == ref["rows"]
    assert entry["average_score"] == ref["pred_eq_answer"] / ref["rows"]
    assert round(entry["average_score"], 4) == ref["accuracy"]
    assert entry["ci_low"] < entry["average_score"] < entry["ci_high"]
    assert len(entry["subsets"]) == 14
    weighted = sum(s["average_score"] * s["count"] for s in entry["subsets"]) / entry["count"]
    assert math.isclose(weighted, entry["average_score"])


def _lengths(rows: Sequence[SampleRow]) -> dict[str, Any] | None:
    """A test breakdown hook: prediction lengths per outcome, read from the rows it gets."""
    if not rows:
        return None
    table: dict[str, list[int]] = {}
    for row in rows:
        table.setdefault(row.outcome, []).append(len(row.prediction))
    return {"by_outcome": [{"outcome": k, "chars": sum(v)} for k, v in sorted(table.items())]}


def test_breakdown_hook_gets_the_scored_rows_of_its_dataset(
    make_row: Callable[..., Any],
) -> None:
    asked: list[str] = []

    def lookup(dataset: str) -> Callable[[Sequence[SampleRow]], dict[str, Any] | None] | None:
        asked.append(dataset)
        return _lengths if dataset == "with_hook" else None

    agg = Aggregator(breakdown_for=lookup)
    rows = [
        make_row("with_hook", i, outcome, prediction="x" * i)
        for i, outcome in enumerate(["pass", "fail", "pass", "skipped"])
    ]
    for row in [*rows, make_row("plain", 1, "pass"), make_row("skips", 1, "skipped")]:
        agg.add_row(row)
    summary = agg.summary()
    assert sorted(asked) == ["plain", "skips", "with_hook"]
    # skipped rows are not scored, so the hook never sees them; "skips" has nothing scored
    assert summary["breakdowns"] == {
        "with_hook": {
            "by_outcome": [{"outcome": "fail", "chars": 1}, {"outcome": "pass", "chars": 0 + 2}]
        }
    }
    assert "instructions" not in summary


def test_a_failing_breakdown_hook_is_a_warning(make_row: Callable[..., Any]) -> None:
    def broken(rows: Sequence[SampleRow]) -> dict[str, Any] | None:
        raise KeyError("inst")

    agg = Aggregator(breakdown_for=lambda dataset: broken)
    agg.add_row(make_row("d", 1, "pass"))
    summary = agg.summary()
    assert summary["breakdowns"] == {}
    (warning,) = [w for w in summary["warnings"] if "breakdown" in w]
    assert warning == "dataset d: its breakdown failed (KeyError: 'inst'); left out of the report"
    assert summary["table"][0]["average_score"] == 1.0  # the scores are still reported


def test_unknown_datasets_have_no_breakdown(make_row: Callable[..., Any]) -> None:
    """The default lookup asks the eval registry, which does not know "mcq"."""
    agg = Aggregator()
    agg.add_row(replace(make_row("mcq", 1, "pass"), details={"anything": [1, 2]}))
    assert agg.summary()["breakdowns"] == {}
