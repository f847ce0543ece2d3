"""Collection files: the row format, and one `file:line` error per malformed row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.collections import CollectionError, CollectionRow, read_collection, write_rows
from pytest_qnext.collections.rows import ROW_FIELDS, sample_to_json
from pytest_qnext.evals import registry
from pytest_qnext.sample import Sample


def _row(index: int = 0, **changes: Any) -> dict[str, Any]:
    sample = Sample("7", "What is 2+2?\u2028Line two", "4", ("3", "4"), "default", {"level": 1})
    withheld, data = sample_to_json("aime24", sample)
    row = {
        "index": index,
        "dataset_name": "aime24",
        "sample_id": "7",
        "subset_name": "default",
        "task_type": "math",
        "tags": ["en"],
        "categories": ["Mix", "Math"],
        "weight": 0.5,
        "args": {"few_shot_num": 0},
        "withheld": withheld,
        "sample": data,
    }
    row.update(changes)
    return row


def _write(tmp_path: Path, rows: list[dict[str, Any]], extra: str = "") -> Path:
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + extra)
    return path


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    path = _write(tmp_path, [_row()])
    (row,) = read_collection(path)
    assert row.to_sample() == Sample("7", "What is 2+2?\u2028Line two", "4", ("3", "4"),
                                     "default", {"level": 1})  # fmt: skip
    assert row.leaf == (("Mix", "Math"), "aime24")
    out = tmp_path / "again.jsonl"
    write_rows([row], out)
    text = out.read_text(encoding="utf-8")
    assert text.count("\n") == 1 and "\\u2028" in text  # a line separator never splits a row
    assert list(json.loads(text)) == list(ROW_FIELDS)
    assert read_collection(out) == [row]


def test_withheld_rows_keep_ids_only() -> None:
    # GPQA's own flag (EvalSpec.protected) decides, not a list kept in collections/
    protected = registry.get("gpqa_diamond").protected
    assert protected and not registry.get("aime24").protected
    sample = Sample("rec1", "secret", "B", ("x", "y"))
    withheld, data = sample_to_json("gpqa_diamond", sample, protected)
    assert withheld and data == {"id": "rec1", "subset": "default"}
    assert sample_to_json("aime24", sample) == (
        False,
        {**data, "input": "secret", "target": "B", "choices": ["x", "y"], "metadata": {}},
    )


def test_metadata_must_be_plain_json() -> None:
    with pytest.raises(CollectionError, match=r"^aime24/7: sample metadata is not plain JSON"):
        sample_to_json("aime24", Sample("7", "q", "a", metadata={"when": object()}))


@pytest.mark.parametrize(
    ("rows", "extra", "expected"),
    [
        ([], "{not json\n", ":1: not valid JSON"),
        ([], "[1, 2]\n", ":1: expected a JSON object"),
        ([{"index": 0}], "", ":1: missing field(s) dataset_name, sample_id"),
        ([_row(weight=-0.5)], "", ":1: weight must be a number in (0, 1], got -0.5"),
        ([_row(tags="en")], "", ":1: tags must be a list of strings, got 'en'"),
        ([_row(categories=[])], "", ":1: categories must be a non-empty list of strings"),
        ([_row(index="0")], "", ":1: index must be an integer >= 0"),
        ([_row(sample={"id": "8"})], "", ":1: sample must be an object whose id equals sample_id"),
        ([_row(sample={"id": "7", "input": "q"})], "",
         ":1: sample lacks target, choices, metadata"),
        ([_row(), _row(index=0, sample_id="8", sample={**_row()["sample"], "id": "8"})], "",
         ":2: index 0 repeats line 1"),
        ([_row(), _row(index=1)], "", ":2: aime24/7 repeats line 1"),
        ([_row(), _row(index=1, sample_id="8", weight=0.25,
                       sample={**_row()["sample"], "id": "8"})], "",
         ":2: weight 0.25 differs from 0.5 on line 1 of the same leaf Mix/Math/aime24"),
        ([], "\n", ": holds no rows"),
    ],
)  # fmt: skip
def test_malformed_files_are_one_line(
    tmp_path: Path, rows: list[dict[str, Any]], extra: str, expected: str
) -> None:
    path = _write(tmp_path, rows, extra)
    with pytest.raises(CollectionError) as exc:
        read_collection(path)
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{path}{expected}"), message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CollectionError, match="no such collection file"):
        read_collection(tmp_path / "absent.jsonl")


def test_collection_row_is_frozen() -> None:
    row = CollectionRow(0, "a", "1", "s", "t", (), ("R",), 1.0, {}, True, {"id": "1"})
    with pytest.raises(AttributeError):
        row.index = 3  # type: ignore[misc]
