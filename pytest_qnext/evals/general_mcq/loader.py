"""Reading custom JSONL datasets (general_mcq, general_qa) from `local_path`.

`local_path` (in --qnext-dataset-args) is a `.jsonl` file (subset "default") or a directory
whose `*.jsonl` files are the subsets (named by file stem; sample ids are then
`<subset>/<id>`). Rows are JSON objects; a row without `id` gets its line number (1-based).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.jsonl import json_objects

__all__ = ["Row", "read_rows", "required_text"]

Row = tuple[str, str, dict[str, Any], str]  # (subset, sample id, record, "file:line")


def _files(dataset: str, ctx: LoadContext, example: str) -> list[tuple[str, Path]]:
    raw = ctx.args.get("local_path")
    if not raw:
        raise DatasetUnavailable(
            f"{dataset}: no file given; pass --qnext-dataset-args "
            f'\'{{"{dataset}": {{"local_path": "{example}"}}}}\''
        )
    path = Path(str(raw)).expanduser()
    if not path.is_absolute() and ctx.data_dir is not None and not path.exists():
        path = ctx.data_dir / path
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise DatasetUnavailable(f"{dataset}: directory {path} holds no *.jsonl files")
        return [(f.stem, f) for f in files]
    if not path.is_file():
        raise DatasetUnavailable(
            f"{dataset}: local_path {path} does not exist; give a .jsonl file or a directory "
            "of them"
        )
    return [("default", path)]


def read_rows(dataset: str, ctx: LoadContext, example: str) -> Iterator[Row]:
    """Every record of the dataset's file(s), validated as JSON objects; a sample id seen twice
    is an error naming both places."""
    files = _files(dataset, ctx, example)
    first_seen: dict[str, str] = {}
    for subset, path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DatasetUnavailable(f"{dataset}: cannot read {path} ({exc})") from None
        lines = json_objects(text, f"{dataset}: {path}", DatasetUnavailable)
        for number, record in lines:
            where = f"{path}:{number}"
            raw_id = record.get("id", number)
            if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or str(raw_id) == "":
                raise DatasetUnavailable(
                    f"{dataset}: {where}: 'id' must be a non-empty string or int"
                )
            sample_id = str(raw_id) if len(files) == 1 else f"{subset}/{raw_id}"
            if sample_id in first_seen:
                raise DatasetUnavailable(
                    f"{dataset}: {where}: id {sample_id!r} occurs twice (first at "
                    f"{first_seen[sample_id]}); ids must be unique"
                )
            first_seen[sample_id] = where
            yield subset, sample_id, record, where


def required_text(dataset: str, record: dict[str, Any], field: str, where: str) -> str:
    """`record[field]` when it is a non-empty string, else a one-line DatasetUnavailable."""
    value = record.get(field)
    if not isinstance(value, str) or not value.strip():
        raise DatasetUnavailable(f"{dataset}: {where}: {field!r} must be a non-empty string")
    return value
