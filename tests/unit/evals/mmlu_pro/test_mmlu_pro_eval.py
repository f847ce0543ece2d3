"""MMLU-Pro loader, prompt, few-shot and argument errors on the real offline data."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.hub import DEMO_DATA_DIR, BadDatasetArgs
from pytest_qnext.evals.mmlu_pro import CATEGORIES, SPEC


def test_loads_all_rows_with_official_category_counts(shared_data: Path) -> None:
    samples = SPEC.load(LoadContext(shared_data, {}))
    meta = json.loads((shared_data / "evalscope_meta" / "mmlu_pro.json").read_text())
    expected = {s["name"]: s["sample_count"] for s in meta["statistics"]["subset_stats"]}
    assert len(samples) == 12032 == meta["statistics"]["total_samples"]
    assert Counter(s.subset for s in samples) == expected
    assert set(expected) == set(CATEGORIES)
    ids = [int(s.id) for s in samples]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(s.target in "ABCDEFGHIJ"[: len(s.choices)] for s in samples)


def test_subset_list_filters_and_rejects_unknown(shared_data: Path) -> None:
    law = SPEC.load(LoadContext(shared_data, {"subset_list": ["law"]}))
    assert len(law) == 1101 and {s.subset for s in law} == {"law"}
    with pytest.raises(BadDatasetArgs, match=r"unknown subset\(s\) maths .*valid: computer"):
        SPEC.load(LoadContext(shared_data, {"subset_list": ["maths"]}))


def test_prompt_follows_evalscope_template(shared_data: Path) -> None:
    ctx = LoadContext(shared_data, {})
    sample = next(s for s in SPEC.load(ctx) if s.id == "70")
    content = SPEC.prompt(sample, ctx)[0]["content"]
    letters = ",".join("ABCDEFGHIJ"[: len(sample.choices)])
    assert content.startswith("Answer the following multiple choice question.")
    assert f"where [LETTER] is one of {letters}. Think step by step" in content
    assert content.endswith(
        f"\nOptions:\nA) {sample.choices[0]}\n"
        + "".join(f"{'ABCDEFGHIJ'[i]}) {c}\n" for i, c in enumerate(sample.choices) if i)
    )
    assert f"Question:\n{sample.input}\nOptions:\n" in content


def test_few_shot_needs_the_validation_split(shared_data: Path) -> None:
    with pytest.raises(DatasetUnavailable, match=r"no file mmlu_pro/validation.jsonl under"):
        SPEC.load(LoadContext(shared_data, {"few_shot_num": 2}))
    with pytest.raises(BadDatasetArgs, match="from 0 to 5"):
        SPEC.load(LoadContext(shared_data, {"few_shot_num": 9}))


def test_few_shot_prompt_uses_same_category_exemplars(tmp_path: Path) -> None:
    folder = tmp_path / "mmlu_pro"
    folder.mkdir()
    demo = (DEMO_DATA_DIR / "mmlu_pro" / "test.jsonl").read_text(encoding="utf-8")
    (folder / "test.jsonl").write_text(demo, encoding="utf-8")
    shots: list[dict[str, object]] = []
    for category in CATEGORIES:  # synthetic exemplars, two per category
        for i in range(2):
            shots.append(
                {
                    "question_id": 900000 + len(shots),
                    "question": f"exemplar {i} about {category}?",
                    "options": ["yes", "no", "maybe"],
                    "answer": "B",
                    "answer_index": 1,
                    "cot_content": f"A: Let's think step by step. Reason {i}. The answer is (B).",
                    "category": category,
                    "src": "synthetic",
                }
            )
    (folder / "validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in shots))
    ctx = LoadContext(tmp_path, {"few_shot_num": 2})
    sample = SPEC.load(ctx)[0]
    content = SPEC.prompt(sample, ctx)[0]["content"]
    assert content.startswith(
        f"The following are multiple choice questions (with answers) about {sample.subset}."
    )
    assert f"exemplar 0 about {sample.subset}?" in content
    assert f"exemplar 1 about {sample.subset}?" in content
    assert content.count("exemplar ") == 2
    assert "Answer: Let's think step by step. Reason 1. The answer is (B).\nANSWER: B" in content
    assert content.endswith(SPEC.prompt(SPEC.load(LoadContext(tmp_path, {}))[0], ctx)[0]["content"])
    with pytest.raises(DatasetUnavailable, match="needs 3"):
        SPEC.load(LoadContext(tmp_path, {"few_shot_num": 3}))


def test_scorer_outcomes(shared_data: Path) -> None:
    sample = SPEC.load(LoadContext(shared_data, {"subset_list": ["math"]}))[0]
    right = SPEC.score(sample, f"Working...\nANSWER: {sample.target}")
    assert (right.outcome, right.metrics["acc"], right.extracted) == (
        "pass",
        (1.0, 1.0),
        sample.target,
    )
    wrong_letter = "A" if sample.target != "A" else "B"
    wrong = SPEC.score(sample, f"The answer is ({wrong_letter}).")
    assert (wrong.outcome, wrong.metrics["acc"]) == ("fail", (0.0, 1.0))
    none = SPEC.score(sample, "I cannot decide.")
    assert (none.outcome, none.extracted, none.metrics["acc"]) == ("unparsed", None, (0.0, 1.0))
    assert SPEC.task_type == "exam" and SPEC.primary_metric == "acc"
