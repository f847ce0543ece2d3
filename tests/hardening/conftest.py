"""Fixtures of the hardening suite (helpers: hardening_project.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hardening_project import Project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    yield Project(tmp_path)


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """One project for a module's read-only runs (each run writes under its own report root)."""
    return Project(tmp_path_factory.mktemp("hardening"))


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Project]:
    """`make_project(rows)`: a Project with these general_mcq rows in a fresh folder."""

    def make(rows: Sequence[dict[str, Any]], name: str = "project") -> Project:
        root = tmp_path / name
        root.mkdir()
        return Project(root, rows=rows)

    return make
