"""A collection run in the report: the `collection` block of summary.json and its gate names.

Rows of collection items carry their leaf (`SampleRow.collection`); this module turns the
scored ones into `collections.ScoredRow`s (the dataset's primary metric as the score) and
stores `collections.collection_levels` under summary.json `collection`, beside where the rows
came from:

    {"name": "Qwen3", "source": "out.jsonl", "rows": 100, "shuffled": true, "notes": [...],
     "confidence": 0.95, "n_resamples": 1000, "seed": 0,
     "levels": {"subset": [...], "dataset": [...], "task_type": [...], "tag": [...],
                "category": [...]}}

Gate names (`--qnext-gate`, limits in [0, 1]; AVG is weighted, micro or macro, default
weighted):

    collection>=0.7                      the whole collection's weighted average
    collection.AVG>=0.7                  e.g. collection.micro>=0.7
    collection.LEVEL.KEY[.AVG]>=0.6      e.g. collection.tag.zh>=0.6,
                                         collection.category.Qwen3/English.macro>=0.6,
                                         collection.subset.mmlu_pro/math>=0.5

KEY is how the terminal's level lines name an entry (`entry_key`): a subset is
DATASET/SUBSET, a category its path joined with "/". "collection" is therefore not usable as a
dataset name in gates. Once the collection's rows are read (before the first request), a gate
naming a key the collection lacks, or any collection gate in a run without a collection, is
refused (`gate_keys` here, `check_gates` in gates.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_qnext.rows import DatasetMeta, SampleRow

if TYPE_CHECKING:
    from pytest_qnext.collections.levels import ScoredRow

__all__ = [
    "AVERAGES",
    "COLLECTION",
    "CollectionTarget",
    "collection_summary",
    "entry_key",
    "find_entry",
    "gate_keys",
    "level_plural",
    "measure_collection",
    "parse_collection_target",
    "primary_score",
]

COLLECTION = "collection"
#: gate word -> the entry field it reads
AVERAGES = {"weighted": "weighted_avg", "micro": "micro_avg", "macro": "macro_avg"}
COLLECTION_FORMS = (
    "collection>=0.7, collection.micro>=0.7, collection.tag.zh>=0.6, "
    "collection.category.Qwen3/English.macro>=0.6 (levels: subset, dataset, task_type, tag, "
    "category; averages: weighted, micro, macro)"
)


def primary_score(row: SampleRow, metric: str | None) -> float | None:
    """A scored row's primary metric as a fraction (None when it lacks one or its weight
    is 0)."""
    pair = row.metrics.get(metric) if metric is not None else None
    if pair is None or pair[1] <= 0:
        return None
    return min(max(pair[0] / pair[1], 0.0), 1.0)


def collection_summary(
    rows: Sequence[SampleRow],
    metas: Mapping[str, DatasetMeta],
    primary_of: Mapping[str, str | None],
    *,
    seed: int,
    confidence: float,
    n_resamples: int,
) -> tuple[dict[str, Any] | None, list[str]]:
    """(summary.json's `collection`, warnings): None when no row belongs to a collection.
    `primary_of[dataset]` names the metric that is a row's score."""
    leaves = [r for r in rows if r.collection is not None]
    if not leaves:
        return None, []
    from pytest_qnext.collections.levels import ScoredRow, collection_levels

    warnings: list[str] = []
    scored: list[ScoredRow] = []
    lacking: dict[str, int] = {}
    for row in leaves:
        if row.outcome == "skipped":
            continue
        score = primary_score(row, primary_of.get(row.dataset))
        if score is None:
            lacking[row.dataset] = lacking.get(row.dataset, 0) + 1
            continue
        leaf = row.collection or {}
        scored.append(ScoredRow.of_leaf(row.dataset, row.subset, row.sample_id, score, leaf))
    for dataset, count in sorted(lacking.items()):
        warnings.append(
            f"collection: {count} scored row(s) of {dataset} lack its primary metric "
            f"{primary_of.get(dataset)!r}; left out of the collection levels"
        )
    about: dict[str, Any] = {}
    for meta in metas.values():
        if meta.collection is not None:
            about = dict(meta.collection)
            break
    warnings += [f"collection: {note}" for note in about.get("notes", [])]
    names = dict.fromkeys(
        str(leaf.collection["categories"][0]) for leaf in leaves if leaf.collection
    )
    # the name the scored rows give (a meta only says where the rows came from)
    block: dict[str, Any] = {**about, "name": ",".join(names)}
    if scored:
        block.update(
            collection_levels(scored, seed, confidence=confidence, n_resamples=n_resamples)
        )
    else:
        block["levels"] = {}
    return block, warnings


def entry_key(level: str, entry: Mapping[str, Any]) -> str:
    """How gates and the terminal name a level entry: mmlu_pro/math, Qwen3/English, zh."""
    if level == "subset":
        return f"{entry['dataset']}/{entry['subset']}"
    if level == "category":
        return "/".join(entry["category"])
    return str(entry[level])


@dataclass(frozen=True)
class CollectionTarget:
    """What a collection gate reads: `level` None = the whole collection."""

    level: str | None
    key: str | None
    average: str  # a key of AVERAGES


def parse_collection_target(name: str) -> CollectionTarget:
    """`collection[.AVG]` or `collection.LEVEL.KEY[.AVG]`; ValueError naming the valid forms."""
    from pytest_qnext.collections.levels import LEVELS

    rest = name[len(COLLECTION) :].removeprefix(".")
    if not rest:
        return CollectionTarget(None, None, "weighted")
    if rest in AVERAGES:
        return CollectionTarget(None, None, rest)
    level, _, key = rest.partition(".")
    if level not in LEVELS:
        raise ValueError(f"unknown collection level or average {level!r}; {COLLECTION_FORMS}")
    average = "weighted"
    for word in AVERAGES:
        if key.endswith(f".{word}"):
            key, average = key[: -len(word) - 1], word
            break
    if not key:
        raise ValueError(f"name the {level} entry after {name}.; {COLLECTION_FORMS}")
    return CollectionTarget(level, key, average)


def level_plural(level: str) -> str:
    """How messages name a level's entries: tags, categories, ..."""
    return "categories" if level == "category" else f"{level}s"


def find_entry(
    block: Mapping[str, Any], level: str | None, key: str | None
) -> tuple[Mapping[str, Any] | None, str | None]:
    """(the entry, None) or (None, why not): the whole collection is its one root category."""
    levels: Mapping[str, Any] = block.get("levels") or {}
    if level is None:
        roots = [e for e in levels.get("category", []) if len(e["category"]) == 1]
        if len(roots) != 1:
            shown = ", ".join(entry_key("category", e) for e in roots) or "none"
            return None, (
                f"the collection has {len(roots)} roots ({shown}); gate on collection.category.ROOT"
            )
        return roots[0], None
    entries = levels.get(level, [])
    for entry in entries:
        if entry_key(level, entry) == key:
            return entry, None
    known = ", ".join(entry_key(level, e) for e in entries) or "none"
    plural = level_plural(level)
    return None, f"collection {level} {key!r} has no scored samples in this run ({plural}: {known})"


def gate_keys(rows: Iterable[ScoredRow]) -> dict[str, set[str]]:
    """Level -> the keys a gate can name for a collection of these rows (as `entry_key`
    spells them), plus "" -> the collection's roots: what a gate is checked against before
    the first request."""
    from pytest_qnext.collections.levels import LEVELS, key_fields, level_keys

    keys: dict[str, set[str]] = {level: set() for level in LEVELS}
    keys[""] = set()
    for row in rows:
        keys[""].add(row.categories[0] if row.categories else "")
        for level in LEVELS:
            for key in level_keys(level, row):
                keys[level].add(entry_key(level, key_fields(level, key)))
    return keys


def measure_collection(
    target: CollectionTarget, summary: Mapping[str, Any]
) -> tuple[float | None, str | None]:
    """(measured value, reason it could not be measured) of a collection gate."""
    block = summary.get(COLLECTION)
    if not isinstance(block, Mapping):
        return None, "this run evaluated no collection (give data_collection or --qnext-collection)"
    entry, reason = find_entry(block, target.level, target.key)
    if entry is None:
        return None, reason
    return float(entry[AVERAGES[target.average]]), None
