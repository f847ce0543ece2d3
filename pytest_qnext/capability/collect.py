"""Selecting samples: datasets -> subsets -> limit -> repeats -> one `Entry` per pytest item.

The same function feeds collection (every process), the simulator's oracle (controller) and
the benchmark script, so they always agree on which samples a run holds.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.evals.registry import Registry, RegistryError
from pytest_qnext.sample import Sample

__all__ = ["CollectError", "Entry", "apply_limit", "check_args", "item_id", "load_entries"]


class CollectError(Exception):
    """The selected datasets cannot be collected; one line saying what to fix."""


@dataclass(frozen=True)
class Entry:
    """One pytest item: a sample (as transformed for its repeat) and its prompt."""

    dataset: str
    spec: EvalSpec
    sample: Sample
    repeat: int
    item_id: str
    messages: tuple[dict[str, Any], ...]


def item_id(dataset: str, sample_id: str, repeat: int, repeats: int) -> str:
    """`<dataset>/<sample_id>`, with `#r<k>` when the dataset is asked more than once."""
    base = f"{dataset}/{sample_id}"
    return f"{base}#r{repeat}" if repeats > 1 else base


def apply_limit(samples: Sequence[Sample], limit: float | None) -> list[Sample]:
    """The first N samples, or the first ceil(f * len) for a fraction f in (0, 1)."""
    if limit is None:
        return list(samples)
    count = math.ceil(limit * len(samples)) if limit < 1 else int(limit)
    return list(samples[:count])


def _content_hash(samples: Sequence[Sample]) -> str:
    digest = hashlib.sha256()
    for s in samples:
        blob = json.dumps(
            [s.id, s.subset, s.input, s.target, list(s.choices)],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        digest.update(blob.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def _load_spec(name: str, benchmarks: Registry) -> EvalSpec:
    try:
        return benchmarks.get(name)
    except RegistryError as exc:
        raise CollectError(f"--qnext-datasets: {exc}") from None


def check_args(name: str, spec: EvalSpec, args: dict[str, Any]) -> None:
    """CollectError naming the valid keys when `args` has a key the benchmark does not read."""
    unknown = spec.unknown_args(args)
    if not unknown:
        return
    shown = []
    for key in unknown:
        close = difflib.get_close_matches(key, spec.valid_args, n=1)
        shown.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise CollectError(
        f"--qnext-dataset-args: {name} has no setting {', '.join(shown)}; valid keys for "
        f"{name}: {', '.join(spec.valid_args)}"
    )


def _nothing_selected(name: str, args: dict[str, Any]) -> str:
    """One line for a selected dataset that holds no samples (exit 4: never a silent pass)."""
    given = f" (dataset args: {json.dumps(args, default=str)})" if args else ""
    return (
        f"{name}: no samples selected{given}: its data is empty, or a filter or date window "
        "keeps none; a dataset with nothing to evaluate cannot be scored or gated: fix its "
        "data or arguments, or drop it from --qnext-datasets"
    )


def load_entries(
    settings: CapabilitySettings, benchmarks: Registry | None = None
) -> tuple[list[Entry], dict[str, dict[str, Any]]]:
    """(entries in item order, per-dataset meta without run-level fingerprint parts).

    `benchmarks`: the session's registry (installed benchmarks plus those of the
    `pytest_qnext_benchmarks` hook); the installed ones when None.
    """
    from pytest_qnext.evals import registry

    registered = benchmarks if benchmarks is not None else registry.default()
    entries: list[Entry] = []
    metas: dict[str, dict[str, Any]] = {}
    for name in settings.datasets:
        spec = _load_spec(name, registered)
        args = dict(settings.args_for(name))
        check_args(name, spec, args)
        ctx = LoadContext(data_dir=settings.data_dir, args=args, seed=settings.seed)
        try:
            samples = list(spec.load(ctx))
        except DatasetUnavailable as exc:
            raise CollectError(str(exc)) from None
        subsets = ctx.subset_list
        if subsets:
            known = {s.subset for s in samples}
            unknown = [s for s in subsets if s not in known]
            if unknown:
                raise CollectError(
                    f"--qnext-dataset-args: {name} has no subset(s) {', '.join(unknown)}; "
                    f"valid: {', '.join(sorted(known))}"
                )
            samples = [s for s in samples if s.subset in subsets]
        samples = apply_limit(samples, settings.limit)
        if not samples:  # subsets and limits keep at least one of a non-empty dataset
            raise CollectError(_nothing_selected(name, args))
        seen: set[str] = set()
        for sample in samples:
            if sample.id in seen:
                raise CollectError(
                    f"{name}: sample id {sample.id!r} occurs twice; ids must be unique"
                )
            seen.add(sample.id)
        repeats = settings.repeats_for(name)
        for sample in samples:
            for k in range(repeats):
                shown = spec.for_repeat(sample, k) if spec.for_repeat is not None else sample
                messages = tuple(dict(m) for m in spec.prompt(shown, ctx))
                entries.append(
                    Entry(name, spec, shown, k, item_id(name, sample.id, k, repeats), messages)
                )
        metas[name] = {
            "dataset": name,
            "task_type": spec.task_type,
            "primary_metric": spec.primary_metric,
            "metrics": list(spec.metrics),
            "fingerprint": {
                "content_hash": _content_hash(samples),
                "samples": len(samples),
                "version": spec.version,
                "repeats": repeats,
                "few_shot_num": ctx.few_shot_num,
                "subset_list": subsets or [],
            },
        }
    return entries, metas
