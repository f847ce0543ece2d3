"""Loader helpers: local files through `datasets`, overrides, and one-line failures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.hub import (
    DEMO_DATA_DIR,
    hub_id_for,
    load_records,
    one_line,
    present_subsets,
)


def _mmlu_pro(ctx: LoadContext) -> list[dict[str, object]]:
    return load_records(
        ctx,
        dataset="mmlu_pro",
        hub_id=hub_id_for(ctx, "TIGER-Lab/MMLU-Pro"),
        subset=None,
        split="test",
        local_glob="mmlu_pro/test.jsonl",
    )


def test_local_rows_in_file_order(shared_data: Path) -> None:
    rows = _mmlu_pro(LoadContext(shared_data, {}))
    text = (shared_data / "mmlu_pro" / "test.jsonl").read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if line]
    assert len(rows) == len(lines) == 12032
    for index in (0, 1, 5000, 12031):
        assert rows[index] == json.loads(lines[index])


def test_local_path_file_overrides_data_dir(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    rows = [{"question_id": q, "options": ["x", "y"], "answer": "A"} for q in (30, 10, 20)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    got = _mmlu_pro(LoadContext(DEMO_DATA_DIR, {"local_path": str(path)}))
    assert [r["question_id"] for r in got] == [30, 10, 20]


def test_no_source_is_one_line_naming_dataset_hub_and_option() -> None:
    ctx = LoadContext(None, {"dataset_id": "qnext-test/no-such-dataset"})
    started = time.monotonic()
    with pytest.raises(DatasetUnavailable) as info:
        _mmlu_pro(ctx)
    elapsed = time.monotonic() - started
    message = str(info.value)
    print(f"\nhub failure after {elapsed:.1f}s: {message}")
    assert "\n" not in message
    assert message.startswith("mmlu_pro: could not load hub dataset qnext-test/no-such-dataset (")
    assert (
        "no --qnext-data-dir given; pass --qnext-data-dir DIR with mmlu_pro/test.jsonl" in message
    )


def test_missing_local_file_names_the_layout(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailable, match=r"^mmlu_pro: no file mmlu_pro/test.jsonl under "):
        _mmlu_pro(LoadContext(tmp_path, {}))


def test_unreadable_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "mmlu_pro").mkdir()
    (tmp_path / "mmlu_pro" / "test.jsonl").write_text('{"question_id": 1,\n', encoding="utf-8")
    with pytest.raises(DatasetUnavailable, match=r"^mmlu_pro: cannot read .*test.jsonl \(") as info:
        _mmlu_pro(LoadContext(tmp_path, {}))
    assert "\n" not in str(info.value)


def test_present_subsets_policy(shared_data: Path) -> None:
    subsets = ["computer_network", "law", "operating_system"]
    glob = "ceval/val/{subset}_val.csv"
    local = LoadContext(shared_data, {})
    assert present_subsets(local, dataset="ceval", subsets=subsets, local_glob=glob) == [
        "computer_network",
        "operating_system",
    ]
    requested = LoadContext(shared_data, {"subset_list": ["law"]})
    assert present_subsets(requested, dataset="ceval", subsets=["law"], local_glob=glob) == ["law"]
    hub = LoadContext(None, {})
    assert present_subsets(hub, dataset="ceval", subsets=subsets, local_glob=glob) == subsets
    with pytest.raises(DatasetUnavailable, match="no subset file"):
        present_subsets(local, dataset="ceval", subsets=["law"], local_glob=glob)


def test_one_line() -> None:
    assert one_line(ValueError("first\nsecond")) == "ValueError: first"
    assert one_line(OSError()) == "OSError"
    assert len(one_line("x" * 500)) == 200
