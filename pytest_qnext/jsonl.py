"""JSON Lines text: one JSON object per line (blank lines skipped), with one-line errors; and
`plain`, the JSON-native copy of a value that report rows and perf points write."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["json_objects", "plain"]


_ATOMS = (str, int, bool, type(None))  # returned as they are (exact types: the common case)


def plain(value: Any) -> Any:
    """A JSON-native copy: tuples become lists, mappings dicts with str keys, NaN/inf None."""
    if type(value) in _ATOMS:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


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
