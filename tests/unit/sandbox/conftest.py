"""Fixtures of the sandbox tests: the availability gate and the watched files.

The sandbox tests never skip: on a machine where the sandbox cannot start they fail with the
sandbox's own one-line reason (CI must provide user namespaces, or run as root).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import Watched

from pytest_qnext.sandbox import sandbox_problem


@pytest.fixture(scope="session")
def sandbox_ready() -> None:
    """Fail (not skip) when sandboxed programs cannot run here."""
    problem = sandbox_problem("namespaces")
    if problem is not None:
        pytest.fail(f"the code sandbox is unavailable on this machine: {problem}", pytrace=False)


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    """The checkout, $HOME and this test's tmp_path, unchanged after every hostile program."""
    watch = Watched(tmp_path)
    before = watch.snapshot()
    yield watch
    after = watch.snapshot()
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"changed outside the sandbox: {changed}: {before} -> {after}"
