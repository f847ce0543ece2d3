"""Terminal lines: the capability table, gate lines and comparison lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_qnext.report import Aggregator, capability_table, evaluate_gates, gate_lines, parse_gate
from pytest_qnext.report.terminal import MAX_FLIPS_SHOWN, comparison_lines


def _summary(make_row: Callable[..., Any], make_meta: Any) -> dict[str, Any]:
    agg = Aggregator(n_resamples=50, dataset_order=["mmlu_pro", "general_qa"])
    agg.add_dataset_meta(make_meta("mmlu_pro", ["acc"], "acc"))
    for i in range(12):
        outcome = ["pass", "pass", "fail", "error"][i % 4]
        agg.add_row(make_row("mmlu_pro", i, outcome, subset=["law", "math"][i % 2]))
    agg.add_row(make_row("general_qa", "a", "truncated"))
    return agg.summary()


def test_table_columns_alignment_and_values(make_row: Callable[..., Any], make_meta: Any) -> None:
    summary = _summary(make_row, make_meta)
    lines = capability_table(summary)
    header = [c.strip() for c in lines[0].split("|")]
    assert header == [
        "task_type",
        "metric",
        "dataset_name",
        "average_score",
        "count",
        "95% CI",
        "outcomes",
    ]
    assert set(lines[1]) <= {"-", "+"}
    body = lines[2:]
    assert len(body) == len(summary["table"])
    bars = [i for i, ch in enumerate(lines[0]) if ch == "|"]
    for line in body:
        assert [i for i, ch in enumerate(line) if ch == "|"] == bars
    for line, entry in zip(body, summary["table"], strict=True):
        cells = [c.strip() for c in line.split("|")]
        assert cells[2] == entry["dataset_name"]
        assert cells[3] == f"{entry['average_score']:.4f}"
        assert cells[4] == str(entry["count"])
        assert cells[5] == f"[{entry['ci_low']:.4f}, {entry['ci_high']:.4f}]"
    assert "pass 6, fail 3, error 3" in body[0]
    assert "trunc 1" in body[1]


def test_table_subsets_and_empty(make_row: Callable[..., Any], make_meta: Any) -> None:
    summary = _summary(make_row, make_meta)
    lines = capability_table(summary, subsets=True)
    law = next(s for s in summary["table"][0]["subsets"] if s["subset"] == "law")
    law_line = next(line for line in lines if "  law" in line)
    cells = [c.strip() for c in law_line.split("|")]
    assert cells[3:5] == [f"{law['average_score']:.4f}", str(law["count"])]
    assert capability_table({"table": []}) == ["qnext capability: no scored datasets"]


def test_gate_lines(make_row: Callable[..., Any], make_meta: Any) -> None:
    summary = _summary(make_row, make_meta)
    results = evaluate_gates([parse_gate("mmlu_pro>=0.4"), parse_gate("error_rate<=0")], summary)
    lines = gate_lines(results)
    assert lines[0].startswith("gate PASS mmlu_pro>=0.4: measured 0.5000")
    assert lines[1].startswith("gate FAIL error_rate<=0")
    assert gate_lines([r.to_dict() for r in results]) == lines


def test_comparison_lines_truncate_flip_list() -> None:
    flips = [{"sample_id": str(i), "repeat": i % 2} for i in range(MAX_FLIPS_SHOWN + 5)]
    comparison = {
        "baseline_dir": "old",
        "refused": None,
        "forced": False,
        "datasets": [
            {
                "dataset": "mcq",
                "paired": 100,
                "baseline_rate": 0.8,
                "current_rate": 0.6,
                "delta": -0.2,
                "p_value": 0.0001,
                "verdict": "regressed",
                "pass_to_fail": len(flips),
                "fail_to_pass": 5,
                "flips_pass_to_fail": flips,
            }
        ],
        "only_in_current": ["new"],
        "only_in_baseline": [],
        "gates": [],
    }
    lines = comparison_lines(comparison)
    assert "regressed 0.8000 -> 0.6000 (-0.2000), McNemar p=0.0001" in lines[1]
    assert lines[2].endswith("(+5 more)") and "1#r1" in lines[2]
    assert lines[3] == "  not in baseline: new"
    refused = comparison_lines({**comparison, "refused": "fingerprints differ"})
    assert refused == ["baseline old: fingerprints differ"]
