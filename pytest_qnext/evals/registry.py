"""Benchmark registry: dataset name -> EvalSpec, imported lazily from one folder per benchmark.

Each benchmark package `pytest_qnext.evals.<name>` exposes `SPEC: EvalSpec` (a folder may
expose several, e.g. aime24/aime25 share code, through `SPECS: tuple[EvalSpec, ...]`).
"""

from __future__ import annotations

import importlib
import importlib.util

from pytest_qnext.evals.base import EvalSpec

__all__ = ["available", "get"]

# dataset name -> module that defines it
_MODULES: dict[str, str] = {
    "general_mcq": "pytest_qnext.evals.general_mcq",
    "general_qa": "pytest_qnext.evals.general_qa",
    "general_math": "pytest_qnext.evals.general_math",
    "mmlu_pro": "pytest_qnext.evals.mmlu_pro",
    "mmlu_redux": "pytest_qnext.evals.mmlu_redux",
    "ceval": "pytest_qnext.evals.ceval",
    "iquiz": "pytest_qnext.evals.iquiz",
    "gpqa_diamond": "pytest_qnext.evals.gpqa_diamond",
    "math_500": "pytest_qnext.evals.math_500",
    "aime24": "pytest_qnext.evals.aime",
    "aime25": "pytest_qnext.evals.aime",
    "ifeval": "pytest_qnext.evals.ifeval",
}


def available() -> list[str]:
    """Names of the benchmarks whose module is importable, sorted."""
    names = []
    for name, module in _MODULES.items():
        if importlib.util.find_spec(module) is not None:
            names.append(name)
    return sorted(names)


def get(name: str) -> EvalSpec:
    """The EvalSpec for `name`; KeyError with a one-line message listing valid names."""
    module_name = _MODULES.get(name)
    if module_name is None or importlib.util.find_spec(module_name) is None:
        raise KeyError(f"unknown dataset {name!r}; valid: {', '.join(available())}")
    module = importlib.import_module(module_name)
    specs: tuple[EvalSpec, ...] = getattr(module, "SPECS", None) or (module.SPEC,)
    for spec in specs:
        if spec.name == name:
            return spec
    raise KeyError(f"module {module_name} defines no dataset {name!r}")
