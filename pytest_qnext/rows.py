"""The sample row and the dataset meta: what a capability item reports and the report reads.

A leaf module (it imports only `pytest_qnext.sample` and `pytest_qnext.jsonl`) because three
layers need these types and must not import each other for them: `capability/` builds rows, a
benchmark's breakdown hook in `evals/` reads them, `report/` aggregates and writes them. Rows
cross xdist processes as their `to_json()` dicts (plain JSON values in `report.user_properties`);
the controller rebuilds them with `from_json`, which checks every field and raises `RowError`
with one line naming the sample and the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from pytest_qnext.jsonl import plain
from pytest_qnext.sample import OUTCOMES, Message, Outcome

__all__ = [
    "COLLECTION_FIELDS",
    "WITHHELD",
    "DatasetMeta",
    "RowError",
    "RowKey",
    "SampleRow",
    "natural_key",
    "sort_key",
]

# What a protected benchmark's rows carry instead of the model's text (see EvalSpec.protected)
WITHHELD = "(text withheld: this benchmark's questions must not appear in plain text)"

RowKey = tuple[str, str, int]  # (dataset, sample_id, repeat)
#: what a collection item's row says about the leaf it was drawn from (SampleRow.collection):
#: the schema's task type, tags, category path (root first) and the leaf's normalised weight
COLLECTION_FIELDS = ("task_type", "tags", "categories", "weight")

_DIGITS = re.compile(r"(\d+)")
_SHOWN = 60  # characters of a bad value quoted in an error


class RowError(ValueError):
    """A sample row or dataset meta does not follow the row contract (one-line message)."""


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key that orders "q2" before "q10" and is total over all strings."""
    parts = _DIGITS.split(text)
    return tuple((1, int(part), part) if i % 2 else (0, 0, part) for i, part in enumerate(parts))


def sort_key(key: RowKey) -> tuple[Any, ...]:
    """Report order of rows: dataset, natural sample id, repeat."""
    dataset, sample_id, repeat = key
    return dataset, natural_key(sample_id), repeat


# -- field checks: (test, what the value must be) ------------------------------------------------


_ATOMS = (str, int, bool, type(None))


def _is_json(value: Any) -> bool:
    if type(value) in _ATOMS or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(_is_json(v) for v in value)
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_pair(pair: Any) -> bool:
    return (
        isinstance(pair, list | tuple)
        and len(pair) == 2
        and all(_is_number(v) for v in pair)
        and 0 <= pair[0] <= pair[1]
    )


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _optional(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or test(value)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _is_message(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _is_names(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(_is_name(v) for v in value)


def _is_leaf(value: Any) -> bool:
    """A collection row's leaf: exactly task_type, tags, categories (non-empty), weight."""
    return (
        isinstance(value, Mapping)
        and set(value) == set(COLLECTION_FIELDS)
        and isinstance(value["task_type"], str)
        and _is_names(value["tags"])
        and _is_names(value["categories"])
        and bool(value["categories"])
        and _is_number(value["weight"])
        and 0 < value["weight"] <= 1
    )


Check = tuple[Callable[[Any], bool], str]
_TEXT: Check = (_is_text, "a string")
_OPTIONAL_TEXT: Check = (_optional(_is_text), "a string or null")
_JSON_DICT: Check = (lambda v: isinstance(v, Mapping) and _is_json(v), "a dict of JSON values")

_ROW_CHECKS: dict[str, Check] = {
    "dataset": (_is_name, "a non-empty string"),
    "subset": (_is_name, "a non-empty string"),
    "sample_id": (_is_name, "a non-empty string"),
    "repeat": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "an int >= 0"),
    "outcome": (lambda v: v in OUTCOMES, f"one of {', '.join(OUTCOMES)}"),
    "metrics": (
        lambda v: isinstance(v, Mapping) and all(_is_pair(p) for p in v.values()),
        "a dict name -> [num, den] with 0 <= num <= den",
    ),
    "prediction": _TEXT,
    "reasoning": _TEXT,
    "extracted": _OPTIONAL_TEXT,
    "target": _TEXT,
    "finish_reason": _OPTIONAL_TEXT,
    "usage": (_optional(_JSON_DICT[0]), "a dict of JSON values or null"),
    "latency": (_optional(lambda v: _is_number(v) and v >= 0), "a number >= 0 or null"),
    "retried": (
        lambda v: isinstance(v, list | tuple) and all(isinstance(k, str) for k in v),
        "a list of error kinds",
    ),
    "explanation": _TEXT,
    "cached": (lambda v: isinstance(v, bool), "true or false"),
    "skip_reason": _OPTIONAL_TEXT,
    "messages": (
        _optional(lambda v: isinstance(v, list | tuple) and all(_is_message(m) for m in v)),
        "a list of {role, content} messages or null",
    ),
    "details": _JSON_DICT,
    "collection": (
        _optional(_is_leaf),
        "null or a collection leaf {task_type, tags, categories, weight in (0, 1]}",
    ),
}

_META_CHECKS: dict[str, Check] = {
    "dataset": (_is_name, "a non-empty string"),
    "task_type": (_is_name, "a non-empty string"),
    "primary_metric": (_optional(_is_name), "a metric name or null"),
    "metrics": (
        lambda v: isinstance(v, list | tuple) and all(_is_name(m) for m in v),
        "a list of metric names",
    ),
    "fingerprint": _JSON_DICT,
    "collection": (_optional(_JSON_DICT[0]), "a dict of JSON values or null"),
}


def _checked(
    data: Any, checks: Mapping[str, Check], required: Sequence[str], what: str, where: str
) -> dict[str, Any]:
    """`data`'s fields after checking them all (RowError naming the first bad one)."""
    if not isinstance(data, Mapping):
        raise RowError(f"a {what} must be a dict, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in checks)
    if unknown:
        raise RowError(
            f"{what} {where}: unknown field(s) {', '.join(map(repr, unknown))}; "
            f"the fields are {', '.join(checks)}"
        )
    for name in required:
        if name not in data:
            raise RowError(f"{what} {where} lacks {name!r}; it needs {', '.join(required)}")
    for name, value in data.items():
        test, expected = checks[name]
        if not test(value):
            shown = repr(value)
            shown = shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "…"
            raise RowError(f"{what} {where}: {name!r} must be {expected}, got {shown}")
    return dict(data)


@dataclass(frozen=True)
class SampleRow:
    """One capability item's result (the `samples.jsonl` row)."""

    dataset: str
    sample_id: str
    outcome: Outcome
    metrics: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    subset: str = "default"
    repeat: int = 0
    prediction: str = ""  # the answer text after think-stripping
    reasoning: str = ""
    extracted: str | None = None
    target: str = ""
    finish_reason: str | None = None
    usage: Mapping[str, Any] | None = None
    latency: float | None = None
    retried: tuple[str, ...] = ()  # error kinds of the attempts retried before the answer
    explanation: str = ""
    cached: bool = False
    skip_reason: str | None = None
    messages: tuple[Message, ...] | None = None  # the messages sent; None when withheld
    details: Mapping[str, Any] = field(default_factory=dict)  # the scorer's Score.details
    # a collection item's leaf (COLLECTION_FIELDS); None for an item of a direct dataset run.
    # `dataset` stays the sub-benchmark, so table rows and baselines pair with direct runs
    collection: Mapping[str, Any] | None = None

    @property
    def key(self) -> RowKey:
        return self.dataset, self.sample_id, self.repeat

    @property
    def where(self) -> str:
        return f"{self.dataset}/{self.sample_id}" + (f"#r{self.repeat}" if self.repeat else "")

    def withheld(self) -> SampleRow:
        """This row without the benchmark's text: no messages, a note for prediction and
        reasoning (the extracted answer and the target stay)."""
        return replace(
            self,
            messages=None,
            prediction=WITHHELD if self.prediction else "",
            reasoning=WITHHELD if self.reasoning else "",
        )

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values, one key per field (metric pairs as [num, den] lists)."""
        return {name: plain(getattr(self, name)) for name in _ROW_FIELDS}

    @classmethod
    def from_json(cls, data: Any) -> SampleRow:
        """The row a `to_json()` dict describes; RowError (one line) when a field is wrong."""
        where = (
            f"{data.get('dataset', '?')}/{data.get('sample_id', '?')}"
            if isinstance(data, Mapping)
            else "?"
        )
        row = _checked(data, _ROW_CHECKS, ("dataset", "sample_id", "outcome"), "sample row", where)
        pairs = sorted(row.get("metrics", {}).items())
        metrics = {str(k): (float(n), float(d)) for k, (n, d) in pairs}
        if row["outcome"] != "skipped" and not metrics:
            raise RowError(
                f"sample row {where}: outcome {row['outcome']!r} needs metrics "
                "(truncated/error rows carry the scorer's metrics with numerators 0)"
            )
        row["metrics"] = metrics
        row["retried"] = tuple(row.get("retried", ()))
        if row.get("messages") is not None:
            row["messages"] = tuple(dict(m) for m in row["messages"])
        for name in ("usage", "details", "collection"):
            if row.get(name) is not None:
                row[name] = plain(row[name])
        if row.get("latency") is not None:
            row["latency"] = float(row["latency"])
        return cls(**row)


_ROW_FIELDS = tuple(f.name for f in fields(SampleRow))


@dataclass(frozen=True)
class DatasetMeta:
    """What the report needs to know about a dataset beyond its rows."""

    dataset: str
    task_type: str = "unknown"  # the seed table's task_type
    primary_metric: str | None = None  # None: the first metric of the table
    metrics: tuple[str, ...] = ()  # table order; empty: the metrics the rows carry, sorted
    fingerprint: Mapping[str, Any] = field(default_factory=dict)
    # the collection this dataset's items were drawn from ({"name", "source", "notes"}), or None
    collection: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Any) -> DatasetMeta:
        """The meta a `to_json()` dict describes; RowError (one line) when a field is wrong."""
        where = str(data.get("dataset", "?")) if isinstance(data, Mapping) else "?"
        meta = _checked(data, _META_CHECKS, ("dataset",), "dataset meta", where)
        meta["metrics"] = tuple(meta.get("metrics", ()))
        meta["fingerprint"] = plain(meta.get("fingerprint", {}))
        if meta.get("collection") is not None:
            meta["collection"] = plain(meta["collection"])
        return cls(**meta)
