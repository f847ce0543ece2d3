"""Fixtures for the IFEval tests: NLTK punkt_tab from ../shared/data, the loaded samples."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_qnext.evals.base import LoadContext
from pytest_qnext.evals.ifeval import configure_nltk, load
from pytest_qnext.sample import Sample


@pytest.fixture(scope="session")
def ifeval_nltk(nltk_data_path: Path) -> Path:
    """punkt_tab configured from the shared data (skips when the data is absent)."""
    configure_nltk(str(nltk_data_path))
    return nltk_data_path


@pytest.fixture(scope="session")
def ifeval_ctx(shared_data: Path, nltk_data_path: Path) -> LoadContext:
    return LoadContext(data_dir=shared_data, args={"nltk_data": str(nltk_data_path)})


@pytest.fixture(scope="session")
def ifeval_samples(ifeval_ctx: LoadContext) -> Sequence[Sample]:
    """All 541 samples through the real loader (datasets' json builder)."""
    return load(ifeval_ctx)
