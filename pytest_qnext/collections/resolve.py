"""Finding a collection file's rows in the data loaded now.

A collection row names its sample (benchmark, id) and the leaf's dataset arguments; the sample
itself comes back through the benchmark's loader with those arguments (once per benchmark and
arguments), exactly as a direct run of that benchmark loads it. That is how a protected
benchmark's withheld rows get their text back, and how an evaluation prompts each row the way a
direct run prompts the same sample. `locate_samples` says, per row, which sample it is now or
why there is none (the data lost it, or its text changed since the file was built, or the leaf
cannot be loaded here); `resolve_samples` wants them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_qnext.collections.load import LeafUnavailable, load_leaf, spec_for
from pytest_qnext.collections.rows import CollectionRow, sample_to_json
from pytest_qnext.collections.schema import CollectionError, path_label
from pytest_qnext.sample import Sample

if TYPE_CHECKING:
    from pytest_qnext.evals.registry import Registry

__all__ = ["Located", "locate_samples", "resolve_samples"]

# what must still match between a row's stored sample and the sample loaded now (metadata may
# legitimately differ: it can hold text built from the arguments, e.g. few-shot examples)
_COMPARED = ("input", "target", "choices", "subset")

ArgsFor = Callable[[CollectionRow], Mapping[str, Any]]


@dataclass(frozen=True)
class Located:
    """Where a row's sample is now: the sample and its position in its loader's output (the
    order a direct run of the benchmark with these arguments has), or why there is none."""

    sample: Sample | None
    position: int = -1
    reason: str = ""


def _row_args(row: CollectionRow) -> Mapping[str, Any]:
    return row.args


def locate_samples(
    rows: Sequence[CollectionRow],
    data_dir: Path | None,
    seed: int = 0,
    *,
    benchmarks: Registry | None = None,
    args_for: ArgsFor = _row_args,
) -> list[Located]:
    """Per row, in row order: its sample as loaded now with `args_for(row)` (default: the
    row's args), or one line saying why it has none. A benchmark name nobody registered, or
    arguments its loader refuses, raise `CollectionError` (the file itself is wrong)."""
    loaded: dict[tuple[str, str], dict[str, tuple[int, Sample]] | str] = {}
    out: list[Located] = []
    for row in rows:
        args = args_for(row)
        key = (row.dataset_name, json.dumps(dict(args), sort_keys=True))
        if key not in loaded:
            where = path_label((*row.categories, row.dataset_name))
            try:
                spec = spec_for(row.dataset_name, where, benchmarks)
                samples = load_leaf(spec, args, data_dir, seed, where)
                loaded[key] = {s.id: (i, s) for i, s in enumerate(samples)}
            except LeafUnavailable as exc:
                loaded[key] = str(exc)
        found = loaded[key]
        if isinstance(found, str):
            out.append(Located(None, reason=found))
            continue
        position, sample = found.get(row.sample_id, (-1, None))
        name = f"{row.dataset_name}/{row.sample_id}"
        if sample is None:
            why = "is not in the data loaded now"
        elif not row.withheld and _changed(row, sample):
            why = "differs from its copy in the collection file"
        else:
            out.append(Located(sample, position))
            continue
        out.append(
            Located(
                None,
                reason=f"{name} {why} (the data changed since the collection was "
                "built; build it again)",
            )
        )
    return out


def _changed(row: CollectionRow, sample: Sample) -> bool:
    _, now = sample_to_json(row.dataset_name, sample)
    return any(now.get(field) != row.sample.get(field) for field in _COMPARED)


def resolve_samples(
    rows: Sequence[CollectionRow],
    data_dir: Path | None,
    seed: int = 0,
    *,
    benchmarks: Registry | None = None,
) -> list[Sample]:
    """The benchmark samples of `rows`, in row order, re-loaded with each row's args: the way
    to get withheld samples back, and a check that the data still holds every drawn sample. A
    row without its sample is one `CollectionError` line."""
    out: list[Sample] = []
    for row, found in zip(
        rows, locate_samples(rows, data_dir, seed, benchmarks=benchmarks), strict=True
    ):
        if found.sample is None:
            raise CollectionError(f"row {row.index}: {found.reason}")
        out.append(found.sample)
    return out
