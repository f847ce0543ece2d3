"""Seeded samplers: draw a collection's rows from its leaves.

All three load every leaf through its benchmark's loader, decide how many rows each leaf gives
(its quota, capped at what the leaf holds), draw that many per leaf without replacement, and
mix the draws into one seeded order. Same schema + data + seed -> the same rows in the same
order (byte-identical files); each leaf's draw depends only on the seed and that leaf's path,
so adding or removing one leaf leaves the others' draws unchanged.

* `WeightedSampler`: quota = count x the leaf's normalised weight (all of the leaf when it has
  fewer rows; EvalScope's Qwen3 recipe asks for 100 000 000 to take everything);
* `StratifiedSampler`: quotas proportional to the leaves' sizes (their natural proportions);
* `UniformSampler`: the same quota for every leaf that could be loaded.

Quotas are whole numbers summing to `count` (largest remainders, ties to the earlier leaf).
A leaf that cannot be loaded here is recorded in `draws` with the reason and gives no rows.

Unlike EvalScope's samplers these never touch the global `random` state, and they mix the
leaves (EvalScope writes them one after another) so that the first N rows of a file are a
sample of the whole collection.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pytest_qnext.collections.load import LeafUnavailable, load_leaf, spec_for
from pytest_qnext.collections.rows import CollectionRow, sample_to_json
from pytest_qnext.collections.schema import (
    CollectionError,
    CollectionSchema,
    DatasetInfo,
    SchemaError,
    path_label,
)
from pytest_qnext.evals.base import EvalSpec
from pytest_qnext.sample import Sample

if TYPE_CHECKING:
    from pytest_qnext.evals.registry import Registry

__all__ = [
    "DEFAULT_COUNT",
    "SAMPLERS",
    "LeafDraw",
    "ProgressFn",
    "Sampler",
    "StratifiedSampler",
    "UniformSampler",
    "WeightedSampler",
    "apportion",
    "derive_seed",
]

#: EvalScope's Qwen3 recipe: a count above every leaf's size takes every row
DEFAULT_COUNT = 100_000_000
#: progress(done, total, label): called before each leaf is loaded and once at the end
ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class LeafDraw:
    """What one leaf gave: `available` rows held, `quota` asked, `drawn` taken."""

    leaf: DatasetInfo  # as flattened: normalised weight, category path in `hierarchy`
    task_type: str
    available: int
    quota: int
    drawn: int
    unavailable: str = ""  # one line saying why the leaf gave nothing; "" when it loaded

    @property
    def label(self) -> str:
        return path_label(self.leaf.path)


@dataclass(frozen=True)
class _Loaded:
    leaf: DatasetInfo
    task_type: str
    samples: tuple[Sample, ...]
    unavailable: str
    protected: bool = False  # EvalSpec.protected: rows keep ids only


def apportion(total: int, shares: Sequence[float]) -> list[int]:
    """Whole numbers proportional to `shares` summing to `total` (largest remainder method;
    equal remainders go to the earlier entry). All-zero shares give all zeros."""
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    weight = math.fsum(shares)
    if weight <= 0:
        return [0] * len(shares)
    exact = [total * share / weight for share in shares]
    counts = [math.floor(x) for x in exact]
    left = total - sum(counts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[:left]:
        counts[i] += 1
    return counts


def derive_seed(seed: int, *parts: str) -> int:
    """A 64-bit seed from the user's seed and a name (a leaf's path, "mix", "shuffle")."""
    digest = hashlib.sha256("\x1f".join([str(seed), *parts]).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


class Sampler:
    """Base class: subclasses say how `count` is split among the leaves (`shares`)."""

    kind: ClassVar[str] = ""

    def __init__(
        self,
        schema: CollectionSchema,
        *,
        seed: int = 0,
        data_dir: str | Path | None = None,
        progress: ProgressFn | None = None,
        benchmarks: Registry | None = None,
    ) -> None:
        """`benchmarks`: where leaf names are looked up (a pytest session's registry, with the
        benchmarks of its `pytest_qnext_benchmarks` hook); the installed ones when None."""
        self.schema = schema
        self.benchmarks = benchmarks
        self.seed = int(seed)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.progress = progress
        #: per leaf, what the last `sample` call drew (schema order)
        self.draws: list[LeafDraw] = []
        self._loaded: list[_Loaded] | None = None

    def shares(self, leaves: Sequence[DatasetInfo], sizes: Sequence[int]) -> list[float]:
        """Relative quotas of the leaves (`sizes[i]` = 0 for a leaf that could not be loaded)."""
        raise NotImplementedError

    def sample(self, count: int) -> list[CollectionRow]:
        """Draw about `count` rows; `CollectionError` when no leaf could be loaded."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise CollectionError(f"count must be an integer >= 1, got {count!r}")
        loaded = self._load()
        if not any(item.samples for item in loaded):
            reasons = "; ".join(item.unavailable for item in loaded if item.unavailable)
            raise CollectionError(f"no leaf of {self.schema.name!r} could be loaded: {reasons}")
        sizes = [len(item.samples) for item in loaded]
        quotas = apportion(count, self.shares([item.leaf for item in loaded], sizes))
        picked: list[tuple[_Loaded, Sample]] = []
        self.draws = []
        for item, quota in zip(loaded, quotas, strict=True):
            take = min(quota, len(item.samples))
            rng = random.Random(derive_seed(self.seed, "leaf", *item.leaf.path))
            order = rng.sample(range(len(item.samples)), take)
            picked.extend((item, item.samples[i]) for i in order)
            self.draws.append(
                LeafDraw(
                    item.leaf, item.task_type, len(item.samples), quota, take, item.unavailable
                )
            )
        random.Random(derive_seed(self.seed, "mix")).shuffle(picked)
        return [_row(index, item, sample) for index, (item, sample) in enumerate(picked)]

    def _load(self) -> list[_Loaded]:
        if self._loaded is not None:
            return self._loaded
        leaves = self.schema.flatten()
        # every benchmark name is checked before any data is loaded: a typo stops at once
        specs: list[EvalSpec | LeafUnavailable] = []
        for leaf in leaves:
            try:
                specs.append(spec_for(leaf.name, path_label(leaf.path), self.benchmarks))
            except LeafUnavailable as exc:
                specs.append(exc)
        loaded: list[_Loaded] = []
        for done, (leaf, spec) in enumerate(zip(leaves, specs, strict=True)):
            label = path_label(leaf.path)
            if self.progress is not None:
                self.progress(done, len(leaves), label)
            if isinstance(spec, LeafUnavailable):
                loaded.append(_Loaded(leaf, leaf.task_type, (), str(spec)))
                continue
            task_type = leaf.task_type or spec.task_type
            try:
                samples = load_leaf(spec, leaf.args, self.data_dir, self.seed, label)
            except LeafUnavailable as exc:
                loaded.append(_Loaded(leaf, task_type, (), str(exc)))
                continue
            loaded.append(_Loaded(leaf, task_type, tuple(samples), "", spec.protected))
        if self.progress is not None:
            self.progress(len(leaves), len(leaves), "")
        _check_disjoint(loaded)
        self._loaded = loaded
        return loaded


def _check_disjoint(loaded: Sequence[_Loaded]) -> None:
    """Two leaves of one benchmark must not hold the same sample (its item id would repeat)."""
    owner: dict[tuple[str, str], str] = {}
    for item in loaded:
        label = path_label(item.leaf.path)
        for sample in item.samples:
            key = (item.leaf.name, sample.id)
            other = owner.setdefault(key, label)
            if other != label:
                raise SchemaError(
                    f"{other} and {label} both hold {item.leaf.name}/{sample.id}; give leaves "
                    "of one benchmark disjoint subset_list"
                )


def _row(index: int, item: _Loaded, sample: Sample) -> CollectionRow:
    withheld, data = sample_to_json(item.leaf.name, sample, item.protected)
    return CollectionRow(
        index=index,
        dataset_name=item.leaf.name,
        sample_id=sample.id,
        subset_name=sample.subset,
        task_type=item.task_type,
        tags=tuple(item.leaf.tags),
        categories=tuple(item.leaf.hierarchy),
        weight=item.leaf.weight,
        args=dict(item.leaf.args),
        withheld=withheld,
        sample=data,
    )


class WeightedSampler(Sampler):
    """About `count` x leaf weight rows from each leaf (all of it when it has fewer)."""

    kind = "weighted"

    def shares(self, leaves: Sequence[DatasetInfo], sizes: Sequence[int]) -> list[float]:
        # an unavailable leaf keeps its share: the others' quotas follow the schema's weights
        return [leaf.weight for leaf in leaves]


class StratifiedSampler(Sampler):
    """Quotas in the leaves' natural proportions (their sizes)."""

    kind = "stratified"

    def shares(self, leaves: Sequence[DatasetInfo], sizes: Sequence[int]) -> list[float]:
        return [float(size) for size in sizes]


class UniformSampler(Sampler):
    """The same quota from every leaf that could be loaded."""

    kind = "uniform"

    def shares(self, leaves: Sequence[DatasetInfo], sizes: Sequence[int]) -> list[float]:
        return [1.0 if size else 0.0 for size in sizes]


#: --sampler name -> class
SAMPLERS: dict[str, type[Sampler]] = {
    cls.kind: cls for cls in (WeightedSampler, StratifiedSampler, UniformSampler)
}
