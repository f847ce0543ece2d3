"""MMLU-Redux loader (57 subjects, error types), prompt and arguments on the real data."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pytest_qnext.evals.base import LoadContext
from pytest_qnext.evals.hub import DEMO_DATA_DIR, BadDatasetArgs
from pytest_qnext.evals.mmlu_redux import ERROR_TYPES, SPEC, SUBJECTS
from pytest_qnext.evals.mmlu_redux.loader import normalise_error_type

# data/README.md: final error_type counts over the 5,700 rows
README_COUNTS = {
    "ok": 5330,
    "bad_question_clarity": 132,
    "wrong_groundtruth": 107,
    "multiple_correct_answers": 39,
    "no_correct_answer": 35,
    "expert": 32,
    "bad_options_clarity": 25,
}


@pytest.fixture(scope="module")
def all_samples(shared_data: Path) -> list:  # type: ignore[type-arg]
    return list(SPEC.load(LoadContext(shared_data, {})))


def test_counts_ids_and_error_types(shared_data: Path, all_samples: list) -> None:  # type: ignore[type-arg]
    meta = json.loads((shared_data / "evalscope_meta" / "mmlu_redux.json").read_text())
    assert tuple(meta["meta"]["subset_list"]) == SUBJECTS
    assert len(all_samples) == 5700
    assert Counter(s.subset for s in all_samples) == dict.fromkeys(SUBJECTS, 100)
    assert all_samples[0].id == "abstract_algebra/0" and all_samples[-1].id == "world_religions/99"
    assert Counter(s.metadata["error_type"] for s in all_samples) == README_COUNTS
    assert set(README_COUNTS) == set(ERROR_TYPES)


def test_exclude_error_types(shared_data: Path) -> None:
    only_ok = SPEC.load(LoadContext(shared_data, {"exclude_error_types": "not_ok"}))
    assert len(only_ok) == README_COUNTS["ok"]
    no_wrong = SPEC.load(LoadContext(shared_data, {"exclude_error_types": ["wrong_groundtruth"]}))
    assert len(no_wrong) == 5700 - README_COUNTS["wrong_groundtruth"]
    # ids keep the row index within the subject, so they stay stable under filtering
    assert {s.id for s in only_ok} < {s.id for s in no_wrong}
    with pytest.raises(BadDatasetArgs, match="unknown error type"):
        SPEC.load(LoadContext(shared_data, {"exclude_error_types": ["typo"]}))
    with pytest.raises(BadDatasetArgs, match="must be a list"):
        SPEC.load(LoadContext(shared_data, {"exclude_error_types": "ok"}))


def test_normalise_error_type() -> None:
    assert normalise_error_type("Wrong Groundtruth ") == "wrong_groundtruth"
    assert normalise_error_type("OK") == "ok"
    assert normalise_error_type(None) == "ok"


def test_prompt_equals_evalscope_sample(shared_data: Path, all_samples: list) -> None:  # type: ignore[type-arg]
    meta = json.loads((shared_data / "evalscope_meta" / "mmlu_redux.json").read_text())
    example = meta["sample_example"]["data"]
    sample = all_samples[0]
    assert sample.subset == meta["sample_example"]["subset"]
    assert [sample.target] == example["target"]
    content = SPEC.prompt(sample, LoadContext(shared_data, {}))[0]["content"]
    assert content == example["input"][0]["content"]


def test_demo_dir_loads_the_subjects_it_has() -> None:
    samples = SPEC.load(LoadContext(DEMO_DATA_DIR, {}))
    assert Counter(s.subset for s in samples) == {
        "college_computer_science": 5,
        "high_school_geography": 5,
        "world_religions": 5,
    }


def test_requested_subject_missing_locally_is_one_line() -> None:
    ctx = LoadContext(DEMO_DATA_DIR, {"subset_list": ["anatomy"]})
    with pytest.raises(Exception, match=r"^mmlu_redux: no file mmlu_redux/anatomy.jsonl under"):
        SPEC.load(ctx)
