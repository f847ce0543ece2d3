"""Shared fixtures of the LiveCodeBench tests: the fixture problems (ours, in the published
schema, under tests/data/livecodebench) loaded once through the real loader, and their
definitions (dates, answer variants) from the builder's source."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from lcb_helpers import DATA_DIR, FIXTURES

from pytest_qnext.evals.base import LoadContext
from pytest_qnext.evals.livecodebench import SPEC
from pytest_qnext.sample import Sample


@pytest.fixture(scope="session")
def fixture_source() -> Any:
    """The fixture builder module (problem definitions, dates, file placement)."""
    sys.path.insert(0, str(FIXTURES))
    try:
        import build_fixtures
    finally:
        sys.path.remove(str(FIXTURES))
    return build_fixtures


@pytest.fixture(scope="session")
def fixture_problems(fixture_source: Any) -> dict[str, dict[str, Any]]:
    """Problem id -> its definition (with "call": bool)."""
    out = {p["id"]: {**p, "call": False} for p in fixture_source.STDIN}
    out.update({p["id"]: {**p, "call": True} for p in fixture_source.CALL})
    return out


@pytest.fixture(scope="session")
def loaded() -> list[Sample]:
    """Every fixture problem, loaded through SPEC.load from the hub-layout files."""
    return list(SPEC.load(LoadContext(data_dir=DATA_DIR, args={})))


@pytest.fixture(scope="session")
def lcb_sandbox_ready() -> None:
    from pytest_qnext.sandbox import sandbox_problem

    problem = sandbox_problem("namespaces")
    if problem is not None:
        pytest.fail(f"the code sandbox is unavailable on this machine: {problem}", pytrace=False)
