"""Replay: score answers recorded by any system instead of asking a server.

The file is JSONL, one row per answer: `{"dataset", "sample_id", "response"}` with optional
`reasoning_content`, `finish_reason` and `repeat` (an int; a row without it answers every
repeat of its sample). Samples without a row are skipped with that reason.

Recorded text is untrusted: it is made valid at this boundary. JSON lets a file hold a lone
surrogate (`"\\ud800"`), which no UTF-8 writer accepts; each one becomes U+FFFD here, so a
bad row cannot destroy the report. `unmatched(selected)` lists the rows that answer no
selected sample (another dataset, an unknown id), which the report shows.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from pytest_qnext.capability.cache import Answer
from pytest_qnext.client.decode import valid_text
from pytest_qnext.jsonl import json_objects

__all__ = ["Replay", "ReplayError"]


class ReplayError(Exception):
    """The replay file is unusable; the message names file:line and the fix."""


_FIELDS = '{"dataset": ..., "sample_id": ..., "response": ...}'


def _str_field(row: dict[str, Any], name: str, where: str, *, optional: bool = False) -> str | None:
    value = row.get(name)
    if value is None and optional:
        return None
    if name == "sample_id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ReplayError(f"{where}: field {name!r} must be a string; each row is {_FIELDS}")
    return valid_text(value)


class Replay:
    """Recorded answers keyed by (dataset, sample_id, repeat or None)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._rows: dict[tuple[str, str, int | None], Answer] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ReplayError(
                f"--qnext-responses: cannot read {self.path} ({exc.strerror or exc}); "
                "give an existing JSONL file"
            ) from None
        except UnicodeDecodeError:
            raise ReplayError(f"--qnext-responses: {self.path} is not UTF-8 text") from None
        seen: dict[tuple[str, str, int | None], int] = {}
        label = f"--qnext-responses {self.path}"
        for number, row in json_objects(text, label, ReplayError):
            where = f"{label}:{number}"
            dataset = _str_field(row, "dataset", where)
            sample_id = _str_field(row, "sample_id", where)
            response = _str_field(row, "response", where)
            reasoning = _str_field(row, "reasoning_content", where, optional=True)
            finish = _str_field(row, "finish_reason", where, optional=True)
            repeat = row.get("repeat")
            if repeat is not None and not (isinstance(repeat, int) and repeat >= 0):
                raise ReplayError(f"{where}: 'repeat' must be an integer >= 0 when given")
            assert dataset is not None and sample_id is not None and response is not None
            key = (dataset, sample_id, repeat)
            if key in seen:
                raise ReplayError(
                    f"{where}: a second row for {dataset}/{sample_id}"
                    + (f" repeat {repeat}" if repeat is not None else "")
                    + f" (first on line {seen[key]}); keep one row per answer"
                )
            seen[key] = number
            self._rows[key] = Answer(
                content=response, reasoning=reasoning or "", finish_reason=finish
            )

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, dataset: str, sample_id: str, repeat: int) -> Answer | None:
        """The recorded answer for this item, or None (the item is then skipped)."""
        found = self._rows.get((dataset, sample_id, repeat))
        if found is None:
            found = self._rows.get((dataset, sample_id, None))
        return found

    def skip_reason(self, dataset: str, sample_id: str) -> str:
        return f"no response for {dataset}/{sample_id} in {self.path}"

    def unmatched(self, selected: Collection[tuple[str, str]]) -> list[str]:
        """`dataset/sample_id` (`#r<k>` for a repeat row) of every row whose sample is not
        among `selected` (dataset, sample_id) pairs, in file order."""
        return [
            f"{dataset}/{sample_id}" + ("" if repeat is None else f"#r{repeat}")
            for dataset, sample_id, repeat in self._rows
            if (dataset, sample_id) not in selected
        ]
