"""Collecting a collection run: one pytest item per collection row (EvalScope's data_collection).

    --qnext-datasets data_collection \
      --qnext-dataset-args '{"data_collection": {"local_path": "out.jsonl", "shuffle": true}}'
    --qnext-collection qwen3            # the same, drawn in memory from a schema (seeded)

The rows come from a collection file (`collections.read_collection`) or are drawn in memory
(`collections.SAMPLERS`, seed --qnext-seed, `count` rows, default every row as EvalScope's
recipe asks); `shuffle` is a seeded shuffle of the rows, then --qnext-limit takes the first N
(or a fraction) of the whole collection. Each row is then a sample of its sub-benchmark, loaded
again through that benchmark's loader with the row's dataset args overridden by the benchmark's
own entry of --qnext-dataset-args, and prompted by that benchmark exactly as a direct run
prompts it (`collect.sample_entries`): the same request body, so the same cache key, and a
collection evaluated after its datasets (or before) asks the server nothing twice.

Item ids are `data_collection/<dataset>/<sample_id>` (`#r<k>` for repeats); each entry carries
its leaf (task type, tags, category path, weight) for the row's `collection` field. A row whose
sample the data no longer holds (or holds changed) is an item skipped with that reason. The
datasets' meta says which collection they came from (`DatasetMeta.collection`), with a note for
each leaf that could not be drawn here.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_qnext.capability.collect import (
    CollectError,
    Entry,
    apply_limit,
    dataset_meta,
    item_id,
    sample_entries,
)
from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.collections import (
    SAMPLERS,
    CollectionError,
    CollectionRow,
    SchemaError,
    load_schema,
    locate_samples,
    read_collection,
)
from pytest_qnext.collections.resolve import Located
from pytest_qnext.collections.sampler import DEFAULT_COUNT, derive_seed
from pytest_qnext.evals.base import EvalSpec, LoadContext
from pytest_qnext.evals.registry import Registry, RegistryError
from pytest_qnext.options.capability import DATA_COLLECTION
from pytest_qnext.rows import COLLECTION_FIELDS
from pytest_qnext.sample import Sample

__all__ = ["COLLECTION_ARG_KEYS", "ITEM_PREFIX", "collection_entries", "shuffled"]

#: the keys of --qnext-dataset-args' data_collection entry
COLLECTION_ARG_KEYS = ("local_path", "shuffle", "count", "sampler")
ITEM_PREFIX = f"{DATA_COLLECTION}/"
_FLAG = "--qnext-dataset-args"


def shuffled(rows: Sequence[CollectionRow], seed: int) -> list[CollectionRow]:
    """The rows in a seeded order (the same for the same seed, whatever else changes)."""
    out = list(rows)
    random.Random(derive_seed(seed, "shuffle")).shuffle(out)
    return out


def _own_args(settings: CapabilitySettings) -> dict[str, Any]:
    """The data_collection entry, checked (one CollectError line for the first problem)."""
    own = dict(settings.args_for(DATA_COLLECTION))
    where = f"{_FLAG}: {DATA_COLLECTION}"
    unknown = sorted(k for k in own if k not in COLLECTION_ARG_KEYS)
    if unknown:
        raise CollectError(
            f"{where}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(COLLECTION_ARG_KEYS)}"
            " (a benchmark's own args go in its own entry)"
        )
    if not isinstance(own.get("shuffle", False), bool):
        raise CollectError(f"{where}.shuffle must be true or false, got {own['shuffle']!r}")
    count = own.get("count", DEFAULT_COUNT)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise CollectError(f"{where}.count must be an integer >= 1, got {count!r}")
    if own.get("sampler", "weighted") not in SAMPLERS:
        raise CollectError(
            f"{where}.sampler must be one of {', '.join(sorted(SAMPLERS))}, got {own['sampler']!r}"
        )
    if settings.collection is not None:
        if "local_path" in own:
            raise CollectError(
                f"{where}.local_path and --qnext-collection both name a collection; give one"
            )
    elif not isinstance(own.get("local_path"), str) or not own["local_path"]:
        raise CollectError(
            f"{where}: give the collection file, e.g. "
            f'\'{{"{DATA_COLLECTION}": {{"local_path": "out.jsonl", "shuffle": true}}}}\' '
            "(written by python -m pytest_qnext.collections build), or use --qnext-collection "
            "SCHEMA"
        )
    else:
        for key in ("count", "sampler"):
            if key in own:
                raise CollectError(
                    f"{where}.{key} applies when --qnext-collection draws the rows; a collection "
                    "file was drawn when it was built"
                )
    return own


def _rows(
    settings: CapabilitySettings, own: Mapping[str, Any], benchmarks: Registry
) -> tuple[list[CollectionRow], str, list[str]]:
    """(rows in collection order, where they came from, notes on leaves left out)."""
    if settings.collection is None:
        path = Path(str(own["local_path"])).expanduser()
        return read_collection(path), str(path), []
    schema = load_schema(settings.collection)
    kind = str(own.get("sampler", "weighted"))
    count = int(own.get("count", DEFAULT_COUNT))
    sampler = SAMPLERS[kind](
        schema, seed=settings.seed, data_dir=settings.data_dir, benchmarks=benchmarks
    )
    try:
        rows = sampler.sample(count)
    except SchemaError as exc:  # a leaf's benchmark or arguments: name the schema too
        raise SchemaError(f"{settings.collection}: {exc}") from None
    source = (
        f"{settings.collection} (drawn in memory: {kind} sampler, count {count}, "
        f"seed {settings.seed})"
    )
    notes = [
        f"{d.unavailable}; the collection was drawn without it"
        for d in sampler.draws
        if d.unavailable
    ]
    return rows, source, notes


def _specs(rows: Sequence[CollectionRow], benchmarks: Registry, source: str) -> dict[str, EvalSpec]:
    specs: dict[str, EvalSpec] = {}
    for row in rows:
        if row.dataset_name not in specs:
            try:
                specs[row.dataset_name] = benchmarks.get(row.dataset_name)
            except RegistryError as exc:
                raise CollectError(f"{source}: row {row.index}: {exc}") from None
    return specs


def _leaf(row: CollectionRow, spec: EvalSpec) -> dict[str, Any]:
    leaf = {
        "task_type": row.task_type or spec.task_type,
        "tags": list(row.tags),
        "categories": list(row.categories),
        "weight": row.weight,
    }
    assert tuple(leaf) == COLLECTION_FIELDS
    return leaf


def _repeats(row: CollectionRow, args: Mapping[str, Any], default: int) -> int:
    repeats = args.get("repeats", default)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise CollectError(
            f"collection row {row.index}: {row.dataset_name} args.repeats must be an integer "
            f">= 1, got {repeats!r}"
        )
    return repeats


def _skipped(
    row: CollectionRow, spec: EvalSpec, repeats: int, leaf: Mapping[str, Any], reason: str
) -> list[Entry]:
    """The items of a row without its sample: skipped with `reason`, nothing asked."""
    sample = row.to_sample() or Sample(row.sample_id, "", "", subset=row.subset_name or "default")
    name = row.dataset_name
    return [
        Entry(
            name,
            spec,
            sample,
            k,
            item_id(f"{ITEM_PREFIX}{name}", row.sample_id, k, repeats),
            (),
            collection=leaf,
            skip_reason=f"collection row {row.index}: {reason}",
        )
        for k in range(repeats)
    ]


def collection_entries(
    settings: CapabilitySettings, benchmarks: Registry
) -> tuple[list[Entry], dict[str, dict[str, Any]]]:
    """(entries in collection order, per-dataset meta): see the module docstring. Every problem
    with the collection, its file, its schema or the arguments is one `CollectError` line."""
    own = _own_args(settings)
    try:
        rows, source, notes = _rows(settings, own, benchmarks)
    except CollectionError as exc:
        raise CollectError(str(exc)) from None
    specs = _specs(rows, benchmarks, source)
    overrides = {k: v for k, v in settings.dataset_args.items() if k != DATA_COLLECTION}
    strangers = sorted(set(overrides) - set(specs))
    if strangers:
        raise CollectError(
            f"{_FLAG}: {', '.join(strangers)} is not a benchmark of the collection "
            f"({', '.join(sorted(specs))}); drop its entry"
        )
    if own.get("shuffle"):
        rows = shuffled(rows, settings.seed)
    rows = apply_limit(rows, settings.limit)

    def args_for(row: CollectionRow) -> dict[str, Any]:
        return {**row.args, **overrides.get(row.dataset_name, {})}

    try:
        located = locate_samples(
            rows, settings.data_dir, settings.seed, benchmarks=benchmarks, args_for=args_for
        )
    except CollectionError as exc:
        raise CollectError(f"{source}: {exc}") from None
    entries: list[Entry] = []
    found: dict[str, list[tuple[Located, LoadContext, int]]] = {}
    for row, where in zip(rows, located, strict=True):
        spec = specs[row.dataset_name]
        args = args_for(row)
        repeats = _repeats(row, args, settings.repeats)
        leaf = _leaf(row, spec)
        if where.sample is None:
            entries.extend(_skipped(row, spec, repeats, leaf, where.reason))
            continue
        ctx = LoadContext(data_dir=settings.data_dir, args=args, seed=settings.seed)
        entries.extend(
            sample_entries(
                row.dataset_name,
                spec,
                where.sample,
                ctx,
                repeats,
                prefix=ITEM_PREFIX,
                collection=leaf,
            )
        )
        found.setdefault(row.dataset_name, []).append((where, ctx, repeats))
    about = {
        "name": ",".join(dict.fromkeys(row.categories[0] for row in rows)),
        "source": source,
        "rows": len(rows),
        "shuffled": bool(own.get("shuffle")),
        "notes": notes,
    }
    return entries, _metas(rows, specs, found, about)


def _metas(
    rows: Sequence[CollectionRow],
    specs: Mapping[str, EvalSpec],
    found: Mapping[str, list[tuple[Located, LoadContext, int]]],
    about: Mapping[str, Any],
) -> dict[str, dict[str, Any]]:
    """Per dataset: a direct run's meta of the same samples (in loader order, so a collection
    drawing a whole benchmark has that benchmark's fingerprint), its task type from the schema,
    and `collection` saying where the rows came from."""
    metas: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(row.dataset_name for row in rows):
        spec = specs[name]
        located = sorted(found.get(name, []), key=lambda item: item[0].position)
        samples = [item[0].sample for item in located if item[0].sample is not None]
        ctx = located[0][1] if located else LoadContext(None, {}, 0)
        repeats = located[0][2] if located else 1
        meta = dataset_meta(name, spec, samples, ctx, repeats)
        kinds = dict.fromkeys(
            row.task_type or spec.task_type for row in rows if row.dataset_name == name
        )
        meta["task_type"] = ",".join(kinds)
        meta["collection"] = dict(about)
        metas[name] = meta
    return metas
