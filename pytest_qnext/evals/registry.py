"""Which benchmarks exist: the `pytest_qnext.benchmarks` entry points plus a session's hook.

Benchmarks come through two public doors, and the built-in ones use the first like any
third-party package:

* the entry-point group `pytest_qnext.benchmarks` (in a package's pyproject:
  `[project.entry-points."pytest_qnext.benchmarks"] my_bench = "my_pkg.bench:SPEC"`); the entry
  point's name is the dataset name and it points at an `EvalSpec`. Names are read without
  importing anything; a benchmark's module is imported only when it is used.
* the `pytest_qnext_benchmarks(config)` hook (e.g. in a `conftest.py`), returning EvalSpecs;
  the plugin passes them to `Registry(extra=...)` for that session.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from pytest_qnext.evals.base import EvalSpec

__all__ = ["ENTRY_POINT_GROUP", "Registry", "RegistryError", "available", "default", "get"]

ENTRY_POINT_GROUP = "pytest_qnext.benchmarks"


class RegistryError(KeyError):
    """An unknown or badly registered benchmark; `str()` is one line saying what to do."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Registry:
    """Dataset name -> EvalSpec, from the entry points and `extra` (hook-provided) specs."""

    def __init__(self, extra: Iterable[EvalSpec] = ()) -> None:
        self._points: dict[str, EntryPoint] = {
            ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)
        }
        self._loaded: dict[str, EvalSpec] = {}
        self._extra: dict[str, EvalSpec] = {}
        for spec in extra:
            if not isinstance(spec, EvalSpec):
                raise RegistryError(
                    f"pytest_qnext_benchmarks returned {type(spec).__name__!r}, not an EvalSpec; "
                    "return a list of pytest_qnext.EvalSpec"
                )
            if spec.name in self._points or spec.name in self._extra:
                raise RegistryError(
                    f"benchmark {spec.name!r} is defined twice (a pytest_qnext_benchmarks hook "
                    "and an installed benchmark, or two hooks); give it another name"
                )
            self._extra[spec.name] = spec

    def names(self) -> list[str]:
        """Every registered dataset name, sorted (nothing is imported)."""
        return sorted({*self._points, *self._extra})

    def get(self, name: str) -> EvalSpec:
        """The EvalSpec for `name`; `RegistryError` (one line listing valid names) if unknown."""
        if name in self._extra:
            return self._extra[name]
        if name in self._loaded:
            return self._loaded[name]
        point = self._points.get(name)
        if point is None:
            valid = ", ".join(self.names()) or "none (is pytest-qnext installed? pip install -e .)"
            raise RegistryError(f"unknown dataset {name!r}; valid: {valid}")
        spec = point.load()
        if not isinstance(spec, EvalSpec) or spec.name != name:
            raise RegistryError(
                f"the {ENTRY_POINT_GROUP} entry point {name!r} ({point.value}) must point at an "
                f"EvalSpec named {name!r}"
            )
        self._loaded[name] = spec
        return spec


@functools.lru_cache(maxsize=1)
def default() -> Registry:
    """The installed benchmarks (entry points only; no session hook)."""
    return Registry()


def available() -> list[str]:
    """Names of the installed benchmarks, sorted."""
    return default().names()


def get(name: str) -> EvalSpec:
    """The installed EvalSpec for `name`; `RegistryError` (a KeyError) if unknown."""
    return default().get(name)
