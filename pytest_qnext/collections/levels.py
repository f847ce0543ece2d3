"""The five report levels of a scored collection, with an interval on every average.

Input: one `ScoredRow` per scored sample (its dataset's main metric in [0, 1], and the row's
normalised leaf weight from the collection file). Output of `collection_levels`: for each level

    subset     keyed by (dataset, subset): same-named subsets of different benchmarks stay apart
    dataset    keyed by dataset
    task_type  keyed by task type
    tag        keyed by tag (a row counts under each of its tags)
    category   keyed by every prefix of the schema path: ["Qwen3"] is the whole index,
               ["Qwen3", "English"] one group, ...

a list of entries, each with `count` (samples), `members` ((dataset, subset) pairs), `leaves`,
and three averages, each with a 95 % interval:

* micro_avg    mean over samples;
* macro_avg    mean over the entry's (dataset, subset) members of each member's micro average
               (EvalScope pools members by subset name alone, mixing e.g. aime24's "default"
               with ifeval's "default"; here a member is always a (dataset, subset) pair);
* weighted_avg sum(score * w) / sum(w) with per-sample w = leaf weight / leaf samples: the
               schema-weighted mean of the leaves' means (EvalScope's weighted average).

Intervals: micro is Wilson's when every score is 0 or 1, else a percentile bootstrap over
samples; macro and weighted are stratified percentile bootstraps (samples resampled within each
member, resp. within each leaf, so every member/leaf keeps its size and weight). Every interval
contains its estimate. When an entry has one member (or one leaf, or equal per-sample weights)
the macro (weighted) average is the micro one and shares its interval. The bootstrap of each
entry is seeded from `seed` and the entry's key alone, so results do not depend on row order.

Several rows for one (leaf, sample id) - repeats of a sample - are averaged into one sample
first: the sample is the unit of every count and every resampling.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_qnext.collections.rows import CollectionRow
from pytest_qnext.scoring.stats import bootstrap_ci, wilson_interval

__all__ = [
    "LEVELS",
    "ScoredRow",
    "collection_levels",
    "key_fields",
    "level_keys",
    "weighted_mean_ci",
]

#: level name -> the key fields of its entries
LEVELS: dict[str, tuple[str, ...]] = {
    "subset": ("dataset", "subset"),
    "dataset": ("dataset",),
    "task_type": ("task_type",),
    "tag": ("tag",),
    "category": ("category",),
}
_CHUNK_CELLS = 4_000_000  # bootstrap work per numpy call (resamples x distinct values)


@dataclass(frozen=True)
class ScoredRow:
    """One scored sample of a collection (the integrator builds these from report rows and the
    collection file's row: dataset_name, subset_name, sample_id, weight, task_type, tags,
    categories)."""

    dataset: str
    subset: str
    sample_id: str
    score: float  # the dataset's main metric for this sample, in [0, 1]
    weight: float  # the leaf's normalised weight (the collection row's `weight`)
    task_type: str
    tags: tuple[str, ...]
    categories: tuple[str, ...]

    @property
    def leaf(self) -> tuple[tuple[str, ...], str]:
        return tuple(self.categories), self.dataset

    @classmethod
    def of(cls, row: CollectionRow, score: float) -> ScoredRow:
        """A collection file's row with the score its sample got."""
        return cls(row.dataset_name, row.subset_name, row.sample_id, score, row.weight,
                   row.task_type, tuple(row.tags), tuple(row.categories))  # fmt: skip

    @classmethod
    def of_leaf(
        cls, dataset: str, subset: str, sample_id: str, score: float, leaf: Mapping[str, Any]
    ) -> ScoredRow:
        """A sample with the leaf its item carries (`SampleRow.collection`: weight, task_type,
        tags, categories) and the score it got."""
        weight, task_type = float(leaf["weight"]), str(leaf["task_type"])
        tags, categories = tuple(leaf["tags"]), tuple(leaf["categories"])
        return cls(dataset, subset, sample_id, score, weight, task_type, tags, categories)


@dataclass(frozen=True)
class _Unit:
    """A sample after repeats are averaged, with its per-sample weight."""

    row: ScoredRow
    score: float
    w: float
    member: tuple[str, str]  # (dataset, subset)
    leaf: tuple[tuple[str, ...], str]  # (categories, dataset)


def _check(rows: Sequence[ScoredRow]) -> None:
    leaf_weight: dict[tuple[tuple[str, ...], str], float] = {}
    for row in rows:
        where = f"{row.dataset}/{row.sample_id}"
        if not (isinstance(row.score, (int, float)) and 0.0 <= row.score <= 1.0):
            raise ValueError(f"{where}: score must be a number in [0, 1], got {row.score!r}")
        if not (isinstance(row.weight, (int, float)) and 0.0 < row.weight <= 1.0):
            raise ValueError(f"{where}: weight must be a number in (0, 1], got {row.weight!r}")
        if not row.categories:
            raise ValueError(f"{where}: categories (the schema path) must not be empty")
        first = leaf_weight.setdefault(row.leaf, row.weight)
        if first != row.weight:
            raise ValueError(
                f"{where}: weight {row.weight} differs from {first} on another row of the same "
                f"leaf {'/'.join(row.categories)}/{row.dataset}"
            )


def _units(rows: Sequence[ScoredRow]) -> list[_Unit]:
    by_sample: dict[tuple[tuple[tuple[str, ...], str], str], list[ScoredRow]] = {}
    for row in rows:
        by_sample.setdefault((row.leaf, row.sample_id), []).append(row)
    leaf_size: dict[tuple[tuple[str, ...], str], int] = {}
    for leaf, _ in by_sample:
        leaf_size[leaf] = leaf_size.get(leaf, 0) + 1
    units = []
    for (leaf, _), group in by_sample.items():
        score = math.fsum(float(r.score) for r in group) / len(group)
        first = group[0]
        w = float(first.weight) / leaf_size[leaf]
        units.append(_Unit(first, score, w, (first.dataset, first.subset), leaf))
    return units


def _seed_for(seed: int, level: str, key: Hashable) -> int:
    digest = hashlib.sha256(f"{seed}\x1f{level}\x1f{key!r}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _resampled_means(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of `n_resamples` bootstrap resamples of `values` (drawing len(values) with
    replacement = a multinomial over the distinct values)."""
    distinct, counts = np.unique(values, return_counts=True)
    n = int(counts.sum())
    p = counts / n
    out = np.empty(n_resamples, dtype=np.float64)
    chunk = max(1, min(n_resamples, _CHUNK_CELLS // max(len(distinct), 1)))
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        draws = rng.multinomial(n, p, size=size).astype(np.float64)
        out[done : done + size] = (draws @ distinct) / n
        done += size
    return out


def _percentiles(stats: np.ndarray, estimate: float, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low = float(np.quantile(stats, alpha / 2.0))
    high = float(np.quantile(stats, 1.0 - alpha / 2.0))
    return min(low, estimate), max(high, estimate)


def _stratified_ci(
    strata: Sequence[Sequence[float]],
    masses: Sequence[float],
    estimate: float,
    rng: np.random.Generator,
    confidence: float,
    n_resamples: int,
) -> tuple[float, float]:
    """Percentile interval of sum(mass_i x mean_i) / sum(mass) with every stratum's values
    resampled within the stratum (each keeps its size and its mass)."""
    mass = np.array(masses, dtype=np.float64)
    resampled = np.stack([_resampled_means(np.array(v), n_resamples, rng) for v in strata])
    return _percentiles((mass @ resampled) / mass.sum(), estimate, confidence)


def weighted_mean_ci(
    strata: Sequence[Sequence[float]],
    masses: Sequence[float],
    seed: int,
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
) -> tuple[float, tuple[float, float]]:
    """(estimate, interval) of the mass-weighted mean of the strata's means, any real values
    (e.g. paired differences in [-1, 1]), by the stratified bootstrap the weighted average uses."""
    if not strata or any(not values for values in strata) or len(strata) != len(masses):
        raise ValueError("give one non-empty list of values and one mass per stratum")
    total = math.fsum(masses)
    means = [math.fsum(v) / len(v) for v in strata]
    estimate = math.fsum(m * x for m, x in zip(masses, means, strict=True)) / total
    rng = np.random.default_rng(seed)
    return estimate, _stratified_ci(strata, masses, estimate, rng, confidence, n_resamples)


def _strata(units: Sequence[_Unit], by_member: bool) -> list[list[_Unit]]:
    groups: dict[Hashable, list[_Unit]] = {}
    for unit in units:
        groups.setdefault(unit.member if by_member else unit.leaf, []).append(unit)
    return [groups[k] for k in sorted(groups, key=repr)]


def _entry(
    units: Sequence[_Unit], rng_seed: int, confidence: float, n_resamples: int
) -> dict[str, Any]:
    scores = [u.score for u in units]
    micro = math.fsum(scores) / len(scores)
    if all(s in (0.0, 1.0) for s in scores):
        micro_ci = wilson_interval(sum(scores), len(scores), confidence)
    else:
        ci = bootstrap_ci(scores, [1.0] * len(scores), confidence=confidence,
                          n_resamples=n_resamples, seed=rng_seed)  # fmt: skip
        micro_ci = ci if ci is not None else (micro, micro)
    rng = np.random.default_rng(rng_seed)

    members = _strata(units, by_member=True)
    member_means = [math.fsum(u.score for u in m) / len(m) for m in members]
    macro = math.fsum(member_means) / len(members)
    if len(members) == 1:
        macro_ci = micro_ci
    else:
        resampled = np.stack(
            [_resampled_means(np.array([u.score for u in m]), n_resamples, rng) for m in members]
        )
        macro_ci = _percentiles(resampled.mean(axis=0), macro, confidence)

    total_w = math.fsum(u.w for u in units)
    weighted = math.fsum(u.score * u.w for u in units) / total_w
    leaves = _strata(units, by_member=False)
    if len({u.w for u in units}) == 1:  # one leaf, or leaves of equal per-sample weight
        weighted, weighted_ci = micro, micro_ci
    else:
        # stratum mass = (per-sample weight) x (samples of the leaf in this entry)
        weighted_ci = _stratified_ci(
            [[u.score for u in leaf] for leaf in leaves],
            [leaf[0].w * len(leaf) for leaf in leaves],
            weighted,
            rng,
            confidence,
            n_resamples,
        )

    return {
        "count": len(units),
        "members": len(members),
        "leaves": len(leaves),
        "micro_avg": micro,
        "micro_ci": list(micro_ci),
        "macro_avg": macro,
        "macro_ci": list(macro_ci),
        "weighted_avg": weighted,
        "weighted_ci": list(weighted_ci),
    }


def key_fields(level: str, key: tuple[Any, ...]) -> dict[str, Any]:
    """An entry's key fields as JSON-able values (a category path is a list)."""
    return {
        f: list(v) if isinstance(v, tuple) else v for f, v in zip(LEVELS[level], key, strict=True)
    }


def level_keys(level: str, row: ScoredRow) -> Iterable[tuple[Any, ...]]:
    """The keys (values of LEVELS[level]) of the `level` entries `row` counts in."""
    if level == "subset":
        yield (row.dataset, row.subset)
    elif level == "dataset":
        yield (row.dataset,)
    elif level == "task_type":
        yield (row.task_type,)
    elif level == "tag":
        for tag in dict.fromkeys(row.tags):
            yield (tag,)
    else:
        for depth in range(1, len(row.categories) + 1):
            yield (row.categories[:depth],)


def collection_levels(
    rows: Sequence[ScoredRow],
    seed: int = 0,
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
) -> dict[str, Any]:
    """The five levels of `rows` as JSON-able data (see the module docstring):
    `{"confidence", "n_resamples", "seed", "levels": {level: [entry, ...]}}`, entries sorted by
    key, each `{<key fields>, count, members, leaves, micro_avg, micro_ci, macro_avg, macro_ci,
    weighted_avg, weighted_ci}`. Invalid rows raise ValueError naming the sample."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    _check(rows)
    units = _units(rows)
    levels: dict[str, list[dict[str, Any]]] = {}
    for level in LEVELS:
        groups: dict[tuple[Any, ...], list[_Unit]] = {}
        for unit in units:
            for key in level_keys(level, unit.row):
                groups.setdefault(key, []).append(unit)
        entries = []
        for key in sorted(groups):
            entry = key_fields(level, key)
            entry.update(_entry(groups[key], _seed_for(seed, level, key), confidence, n_resamples))
            entries.append(entry)
        levels[level] = entries
    return {"confidence": confidence, "n_resamples": n_resamples, "seed": seed, "levels": levels}
