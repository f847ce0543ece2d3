"""Fixtures of the hardening suite (helpers: hardening_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hardening_helpers import Project


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Project]:
    """`make_project(rows)`: a Project (test file + general_mcq rows) in a fresh folder."""

    def make(rows: Sequence[dict[str, Any]], name: str = "project") -> Project:
        root = tmp_path / name
        root.mkdir()
        return Project(root, rows)

    return make
