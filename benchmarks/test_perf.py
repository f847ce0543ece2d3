"""Perf sweeps: `pytest -m perf --qnext-url URL --qnext-parallel 1 2 4 --qnext-number 5 10 20`.

One item per sweep point (`test_sweep[parallel=8-number=40]`), each run through pytest-benchmark
(`--benchmark-json`, `--benchmark-autosave` and `--benchmark-compare` work; every metric is in
`extra_info`). The item fails when one of its gates (`--qnext-slo`, `--qnext-perf-baseline`)
fails, with the measured value and the limit in one line.

Capacity search (`--qnext-find-max LIMITS`): one item per probe (`test_find_max[probe-03]`),
then `test_find_max[result]` with the answer, which fails when a gate on it
(`--qnext-slo 'max_concurrency>=24'`) fails.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.perf


def test_sweep(qnext_perf_point: Any, qnext_perf: Any, benchmark: Any) -> None:
    result = qnext_perf(qnext_perf_point, benchmark)
    result.check()


def test_find_max(qnext_probe: str, qnext_find_max: Any) -> None:
    print(qnext_find_max(qnext_probe))
