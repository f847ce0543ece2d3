"""Selecting samples: datasets -> subsets -> limit -> repeats -> one `Entry` per pytest item.

The same function feeds collection (every process), the simulator's oracle (controller) and
the benchmark script, so they always agree on which samples a run holds.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.capability.select import SelectionError, UnknownSubset, select_samples
from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.evals.registry import Registry, RegistryError
from pytest_qnext.sample import Sample

__all__ = [
    "CollectError",
    "Entry",
    "apply_limit",
    "dataset_meta",
    "item_id",
    "load_entries",
    "sample_entries",
]

T = TypeVar("T")


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
    # a collection item's leaf (SampleRow.collection: task_type, tags, categories, weight)
    collection: Mapping[str, Any] | None = None
    # why the item is skipped without asking (a collection row whose sample the data lost)
    skip_reason: str | None = None


def item_id(dataset: str, sample_id: str, repeat: int, repeats: int) -> str:
    """`<dataset>/<sample_id>`, with `#r<k>` when the dataset is asked more than once."""
    base = f"{dataset}/{sample_id}"
    return f"{base}#r{repeat}" if repeats > 1 else base


def apply_limit(samples: Sequence[T], limit: float | None) -> list[T]:
    """The first N samples (or collection rows), or the first ceil(f * len) for a fraction f
    in (0, 1)."""
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


def sample_entries(
    name: str,
    spec: EvalSpec,
    sample: Sample,
    ctx: LoadContext,
    repeats: int,
    *,
    prefix: str = "",
    collection: Mapping[str, Any] | None = None,
) -> list[Entry]:
    """The items of one sample: one per repeat, each prompted as its benchmark prompts it (a
    collection item builds the very messages, so the very request body, of a direct run)."""
    out = []
    for k in range(repeats):
        shown = spec.for_repeat(sample, k) if spec.for_repeat is not None else sample
        messages = tuple(dict(m) for m in spec.prompt(shown, ctx))
        iid = item_id(f"{prefix}{name}", sample.id, k, repeats)
        out.append(Entry(name, spec, shown, k, iid, messages, collection=collection))
    return out


def dataset_meta(
    name: str, spec: EvalSpec, samples: Sequence[Sample], ctx: LoadContext, repeats: int
) -> dict[str, Any]:
    """A dataset's meta (`DatasetMeta` fields) without the run-level fingerprint parts."""
    return {
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
            "subset_list": ctx.subset_list or [],
        },
    }


def load_entries(
    settings: CapabilitySettings, benchmarks: Registry | None = None
) -> tuple[list[Entry], dict[str, dict[str, Any]]]:
    """(entries in item order, per-dataset meta without run-level fingerprint parts).

    `benchmarks`: the session's registry (installed benchmarks plus those of the
    `pytest_qnext_benchmarks` hook); the installed ones when None. A collection run
    (`data_collection`, `--qnext-collection`) is collected by `collection_entries`.
    """
    from pytest_qnext.evals import registry

    registered = benchmarks if benchmarks is not None else registry.default()
    if settings.collection_run:
        from pytest_qnext.capability.collection_entries import collection_entries

        return collection_entries(settings, registered)
    entries: list[Entry] = []
    metas: dict[str, dict[str, Any]] = {}
    for name in settings.datasets:
        spec = _load_spec(name, registered)
        args = dict(settings.args_for(name))
        ctx = LoadContext(data_dir=settings.data_dir, args=args, seed=settings.seed)
        try:
            samples = select_samples(name, spec.load(ctx), ctx.subset_list)
        except DatasetUnavailable as exc:
            raise CollectError(str(exc)) from None
        except UnknownSubset as exc:
            raise CollectError(f"--qnext-dataset-args: {exc}") from None
        except SelectionError as exc:
            raise CollectError(str(exc)) from None
        samples = apply_limit(samples, settings.limit)
        repeats = settings.repeats_for(name)
        for sample in samples:
            entries.extend(sample_entries(name, spec, sample, ctx, repeats))
        metas[name] = dataset_meta(name, spec, samples, ctx, repeats)
    return entries, metas
