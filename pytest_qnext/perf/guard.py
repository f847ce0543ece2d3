"""Perf sweeps refuse to run under xdist: timings from parallel workers are not trustworthy.

Kept apart from the perf session so the plugin can check it without importing the load
generator.
"""

from __future__ import annotations

import pytest

__all__ = ["XDIST_REFUSAL", "refuse_xdist", "selects_perf"]

XDIST_REFUSAL = (
    "pytest-qnext: perf sweeps refuse to run under xdist (-n/--dist): timings from parallel "
    "workers are not trustworthy; run `pytest -m perf` without -n"
)


def selects_perf(config: pytest.Config) -> bool:
    """Whether the -m expression lets an item marked only `perf` through."""
    expr = str(config.getoption("markexpr", "") or "")
    if not expr:
        return False
    try:
        from _pytest.mark.expression import Expression

        def matcher(name: str, /, **kwargs: str | int | bool | None) -> bool:
            return name == "perf"

        return bool(Expression.compile(expr).evaluate(matcher))
    except Exception:
        return "perf" in expr and "not perf" not in expr


def refuse_xdist(config: pytest.Config) -> None:
    """Raise UsageError when perf items are selected and xdist workers would run them."""
    workers = getattr(config.option, "numprocesses", None)
    dist = getattr(config.option, "dist", "no")
    if (workers or (dist not in (None, "no"))) and selects_perf(config):
        raise pytest.UsageError(XDIST_REFUSAL)
