"""The collection file: one JSON object per line, one line per drawn sample.

Each row carries what the engine needs to find and prompt the sample again:

    index         position in the file (0, 1, ...): the mixed order the sampler drew
    dataset_name  the registered benchmark, e.g. "mmlu_pro"
    sample_id     the sample's stable id (DESIGN.md contract), e.g. "1986"
    subset_name   the sample's subset within its benchmark
    task_type     the leaf's task type (the benchmark's own when the schema left it empty)
    tags          the leaf's tags, e.g. ["en"]
    categories    the schema path of the leaf's parent, root first, e.g. ["Qwen3", "English"]
    weight        the leaf's normalised weight (the leaves of a schema sum to 1); the same on
                  every row of a leaf (per-sample weights are derived when aggregating)
    args          the leaf's dataset arguments, to load the benchmark the same way again
    withheld      true when the sample's text is not stored (see below)
    sample        the benchmark's sample: id, input, target, choices, subset, metadata

A leaf is identified by (categories, dataset_name): siblings have distinct names.

GPQA's authors ask that its questions never appear in plain text, so rows of a protected
benchmark (`EvalSpec.protected`) store only `{"id", "subset"}` in `sample` and `withheld: true`;
the engine gets the sample back from the encrypted data with `resolve_samples` (collections/
resolve.py, which re-loads every row through its benchmark's loader, with the row's args).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_qnext.collections.schema import CollectionError, read_text
from pytest_qnext.jsonl import json_objects
from pytest_qnext.sample import Sample

__all__ = [
    "ROW_FIELDS",
    "CollectionRow",
    "parse_row",
    "read_collection",
    "sample_to_json",
    "write_rows",
]

#: the keys of a row, in the order they are written
ROW_FIELDS = (
    "index",
    "dataset_name",
    "sample_id",
    "subset_name",
    "task_type",
    "tags",
    "categories",
    "weight",
    "args",
    "withheld",
    "sample",
)
_SAMPLE_TEXT_FIELDS = ("input", "target", "choices", "metadata")
# characters str.splitlines breaks at that JSON leaves raw inside strings (ensure_ascii=False)
_LINE_BREAKS = ("\x85", "\u2028", "\u2029")


def _escape_line_breaks(text: str) -> str:
    for char in _LINE_BREAKS:
        if char in text:
            text = text.replace(char, f"\\u{ord(char):04x}")
    return text


@dataclass(frozen=True)
class CollectionRow:
    """One line of a collection file (see the module docstring for the fields)."""

    index: int
    dataset_name: str
    sample_id: str
    subset_name: str
    task_type: str
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    weight: float
    args: Mapping[str, Any]
    withheld: bool
    sample: Mapping[str, Any]

    @property
    def leaf(self) -> tuple[tuple[str, ...], str]:
        """(categories, dataset_name): the schema leaf this row was drawn from."""
        return self.categories, self.dataset_name

    def to_json(self) -> str:
        """The row as one JSON line (no newline); keys in `ROW_FIELDS` order."""
        data = {
            "index": self.index,
            "dataset_name": self.dataset_name,
            "sample_id": self.sample_id,
            "subset_name": self.subset_name,
            "task_type": self.task_type,
            "tags": list(self.tags),
            "categories": list(self.categories),
            "weight": self.weight,
            "args": dict(self.args),
            "withheld": self.withheld,
            "sample": dict(self.sample),
        }
        # readers split lines with str.splitlines: escape the other line breaks it knows
        return _escape_line_breaks(json.dumps(data, ensure_ascii=False, allow_nan=False))

    def to_sample(self) -> Sample | None:
        """The stored sample, or None when its text is withheld (use `resolve_samples`)."""
        if self.withheld:
            return None
        s = self.sample
        return Sample(
            id=self.sample_id,
            input=s["input"],
            target=s["target"],
            choices=tuple(s["choices"]),
            subset=s.get("subset", self.subset_name),
            metadata=dict(s["metadata"]),
        )


def sample_to_json(
    dataset: str, sample: Sample, protected: bool = False
) -> tuple[bool, dict[str, Any]]:
    """(withheld, the `sample` field) for one drawn sample; a `protected` benchmark's sample
    (EvalSpec.protected) keeps its id and subset only. Metadata that is not plain JSON data
    raises `CollectionError` naming the sample."""
    if protected:
        return True, {"id": sample.id, "subset": sample.subset}
    data = {
        "id": sample.id,
        "input": sample.input,
        "target": sample.target,
        "choices": list(sample.choices),
        "subset": sample.subset,
        "metadata": dict(sample.metadata),
    }
    try:
        # round trip: tuples become lists now, so a file read back equals what was written
        plain: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise CollectionError(
            f"{dataset}/{sample.id}: sample metadata is not plain JSON data ({exc})"
        ) from None
    return False, plain


def _need(ok: bool, where: str, what: str, value: object) -> None:
    if not ok:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise CollectionError(f"{where}: {what}, got {shown}")


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def parse_row(data: Mapping[str, Any], where: str) -> CollectionRow:
    """Check one decoded row; `CollectionError("<where>: ...")` naming the first bad field."""
    missing = [key for key in ROW_FIELDS if key not in data]
    if missing:
        raise CollectionError(
            f"{where}: missing field(s) {', '.join(missing)}; is this a collection file written "
            "by `python -m pytest_qnext.collections build`?"
        )
    index, weight, sample = data["index"], data["weight"], data["sample"]
    _need(isinstance(index, int) and not isinstance(index, bool) and index >= 0, where,
          "index must be an integer >= 0", index)  # fmt: skip
    for key in ("dataset_name", "sample_id"):
        _need(isinstance(data[key], str) and bool(data[key]), where,
              f"{key} must be a non-empty string", data[key])  # fmt: skip
    for key in ("subset_name", "task_type"):
        _need(isinstance(data[key], str), where, f"{key} must be a string", data[key])
    _need(_strings(data["tags"]), where, "tags must be a list of strings", data["tags"])
    _need(_strings(data["categories"]) and bool(data["categories"]), where,
          "categories must be a non-empty list of strings", data["categories"])  # fmt: skip
    number = isinstance(weight, (int, float)) and not isinstance(weight, bool)
    _need(number and math.isfinite(weight) and 0 < weight <= 1, where,
          "weight must be a number in (0, 1]", weight)  # fmt: skip
    _need(isinstance(data["args"], dict), where, "args must be an object", data["args"])
    _need(isinstance(data["withheld"], bool), where, "withheld must be true or false",
          data["withheld"])  # fmt: skip
    _need(isinstance(sample, dict) and sample.get("id") == data["sample_id"], where,
          "sample must be an object whose id equals sample_id", sample)  # fmt: skip
    if not data["withheld"]:
        absent = [key for key in _SAMPLE_TEXT_FIELDS if key not in sample]
        _need(not absent, where, f"sample lacks {', '.join(absent)}", sorted(sample))
        _need(isinstance(sample["input"], str) and isinstance(sample["target"], str), where,
              "sample input and target must be strings", sample["target"])  # fmt: skip
        _need(isinstance(sample["choices"], list)
              and all(isinstance(c, str) for c in sample["choices"]), where,
              "sample choices must be a list of strings", sample["choices"])  # fmt: skip
        _need(isinstance(sample["metadata"], dict), where, "sample metadata must be an object",
              sample["metadata"])  # fmt: skip
    return CollectionRow(
        index=index,
        dataset_name=data["dataset_name"],
        sample_id=data["sample_id"],
        subset_name=data["subset_name"],
        task_type=data["task_type"],
        tags=tuple(data["tags"]),
        categories=tuple(data["categories"]),
        weight=float(weight),
        args=data["args"],
        withheld=data["withheld"],
        sample=sample,
    )


def read_collection(path: str | Path) -> list[CollectionRow]:
    """Every row of a collection file in file order, checked one by one and as a whole: unique
    indices, each (dataset, sample id) once, one weight per leaf. One `CollectionError` line
    (`<file>:<line>: ...`) for the first problem."""
    source = Path(path)
    text = read_text(source, "collection file", CollectionError)
    rows: list[CollectionRow] = []
    indices: dict[int, int] = {}
    samples: dict[tuple[str, str], int] = {}
    weights: dict[tuple[tuple[str, ...], str], tuple[float, int]] = {}
    # json_objects splits with str.splitlines, which would also break a row inside a JSON
    # string at a raw U+2028 (files written by other tools with ensure_ascii=False)
    for number, data in json_objects(_escape_line_breaks(text), str(source), CollectionError):
        where = f"{source}:{number}"
        row = parse_row(data, where)
        if row.index in indices:
            raise CollectionError(f"{where}: index {row.index} repeats line {indices[row.index]}")
        key = (row.dataset_name, row.sample_id)
        if key in samples:
            raise CollectionError(
                f"{where}: {row.dataset_name}/{row.sample_id} repeats line {samples[key]}; a "
                "sample may be drawn once per collection"
            )
        first = weights.setdefault(row.leaf, (row.weight, number))
        if first[0] != row.weight:
            raise CollectionError(
                f"{where}: weight {row.weight} differs from {first[0]} on line {first[1]} of the "
                f"same leaf {'/'.join(row.categories)}/{row.dataset_name}"
            )
        indices[row.index] = number
        samples[key] = number
        rows.append(row)
    if not rows:
        raise CollectionError(f"{source}: holds no rows")
    return rows


def write_rows(rows: Iterable[CollectionRow], path: Path) -> None:
    """Write rows as JSON lines, replacing `path` only once the whole file is written."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(row.to_json())
            fh.write("\n")
    tmp.replace(path)
