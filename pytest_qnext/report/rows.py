"""The row contract between the capability engine and the report layer: checks and keys.

A row is one pytest item's result (a plain JSON-able dict); a meta dict describes a dataset.
Malformed input raises `RowError` with one line naming the field and what it should be.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pytest_qnext.sample import OUTCOMES

__all__ = [
    "OUTCOMES",
    "RATE_NAMES",
    "RowError",
    "natural_key",
    "row_key",
    "sort_key",
    "validate_meta",
    "validate_row",
]

RATE_NAMES: tuple[str, ...] = ("error_rate", "truncated_rate", "unparsed_rate")

_DIGITS = re.compile(r"(\d+)")


class RowError(ValueError):
    """A sample row or dataset meta dict does not follow the row contract."""


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key that orders "q2" before "q10" and is total over all strings."""
    parts = _DIGITS.split(text)
    return tuple((1, int(part), part) if i % 2 else (0, 0, part) for i, part in enumerate(parts))


def row_key(row: Mapping[str, Any]) -> tuple[str, str, int]:
    return str(row["dataset"]), str(row["sample_id"]), int(row["repeat"])


def sort_key(key: tuple[str, str, int]) -> tuple[Any, ...]:
    dataset, sample_id, repeat = key
    return dataset, natural_key(sample_id), repeat


def _where(row: Mapping[str, Any]) -> str:
    return f"{row.get('dataset', '?')}/{row.get('sample_id', '?')}"


def validate_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A checked copy of `row` with defaults for optional fields; RowError when malformed."""
    if not isinstance(row, Mapping):
        raise RowError(f"a sample row must be a dict, got {type(row).__name__}")
    for key in ("dataset", "sample_id", "outcome"):
        if key not in row or row[key] in (None, ""):
            raise RowError(
                f"sample row {_where(row)} lacks {key!r}; rows need dataset, "
                "sample_id, repeat, outcome and metrics"
            )
    out = dict(row)
    out["dataset"] = str(row["dataset"])
    out["sample_id"] = str(row["sample_id"])
    repeat = row.get("repeat", 0)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 0:
        raise RowError(f"sample row {_where(row)}: 'repeat' must be an int >= 0, got {repeat!r}")
    out["repeat"] = repeat
    if row["outcome"] not in OUTCOMES:
        raise RowError(
            f"sample row {_where(row)}: outcome {row['outcome']!r} is not one of "
            f"{', '.join(OUTCOMES)}"
        )
    metrics = row.get("metrics") or {}
    if not isinstance(metrics, Mapping):
        raise RowError(f"sample row {_where(row)}: 'metrics' must map name -> [num, den]")
    clean: dict[str, list[float]] = {}
    for name, pair in metrics.items():
        ok = isinstance(pair, list | tuple) and len(pair) == 2
        if ok:
            num, den = pair
            ok = (
                all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in (num, den)
                )
                and 0 <= num <= den
            )
        if not ok:
            raise RowError(
                f"sample row {_where(row)}: metric {name!r} must be [num, den] with "
                f"0 <= num <= den, got {pair!r}"
            )
        clean[str(name)] = [pair[0], pair[1]]
    if row["outcome"] != "skipped" and not clean:
        raise RowError(
            f"sample row {_where(row)}: outcome {row['outcome']!r} needs metrics "
            "(truncated/error rows carry the scorer's metrics with numerators 0)"
        )
    out["metrics"] = dict(sorted(clean.items()))
    out.setdefault("subset", "default")
    out["subset"] = str(out["subset"] or "default")
    for key in ("prediction", "reasoning", "target", "explanation"):
        out[key] = "" if out.get(key) is None else str(out[key])
    for key in ("extracted", "finish_reason", "usage", "latency", "skip_reason"):
        out.setdefault(key, None)
    out["cached"] = bool(out.get("cached", False))
    retried = row.get("retried") or []
    if not isinstance(retried, list | tuple) or not all(isinstance(k, str) for k in retried):
        raise RowError(
            f"sample row {_where(row)}: 'retried' must be a list of error kinds, got {retried!r}"
        )
    out["retried"] = list(retried)
    return out


def validate_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """A checked copy of a dataset meta dict; RowError when malformed."""
    if not isinstance(meta, Mapping) or not meta.get("dataset"):
        raise RowError("dataset meta must be a dict with a 'dataset' name")
    out = dict(meta)
    out["dataset"] = str(meta["dataset"])
    out["task_type"] = str(meta.get("task_type") or "unknown")
    out["primary_metric"] = meta.get("primary_metric") or None
    metrics = meta.get("metrics") or []
    if not isinstance(metrics, list | tuple) or not all(isinstance(m, str) for m in metrics):
        raise RowError(f"dataset meta {out['dataset']}: 'metrics' must be a list of names")
    out["metrics"] = list(metrics)
    fingerprint = meta.get("fingerprint") or {}
    if not isinstance(fingerprint, Mapping):
        raise RowError(f"dataset meta {out['dataset']}: 'fingerprint' must be a dict")
    out["fingerprint"] = dict(fingerprint)
    return out
