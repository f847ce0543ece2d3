"""general_math: custom JSONL (id, problem, answer) from `local_path`, math scorer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.capability.collect import CollectError, load_entries
from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.evals import registry
from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.general_math import SPEC


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _math500_rows(shared_data: Path, n: int) -> list[dict[str, Any]]:
    with (shared_data / "math_500" / "test.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line, _ in zip(fh, range(n), strict=False)]
    return [{"id": r["unique_id"], "problem": r["problem"], "answer": r["answer"]} for r in rows]


def test_registry_gives_spec() -> None:
    assert registry.get("general_math") is SPEC
    assert (SPEC.task_type, SPEC.primary_metric) == ("math", "acc")


def test_loads_rows_and_scores_with_math_scorer(shared_data: Path, tmp_path: Path) -> None:
    rows = _math500_rows(shared_data, 8)
    path = _write(tmp_path / "mine.jsonl", rows)
    samples = SPEC.load(LoadContext(data_dir=None, args={"local_path": str(path)}))
    assert [(s.id, s.input, s.target) for s in samples] == [
        (r["id"], r["problem"], r["answer"]) for r in rows
    ]
    assert SPEC.oracle is not None
    for sample in samples:
        (message,) = SPEC.prompt(sample, LoadContext(data_dir=None, args={}))
        assert sample.input in message["content"] and "\\boxed{}" in message["content"]
        assert SPEC.score(sample, SPEC.oracle(sample, True)).outcome == "pass"
        assert SPEC.score(sample, SPEC.oracle(sample, False)).outcome == "fail"


def test_numeric_answers_and_ids_become_strings(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.jsonl", [{"id": 7, "problem": "2+2?", "answer": 4}])
    (sample,) = SPEC.load(LoadContext(data_dir=None, args={"local_path": str(path)}))
    assert (sample.id, sample.target) == ("7", "4")
    assert SPEC.score(sample, "It is $\\boxed{4}$.").outcome == "pass"
    assert SPEC.score(sample, "It is $\\boxed{4.0}$.").outcome == "pass"
    assert SPEC.score(sample, "It is $\\boxed{5}$.").outcome == "fail"


def test_directory_gives_subsets_through_the_engine(tmp_path: Path) -> None:
    folder = tmp_path / "sets"
    folder.mkdir()
    _write(folder / "easy.jsonl", [{"id": "e1", "problem": "1+1?", "answer": "2"}])
    _write(folder / "hard.jsonl", [{"id": "h1", "problem": "x?", "answer": "\\frac{1}{3}"}])
    settings = CapabilitySettings(
        datasets=("general_math",),
        dataset_args={"general_math": {"local_path": str(folder), "subset_list": ["hard"]}},
    )
    entries, _ = load_entries(settings)
    assert [(e.sample.id, e.sample.subset) for e in entries] == [("hard/h1", "hard")]


def test_missing_local_path_says_how_to_pass_it() -> None:
    with pytest.raises(DatasetUnavailable, match="--qnext-dataset-args") as info:
        SPEC.load(LoadContext(data_dir=None, args={}))
    assert "general_math" in str(info.value) and "local_path" in str(info.value)


@pytest.mark.parametrize(
    ("rows", "needle"),
    [
        ([{"id": "a", "problem": "", "answer": "1"}], "'problem'"),
        ([{"id": "a", "problem": "p"}], "'answer'"),
        ([{"id": "a", "problem": "p", "answer": True}], "'answer'"),
        ([{"id": "a", "problem": "p", "answer": "1"}] * 2, "occurs twice"),
        ([], "no rows"),
    ],
)
def test_bad_files_fail_with_one_line(tmp_path: Path, rows: list[Any], needle: str) -> None:
    path = _write(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DatasetUnavailable, match=needle) as info:
        SPEC.load(LoadContext(data_dir=None, args={"local_path": str(path)}))
    assert "general_math" in str(info.value) and "\n" not in str(info.value)


def test_engine_reports_bad_file_as_collect_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", [{"id": "a", "problem": "p"}])
    settings = CapabilitySettings(
        datasets=("general_math",), dataset_args={"general_math": {"local_path": str(path)}}
    )
    with pytest.raises(CollectError, match="'answer'"):
        load_entries(settings)
