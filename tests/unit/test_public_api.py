"""`pytest_qnext.__all__`: the names a user needs, each resolvable, nothing heavy imported early."""

from __future__ import annotations

import subprocess
import sys

import pytest_qnext

PUBLIC = [
    "Breakdown",
    "CollectionSchema",
    "DatasetInfo",
    "DatasetMeta",
    "DatasetUnavailable",
    "EvalSpec",
    "ItemResult",
    "LoadContext",
    "Message",
    "OUTCOMES",
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


def test_all_is_the_documented_list() -> None:
    assert sorted(pytest_qnext.__all__) == sorted(PUBLIC)


def test_every_public_name_resolves_to_its_definition() -> None:
    from pytest_qnext.capability.session import ItemResult
    from pytest_qnext.collections import CollectionSchema, WeightedSampler
    from pytest_qnext.evals.base import EvalSpec
    from pytest_qnext.rows import SampleRow
    from pytest_qnext.sample import OUTCOMES, Sample, Score

    for name in pytest_qnext.__all__:
        assert getattr(pytest_qnext, name) is not None
    assert pytest_qnext.EvalSpec is EvalSpec
    assert pytest_qnext.Sample is Sample
    assert pytest_qnext.Score is Score
    assert pytest_qnext.ItemResult is ItemResult
    assert pytest_qnext.SampleRow is SampleRow
    assert pytest_qnext.CollectionSchema is CollectionSchema
    assert pytest_qnext.WeightedSampler is WeightedSampler
    assert (
        pytest_qnext.OUTCOMES
        == OUTCOMES
        == (
            "pass",
            "fail",
            "unparsed",
            "truncated",
            "error",
            "skipped",
        )
    )


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        pytest_qnext.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_package_imports_no_engine() -> None:
    code = (
        "import sys, pytest_qnext; "
        "print(sorted(m for m in sys.modules if m.startswith('pytest_qnext')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['pytest_qnext']"
