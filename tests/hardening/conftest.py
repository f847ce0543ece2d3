"""Fixtures of the hardening suite (helpers in hardening_project.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hardening_project import Project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    yield Project(tmp_path)


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """One project for a module's read-only runs (each run writes under its own report root)."""
    return Project(tmp_path_factory.mktemp("hardening"))
