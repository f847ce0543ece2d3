"""Fixtures of the hardening suite (helpers: hardening_project.py for option and layout
checks, hardening_helpers.py for engine faults)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import hardening_helpers
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
def make_project(tmp_path: Path) -> Callable[..., hardening_helpers.Project]:
    """`make_project(rows)`: a Project (test file + general_mcq rows) in a fresh folder."""

    def make(rows: Sequence[dict[str, Any]], name: str = "project") -> hardening_helpers.Project:
        root = tmp_path / name
        root.mkdir()
        return hardening_helpers.Project(root, rows)

    return make
