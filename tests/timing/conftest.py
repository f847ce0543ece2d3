"""The timing tests: assertions on durations measured on this machine.

They are deselected from the normal run (`addopts` has `not timing`) and run on their own,
serially, by scripts/test.sh:

    pytest -m timing tests/timing -p no:xdist

Every module here marks its tests `timing`. Bounds are loose (the machine is shared); each test
prints what it measured. Measurements that are not checks belong in benchmarks/bench_*.py.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _serial_only() -> None:
    """Durations measured beside another worker's load mean nothing: refuse to run under -n."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.fail(
            "timing tests measure durations: run them alone and serially "
            "(pytest -m timing tests/timing -p no:xdist)",
            pytrace=False,
        )
