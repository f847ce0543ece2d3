"""Weighted benchmark collections (EvalScope's `evalscope.collections`, seeded and checked).

    from pytest_qnext.collections import CollectionSchema, DatasetInfo, WeightedSampler

    schema = CollectionSchema("Mix", datasets=[
        DatasetInfo("mmlu_pro", weight=2, task_type="exam", tags=["en"]),
        DatasetInfo("math_500", weight=1, task_type="math", tags=["en"]),
    ])
    rows = WeightedSampler(schema, seed=0, data_dir="data").sample(300)
    write_rows(rows, Path("mix.jsonl"))

or `python -m pytest_qnext.collections build qwen3 -o qwen3.jsonl --data-dir data`. The file
format is described in `pytest_qnext.collections.rows`; `collection_levels` aggregates scored
rows into the five report levels.
"""

from __future__ import annotations

from pytest_qnext.collections.builtin import BUILTINS, builtin
from pytest_qnext.collections.levels import LEVELS, ScoredRow, collection_levels
from pytest_qnext.collections.load import LeafUnavailable
from pytest_qnext.collections.reference import load_schema
from pytest_qnext.collections.resolve import locate_samples, resolve_samples
from pytest_qnext.collections.rows import CollectionRow, read_collection, write_rows
from pytest_qnext.collections.sampler import (
    SAMPLERS,
    LeafDraw,
    Sampler,
    StratifiedSampler,
    UniformSampler,
    WeightedSampler,
)
from pytest_qnext.collections.schema import (
    CollectionError,
    CollectionSchema,
    DatasetInfo,
    SchemaError,
)

__all__ = [
    "BUILTINS",
    "LEVELS",
    "SAMPLERS",
    "CollectionError",
    "CollectionRow",
    "CollectionSchema",
    "DatasetInfo",
    "LeafDraw",
    "LeafUnavailable",
    "Sampler",
    "SchemaError",
    "ScoredRow",
    "StratifiedSampler",
    "UniformSampler",
    "WeightedSampler",
    "builtin",
    "collection_levels",
    "load_schema",
    "locate_samples",
    "read_collection",
    "resolve_samples",
    "write_rows",
]
