"""The hooks pytest-qnext adds to pytest: the public door for user-defined benchmarks.

Implement them in a `conftest.py` (the rootdir's, so they are known before collection) or in a
plugin. Packages can register benchmarks without any hook through the
`pytest_qnext.benchmarks` entry-point group instead (see README "Adding a benchmark").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_qnext.evals.base import EvalSpec

__all__ = ["pytest_qnext_benchmarks"]


@pytest.hookspec
def pytest_qnext_benchmarks(config: pytest.Config) -> list[EvalSpec]:  # type: ignore[empty-body]
    """Return the benchmarks (`pytest_qnext.EvalSpec`) this conftest or plugin adds.

    Their names can then be given to `--qnext-datasets` like the built-in ones. A name that is
    already registered is a usage error.
    """
