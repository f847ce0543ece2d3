"""Row builders for the report-layer tests: hand-made rows and rows from real graded data.

Rows are built as the JSON a capability item reports and rebuilt with `SampleRow.from_json`,
as the controller does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.rows import DatasetMeta, SampleRow

RowFactory = Callable[..., SampleRow]


def _row(
    dataset: str,
    sample_id: str | int,
    outcome: str,
    *,
    repeat: int = 0,
    subset: str = "default",
    metrics: dict[str, list[float]] | None = None,
    prediction: str = "",
    **extra: Any,
) -> SampleRow:
    if metrics is None:
        metrics = {} if outcome == "skipped" else {"acc": [float(outcome == "pass"), 1.0]}
    row: dict[str, Any] = {
        "dataset": dataset,
        "subset": subset,
        "sample_id": str(sample_id),
        "repeat": repeat,
        "outcome": outcome,
        "metrics": metrics,
        "prediction": prediction,
        "reasoning": "",
        "extracted": None,
        "target": "A",
        "finish_reason": "stop",
        "usage": None,
        "latency": 0.1,
        "explanation": "",
        "cached": False,
        "skip_reason": "no replay row" if outcome == "skipped" else None,
    }
    row.update(extra)
    return SampleRow.from_json(row)


@pytest.fixture(scope="session")
def make_row() -> RowFactory:
    """make_row(dataset, sample_id, outcome, *, repeat=0, subset=..., metrics=..., **extra)."""
    return _row


def meta(dataset: str, metrics: list[str], primary: str, **fp: Any) -> DatasetMeta:
    return DatasetMeta.from_json(
        {
            "dataset": dataset,
            "task_type": "exam",
            "primary_metric": primary,
            "metrics": metrics,
            "fingerprint": {"content_sha256": "abc", "version": "1", **fp},
        }
    )


@pytest.fixture(scope="session")
def make_meta() -> Callable[..., DatasetMeta]:
    return meta


@pytest.fixture(scope="session")
def reference_figures(shared_data: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (shared_data / "responses" / "reference_figures.json").read_text(encoding="utf-8")
    )
    return data


@pytest.fixture(scope="session")
def ifeval_gpt4_rows(shared_data: Path) -> list[SampleRow]:
    """One row per official GPT-4 IFEval result, built from Google's strict/loose checker output:
    metrics as the IFEval scorer's contract has them."""
    folder = shared_data / "responses" / "ifeval_gpt4"
    strict = (folder / "eval_results_strict.jsonl").read_text(encoding="utf-8").splitlines()
    loose = (folder / "eval_results_loose.jsonl").read_text(encoding="utf-8").splitlines()
    rows = []
    for i, (s_line, l_line) in enumerate(zip(strict, loose, strict=True)):
        s, lo = json.loads(s_line), json.loads(l_line)
        assert s["prompt"] == lo["prompt"]
        ids = s["instruction_id_list"]
        s_ok, l_ok = s["follow_instruction_list"], lo["follow_instruction_list"]
        n = float(len(ids))
        rows.append(
            _row(
                "ifeval",
                str(2 * i),
                "pass" if all(s_ok) else "fail",
                metrics={
                    "prompt_level_strict": [float(all(s_ok)), 1.0],
                    "inst_level_strict": [float(sum(s_ok)), n],
                    "prompt_level_loose": [float(all(l_ok)), 1.0],
                    "inst_level_loose": [float(sum(l_ok)), n],
                },
                prediction=s["response"],
            )
        )
    return rows


@pytest.fixture(scope="session")
def mmlu_pro_llama_rows(shared_data: Path) -> list[SampleRow]:
    """MMLU-Pro rows from the graded Llama-3.1-8B outputs, subset = the question's category."""
    category = {}
    with (shared_data / "mmlu_pro" / "test.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            category[rec["question_id"]] = rec["category"]
    rows = []
    path = shared_data / "responses" / "mmlu_pro_llama31_8b.jsonl"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            ok = rec["pred"] == rec["answer"]
            rows.append(
                _row(
                    "mmlu_pro",
                    rec["question_id"],
                    "pass" if ok else "fail",
                    subset=category[rec["question_id"]],
                    extracted=rec["pred"],
                    target=rec["answer"],
                )
            )
    return rows
