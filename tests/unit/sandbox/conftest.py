"""Fixtures of the sandbox tests: the availability gate and the watched files.

The sandbox tests never skip: on a machine where the sandbox cannot start they fail with the
sandbox's own one-line reason (CI must provide user namespaces, or run as root).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import CHECKOUT, Watched

from pytest_qnext.sandbox import sandbox_problem


@pytest.fixture(scope="session")
def sandbox_ready() -> None:
    """Fail (not skip) when sandboxed programs cannot run here."""
    problem = sandbox_problem("namespaces")
    if problem is not None:
        pytest.fail(f"the code sandbox is unavailable on this machine: {problem}", pytrace=False)


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Watched]:
    """$HOME, the checkout and this test's tmp_path: unchanged after every hostile program."""
    paths = [Path.home(), CHECKOUT, tmp_path]
    watch = Watched(paths)
    before = watch.snapshot()
    yield watch
    after = watch.snapshot()
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    # pytest itself may touch its cache/tmp dirs in the checkout; nothing else may change
    changed = {k for k in changed if "/.pytest_cache" not in k and "__pycache__" not in k}
    assert not changed, f"files outside the sandbox changed: {sorted(changed)}"
