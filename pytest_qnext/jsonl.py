"""JSON Lines text: one JSON object per line (blank lines skipped), with one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["json_objects"]


def json_objects(
    text: str, label: str, error: Callable[[str], Exception]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of `text`. A line that is not a JSON
    object raises `error("<label>:<line>: ...")`: the caller's exception type and naming.

    Lines end at "\n" only: `str.splitlines` would also break inside a JSON string at a raw
    U+2028/U+2029/U+0085 (real MMLU-Pro text has U+2028; `ensure_ascii=False` writes it raw)."""
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(
                f"{label}:{number}: not valid JSON ({exc.msg}); write one JSON object per line"
            ) from None
        if not isinstance(row, dict):
            raise error(f"{label}:{number}: expected a JSON object, one per line")
        yield number, row
