"""Loader and EvalSpec contract: local file through `datasets`, hub failure, bad rows."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.ifeval import INSTRUCTION_IDS, SPEC, load, prompt
from pytest_qnext.evals.ifeval.scorer import METRICS
from pytest_qnext.sample import Sample


def _raw_rows(shared_data: Path) -> list[dict[str, object]]:
    with (shared_data / "ifeval" / "input_data.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_local_load_matches_the_file(shared_data: Path, ifeval_samples: Sequence[Sample]) -> None:
    raw = _raw_rows(shared_data)
    assert len(ifeval_samples) == len(raw) == 541
    for sample, row in zip(ifeval_samples, raw, strict=True):
        assert sample.id == str(row["key"])
        assert sample.input == row["prompt"]
        assert sample.target == ""
        assert sample.metadata["instruction_id_list"] == row["instruction_id_list"]
        # Arrow adds every other instruction's kwargs as nulls; the loader drops exactly those
        assert sample.metadata["kwargs"] == row["kwargs"]
    used = Counter(i for s in ifeval_samples for i in s.metadata["instruction_id_list"])
    assert set(used) == set(INSTRUCTION_IDS)


def test_prompt_is_one_user_message_verbatim(
    ifeval_ctx: LoadContext, ifeval_samples: Sequence[Sample]
) -> None:
    sample = ifeval_samples[3]
    assert prompt(sample, ifeval_ctx) == [{"role": "user", "content": sample.input}]


def test_spec_contract() -> None:
    assert SPEC.name == "ifeval"
    assert SPEC.task_type == "instruction_following"
    assert SPEC.primary_metric == "prompt_level_strict"
    assert SPEC.metrics == METRICS == (
        "prompt_level_strict", "inst_level_strict", "prompt_level_loose", "inst_level_loose"
    )  # fmt: skip
    assert SPEC.oracle is not None  # recorded answers for the demo prompts (test_oracle.py)
    assert SPEC.hub_id == "google/IFEval"


def test_registry_finds_ifeval() -> None:
    from pytest_qnext.evals import registry

    assert registry.get("ifeval") is SPEC


def test_missing_local_file_names_the_option(tmp_path: Path, nltk_data_path: Path) -> None:
    ctx = LoadContext(data_dir=tmp_path, args={"nltk_data": str(nltk_data_path)})
    with pytest.raises(DatasetUnavailable) as info:
        load(ctx)
    message = str(info.value)
    assert "--qnext-data-dir" in message and "ifeval/input_data.jsonl" in message
    assert "\n" not in message


@pytest.mark.usefixtures("offline_empty_hub")
def test_unreachable_hub_names_dataset_and_option(nltk_data_path: Path) -> None:
    ctx = LoadContext(data_dir=None, args={"nltk_data": str(nltk_data_path)})
    with pytest.raises(DatasetUnavailable) as info:
        load(ctx)
    message = str(info.value)
    assert "google/IFEval" in message and "--qnext-data-dir" in message
    assert "\n" not in message


def _write(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    folder = tmp_path / "ifeval"
    folder.mkdir()
    with (folder / "input_data.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return tmp_path


def test_bad_kwargs_fail_the_load_with_the_key(tmp_path: Path, nltk_data_path: Path) -> None:
    rows = [
        {"key": 1, "prompt": "ok", "instruction_id_list": ["punctuation:no_comma"],
         "kwargs": [{}]},
        {"key": 2, "prompt": "bad", "instruction_id_list": ["keywords:frequency"],
         "kwargs": [{"keyword": "x", "relation": "at least"}]},
    ]  # fmt: skip
    ctx = LoadContext(data_dir=_write(tmp_path, rows), args={"nltk_data": str(nltk_data_path)})
    with pytest.raises(DatasetUnavailable) as info:
        load(ctx)
    message = str(info.value)
    assert "sample 2" in message and "'frequency'" in message and "\n" not in message


def test_missing_columns_are_named(tmp_path: Path, nltk_data_path: Path) -> None:
    rows = [{"key": 1, "prompt": "no instructions here"}]
    ctx = LoadContext(data_dir=_write(tmp_path, rows), args={"nltk_data": str(nltk_data_path)})
    with pytest.raises(DatasetUnavailable, match="lacks column"):
        load(ctx)


def test_duplicate_keys_are_rejected(tmp_path: Path, nltk_data_path: Path) -> None:
    row = {"key": 7, "prompt": "p", "instruction_id_list": ["startend:quotation"], "kwargs": [{}]}
    ctx = LoadContext(
        data_dir=_write(tmp_path, [row, row]), args={"nltk_data": str(nltk_data_path)}
    )
    with pytest.raises(DatasetUnavailable, match="duplicate key 7"):
        load(ctx)
