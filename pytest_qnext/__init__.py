"""pytest-qnext: gate model releases with pytest against OpenAI-compatible servers.

The public API: everything a user needs to write a benchmark or a suite is importable from
here (`from pytest_qnext import EvalSpec, Sample, Score`). Names are resolved on first access,
so `import pytest_qnext` (which pytest does for every run through the plugin) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_qnext.capability.session import ItemResult
    from pytest_qnext.collections import (
        CollectionSchema,
        DatasetInfo,
        StratifiedSampler,
        UniformSampler,
        WeightedSampler,
    )
    from pytest_qnext.evals.base import Breakdown, DatasetUnavailable, EvalSpec, LoadContext
    from pytest_qnext.perf.session import PointResult
    from pytest_qnext.rows import DatasetMeta, SampleRow
    from pytest_qnext.sample import OUTCOMES, Message, Outcome, Sample, Score

__all__ = [
    "OUTCOMES",
    "Breakdown",
    "CollectionSchema",
    "DatasetInfo",
    "DatasetMeta",
    "DatasetUnavailable",
    "EvalSpec",
    "ItemResult",
    "LoadContext",
    "Message",
    "Outcome",
    "PointResult",
    "Sample",
    "SampleRow",
    "Score",
    "StratifiedSampler",
    "UniformSampler",
    "WeightedSampler",
    "__version__",
]
__version__ = "0.1.0"

# public name -> module that defines it
_HOMES: dict[str, str] = {
    "OUTCOMES": "pytest_qnext.sample",
    "Message": "pytest_qnext.sample",
    "Outcome": "pytest_qnext.sample",
    "Sample": "pytest_qnext.sample",
    "Score": "pytest_qnext.sample",
    "Breakdown": "pytest_qnext.evals.base",
    "DatasetUnavailable": "pytest_qnext.evals.base",
    "EvalSpec": "pytest_qnext.evals.base",
    "LoadContext": "pytest_qnext.evals.base",
    "ItemResult": "pytest_qnext.capability.session",
    "PointResult": "pytest_qnext.perf.session",
    "SampleRow": "pytest_qnext.rows",
    "DatasetMeta": "pytest_qnext.rows",
    "CollectionSchema": "pytest_qnext.collections",
    "DatasetInfo": "pytest_qnext.collections",
    "WeightedSampler": "pytest_qnext.collections",
    "StratifiedSampler": "pytest_qnext.collections",
    "UniformSampler": "pytest_qnext.collections",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pytest_qnext' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
