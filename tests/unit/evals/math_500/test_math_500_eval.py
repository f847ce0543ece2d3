"""MATH-500: loader (local files via `datasets`), level subsets, EvalScope prompt, demo data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pytest_qnext
from pytest_qnext.capability.collect import load_entries
from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.evals import registry
from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.math_500 import HUB_ID, LEVELS, SPEC, row_to_sample
from pytest_qnext.sample import Sample

DEMO_DIR = Path(pytest_qnext.__file__).parent / "data" / "demo"


def _meta(shared_data: Path) -> dict[str, Any]:
    return dict(json.loads((shared_data / "evalscope_meta" / "math_500.json").read_text()))


@pytest.fixture(scope="module")
def samples(shared_data: Path) -> list[Sample]:
    return list(SPEC.load(LoadContext(data_dir=shared_data, args={})))


def test_registry_and_spec_contract() -> None:
    assert registry.get("math_500") is SPEC
    assert (SPEC.task_type, SPEC.primary_metric, SPEC.metrics) == ("math", "acc", ("acc",))
    assert SPEC.oracle is not None


def test_loads_all_levels_with_evalscope_counts(samples: list[Sample], shared_data: Path) -> None:
    stats = _meta(shared_data)["statistics"]
    assert len(samples) == stats["total_samples"] == 500
    expected = {s["name"]: s["sample_count"] for s in stats["subset_stats"]}
    counts = {level: sum(s.subset == level for s in samples) for level in LEVELS}
    assert counts == expected
    assert list(LEVELS) == _meta(shared_data)["meta"]["subset_list"]


def test_sample_ids_are_unique_ids(samples: list[Sample], shared_data: Path) -> None:
    with (shared_data / "math_500" / "test.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert [s.id for s in samples] == [r["unique_id"] for r in rows]
    assert len({s.id for s in samples}) == 500
    assert [s.target for s in samples] == [r["answer"] for r in rows]


def test_prompt_matches_evalscope_example(samples: list[Sample], shared_data: Path) -> None:
    example = _meta(shared_data)["sample_example"]
    sample_id = example["data"]["metadata"]["question_id"]
    sample = next(s for s in samples if s.id == sample_id)
    messages = SPEC.prompt(sample, LoadContext(data_dir=shared_data, args={}))
    assert messages == [{"role": "user", "content": example["data"]["input"][0]["content"]}]
    assert sample.target == example["data"]["target"]
    assert sample.subset == example["subset"]


def test_subset_list_selects_levels_through_the_engine(shared_data: Path) -> None:
    settings = CapabilitySettings(
        datasets=("math_500",),
        dataset_args={"math_500": {"subset_list": ["Level 1", "Level 5"]}},
        data_dir=shared_data,
    )
    entries, metas = load_entries(settings)
    expected = {
        s["name"]: s["sample_count"] for s in _meta(shared_data)["statistics"]["subset_stats"]
    }
    assert len(entries) == expected["Level 1"] + expected["Level 5"]
    assert {e.sample.subset for e in entries} == {"Level 1", "Level 5"}
    assert metas["math_500"]["task_type"] == "math"


def test_oracle_round_trip(samples: list[Sample]) -> None:
    for sample in samples[::25]:
        assert SPEC.oracle is not None
        assert SPEC.score(sample, SPEC.oracle(sample, True)).outcome == "pass"
        assert SPEC.score(sample, SPEC.oracle(sample, False)).outcome == "fail"


def test_demo_rows_are_real_rows_one_per_level(samples: list[Sample]) -> None:
    demo = list(SPEC.load(LoadContext(data_dir=DEMO_DIR, args={})))
    by_id = {s.id: s for s in samples}
    assert sorted(s.subset for s in demo) == list(LEVELS)
    for sample in demo:
        assert sample == by_id[sample.id]


def test_few_shot_is_refused(shared_data: Path) -> None:
    with pytest.raises(DatasetUnavailable, match="zero-shot"):
        SPEC.load(LoadContext(data_dir=shared_data, args={"few_shot_num": 4}))


def test_missing_local_file_names_dataset_and_option(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailable) as info:
        SPEC.load(LoadContext(data_dir=tmp_path, args={}))
    message = str(info.value)
    assert "math_500" in message and "math_500/test.jsonl" in message
    assert "--qnext-data-dir" in message and "\n" not in message


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ({"problem": "p", "answer": "1", "level": 1}, "unique_id"),
        ({"problem": "p", "answer": "", "level": 1, "unique_id": "x"}, "answer"),
        ({"problem": "p", "answer": "1", "level": 7, "unique_id": "x"}, "level"),
    ],
)
def test_bad_rows_fail_with_one_line(row: dict[str, Any], needle: str) -> None:
    with pytest.raises(DatasetUnavailable, match=needle) as info:
        row_to_sample(row)
    assert "\n" not in str(info.value)


def test_level_accepts_evalscope_spelling() -> None:
    row = {"problem": "p", "answer": "1", "level": "Level 3", "unique_id": "x"}
    assert row_to_sample(row).subset == "Level 3"


def test_hub_id_is_evalscopes(shared_data: Path) -> None:
    assert _meta(shared_data)["meta"]["dataset_id"] == HUB_ID == SPEC.hub_id


@pytest.mark.usefixtures("offline_empty_hub")
def test_neither_local_nor_hub_names_dataset_hub_id_and_option() -> None:
    with pytest.raises(DatasetUnavailable) as info:
        SPEC.load(LoadContext(data_dir=None, args={}))
    message = str(info.value)
    assert "math_500" in message and HUB_ID in message and "--qnext-data-dir" in message
    assert "\n" not in message
