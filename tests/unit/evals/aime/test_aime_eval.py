"""AIME 2024/2025: loaders, integer targets (EvalScope's `\\boxed{204}` form), prompt, demo data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pytest_qnext
from pytest_qnext.evals import registry
from pytest_qnext.evals.aime import AIME24, AIME25, HUB_IDS, PROMPT_TEMPLATE, row_to_sample
from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.sample import Sample
from pytest_qnext.scoring.math import normalize_integer

DEMO_DIR = Path(pytest_qnext.__file__).parent / "data" / "demo"
SPECS = {"aime24": AIME24, "aime25": AIME25}


def _meta(shared_data: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((shared_data / "evalscope_meta" / f"{name}.json").read_text()))


def _rows(shared_data: Path, name: str) -> list[dict[str, Any]]:
    with (shared_data / name / "test.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _load(spec: EvalSpec, data_dir: Path) -> list[Sample]:
    return list(spec.load(LoadContext(data_dir=data_dir, args={})))


@pytest.mark.parametrize("name", ["aime24", "aime25"])
def test_registry_gives_each_spec(name: str) -> None:
    spec = registry.get(name)
    assert spec is SPECS[name]
    assert (spec.task_type, spec.primary_metric, spec.metrics) == ("math", "acc", ("acc",))
    assert spec.hub_id == HUB_IDS[name]


@pytest.mark.parametrize("name", ["aime24", "aime25"])
def test_loads_every_problem_with_integer_target(shared_data: Path, name: str) -> None:
    samples = _load(SPECS[name], shared_data)
    rows = _rows(shared_data, name)
    assert len(samples) == _meta(shared_data, name)["statistics"]["total_samples"] == 30
    assert [s.id for s in samples] == [str(r["id"]) for r in rows]
    assert [s.target for s in samples] == [str(int(r["answer"])) for r in rows]
    assert all(0 <= int(s.target) <= 999 for s in samples)
    assert {s.subset for s in samples} == {"default"}


@pytest.mark.parametrize("name", ["aime24", "aime25"])
def test_prompt_is_evalscopes_template(shared_data: Path, name: str) -> None:
    content = _meta(shared_data, name)["sample_example"]["data"]["input"][0]["content"]
    head, tail = PROMPT_TEMPLATE.format(question="\0").split("\0")
    assert content.startswith(head) and content.endswith(tail)
    sample = _load(SPECS[name], shared_data)[0]
    (message,) = SPECS[name].prompt(sample, LoadContext(data_dir=None, args={}))
    assert message == {"role": "user", "content": head + sample.input + tail}


@pytest.mark.parametrize("name", ["aime24", "aime25"])
def test_evalscope_example_target_normalises_to_ours(shared_data: Path, name: str) -> None:
    example = _meta(shared_data, name)["sample_example"]["data"]
    content = example["input"][0]["content"]
    head, _ = PROMPT_TEMPLATE.format(question="\0").split("\0")
    opening = content[len(head) :][:40]
    samples = _load(SPECS[name], shared_data)
    matches = [s for s in samples if s.input[:25] == opening[:25]]
    assert len(matches) == 1
    assert normalize_integer(example["target"]) == matches[0].target


@pytest.mark.parametrize("name", ["aime24", "aime25"])
def test_oracle_round_trip_on_every_problem(shared_data: Path, name: str) -> None:
    spec = SPECS[name]
    assert spec.oracle is not None
    for sample in _load(spec, shared_data):
        assert spec.score(sample, spec.oracle(sample, True)).outcome == "pass"
        assert spec.score(sample, spec.oracle(sample, False)).outcome == "fail"


@pytest.mark.parametrize("name", ["aime24", "aime25"])
def test_demo_rows_are_real_rows(shared_data: Path, name: str) -> None:
    demo = _load(SPECS[name], DEMO_DIR)
    real = {s.id: s for s in _load(SPECS[name], shared_data)}
    assert demo
    assert all(sample == real[sample.id] for sample in demo)


@pytest.mark.parametrize(
    ("row", "target"),
    [
        ({"id": 0, "problem": "p", "answer": "\\boxed{204}"}, "204"),
        ({"id": 0, "problem": "p", "answer": "033"}, "33"),
        ({"id": 0, "problem": "p", "solution": "so the answer is $\\boxed{070}$"}, "70"),
        ({"id": 0, "problem": "p", "answer": "", "solution": "\\boxed{5}"}, "5"),
    ],
)
def test_hub_schema_variants_normalise(row: dict[str, Any], target: str) -> None:
    assert row_to_sample("aime24", row).target == target


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ({"problem": "p", "answer": "1"}, "id"),
        ({"id": 3, "problem": "", "answer": "1"}, "problem"),
        ({"id": 3, "problem": "p", "answer": "1/2"}, "integers"),
        ({"id": 3, "problem": "p"}, "answer"),
    ],
)
def test_bad_rows_fail_with_one_line(row: dict[str, Any], needle: str) -> None:
    with pytest.raises(DatasetUnavailable, match=needle) as info:
        row_to_sample("aime25", row)
    assert "aime25" in str(info.value) and "\n" not in str(info.value)


def test_missing_local_file_names_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailable) as info:
        AIME25.load(LoadContext(data_dir=tmp_path, args={}))
    assert "aime25" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.usefixtures("offline_empty_hub")
@pytest.mark.parametrize("name", ["aime24", "aime25"])
def test_neither_local_nor_hub_names_dataset_hub_id_and_option(name: str) -> None:
    with pytest.raises(DatasetUnavailable) as info:
        SPECS[name].load(LoadContext(data_dir=None, args={}))
    message = str(info.value)
    assert name in message and HUB_IDS[name] in message and "--qnext-data-dir" in message
    assert "\n" not in message
