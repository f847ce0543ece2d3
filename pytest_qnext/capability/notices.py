"""What a capability run must check or say before its first item: the code sandbox, warnings.

* `check_sandbox`: when a selected benchmark runs model-written code (`EvalSpec.executes_code`),
  start one real sandbox in the `--qnext-sandbox` mode; where that fails (no user namespaces,
  not Linux) the run ends at start-up with the sandbox's one line (`pytest.UsageError`, exit 4)
  naming the fix, so no program ever runs unconfined by accident.
* `run_notices`: the header lines (the sandbox in effect) and the warnings shown in the header
  and stored in summary.json: `UNSAFE_WARNING` in `unsafe-local` mode, and each benchmark's
  contamination warning (`EvalSpec.contamination`, with `--qnext-model-cutoff`).

Benchmarks are named by their flags only; this module knows none by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.evals.base import EvalSpec, LoadContext

__all__ = ["RunNotices", "check_sandbox", "code_benchmarks", "run_notices"]


@dataclass(frozen=True)
class RunNotices:
    """Lines for the report header, and warnings for the header and the report."""

    header: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def code_benchmarks(specs: Sequence[EvalSpec]) -> list[str]:
    """The names of the benchmarks among `specs` that run model-written code."""
    return [spec.name for spec in specs if spec.executes_code]


def check_sandbox(settings: CapabilitySettings, specs: Sequence[EvalSpec]) -> None:
    """`pytest.UsageError` (one line) when code benchmarks are selected and their sandbox
    cannot start here."""
    names = code_benchmarks(specs)
    if not names:
        return
    from pytest_qnext.sandbox import sandbox_problem

    problem = sandbox_problem(settings.sandbox)
    if problem is not None:
        raise pytest.UsageError(f"{', '.join(names)} runs model-written code, but {problem}")


def run_notices(settings: CapabilitySettings, specs: Sequence[EvalSpec]) -> RunNotices:
    """The sandbox header line and the run's warnings (see the module docstring)."""
    notices = RunNotices()
    names = code_benchmarks(specs)
    if names:
        from pytest_qnext.sandbox import UNSAFE_WARNING, default_workers

        workers = settings.sandbox_workers or default_workers()
        notices.header.append(
            f"qnext sandbox: {settings.sandbox} for {', '.join(names)}; {workers} grading workers"
        )
        if settings.sandbox == "unsafe-local":
            notices.warnings.append(UNSAFE_WARNING)
    for spec in specs:
        if spec.contamination is None:
            continue
        ctx = LoadContext(settings.data_dir, settings.args_for(spec.name), settings.seed)
        line = spec.contamination(ctx, settings.model_cutoff)
        if line:
            notices.warnings.append(line)
    return notices
