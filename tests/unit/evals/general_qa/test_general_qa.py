"""general_qa: your own question/answer JSONL (`local_path`), normalised answer match."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.evals import registry
from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.general_qa import SPEC, extract_answer, normalize
from pytest_qnext.sample import Sample


def _load(tmp_path: Path, rows: list[dict[str, Any]]) -> Sequence[Sample]:
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return SPEC.load(LoadContext(data_dir=None, args={"local_path": str(path)}))


def test_registry_gives_spec() -> None:
    assert registry.get("general_qa") is SPEC
    assert (SPEC.task_type, SPEC.primary_metric) == ("qa", "acc")


def test_loads_rows_with_one_or_several_accepted_answers(tmp_path: Path) -> None:
    samples = _load(
        tmp_path,
        [
            {"id": "q1", "question": "Capital of France?", "answer": "Paris"},
            {"id": 2, "question": "Two plus two?", "answer": ["4", "four"]},
        ],
    )
    assert [(s.id, s.input, s.target) for s in samples] == [
        ("q1", "Capital of France?", "Paris"),
        ("2", "Two plus two?", "4"),
    ]
    assert samples[1].metadata["answers"] == ["4", "four"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": "a", "question": "  ", "answer": "x"}, "'question' must be a non-empty string"),
        ({"id": "a", "answer": "x"}, "'question' must be a non-empty string"),
        ({"id": "a", "question": "q", "answer": ""}, "'answer' must be a non-empty string"),
        ({"id": "a", "question": "q", "answer": [True]}, "'answer' must be a non-empty string"),
    ],
)
def test_bad_rows_are_one_line_errors_naming_file_and_line(
    tmp_path: Path, row: dict[str, Any], message: str
) -> None:
    with pytest.raises(DatasetUnavailable, match=message) as info:
        _load(tmp_path, [{"id": "ok", "question": "q", "answer": "x"}, row])
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith("general_qa: ") and "qa.jsonl:2" in text


def test_extract_answer_takes_the_last_answer_line_else_the_last_line() -> None:
    assert extract_answer("ANSWER: Lyon\nthinking again\nAnswer: **Paris**") == "Paris"
    assert extract_answer("It is\n\nParis\n") == "Paris"
    assert extract_answer("  \n") is None


def test_normalize_ignores_case_punctuation_articles_and_spacing() -> None:
    assert normalize("  The  Eiffel-Tower! ") == normalize("eiffel tower")
    assert normalize("An apple") == "apple"
    assert normalize("Paris") != normalize("Parish")


def test_score_acc_is_normalised_match_and_exact_match_is_trimmed_equality() -> None:
    sample = Sample(id="1", input="q", target="The Beatles", metadata={"answers": ["The Beatles"]})
    exact = SPEC.score(sample, "ANSWER:  The Beatles ")
    assert exact.outcome == "pass"
    assert exact.metrics == {"acc": (1.0, 1.0), "exact_match": (1.0, 1.0)}
    loose = SPEC.score(sample, "ANSWER: beatles.")
    assert loose.outcome == "pass"
    assert loose.metrics == {"acc": (1.0, 1.0), "exact_match": (0.0, 1.0)}
    wrong = SPEC.score(sample, "ANSWER: The Rolling Stones")
    assert (wrong.outcome, wrong.extracted) == ("fail", "The Rolling Stones")
    assert SPEC.score(sample, "").outcome == "unparsed"


def test_any_accepted_answer_passes(tmp_path: Path) -> None:
    (sample,) = _load(tmp_path, [{"id": "a", "question": "2+2?", "answer": ["4", "four"]}])
    assert SPEC.score(sample, "ANSWER: Four").outcome == "pass"
    assert SPEC.score(sample, "ANSWER: 5").outcome == "fail"


def test_oracle_responses_grade_as_intended(tmp_path: Path) -> None:
    assert SPEC.oracle is not None
    (sample,) = _load(tmp_path, [{"id": "a", "question": "q", "answer": "Paris"}])
    assert SPEC.score(sample, SPEC.oracle(sample, True)).outcome == "pass"
    assert SPEC.score(sample, SPEC.oracle(sample, False)).outcome == "fail"
