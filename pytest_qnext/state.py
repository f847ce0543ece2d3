"""The plugin's per-session state (in `config.stash`) and its lazily created parts.

Kept out of plugin.py (which holds only hooks and fixtures) and as light as plugin.py itself:
the capability engine, the registry and the report are imported when first asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_qnext.settings import Settings

if TYPE_CHECKING:
    from pytest_qnext.capability.notices import RunNotices
    from pytest_qnext.capability.session import CapabilitySession
    from pytest_qnext.evals.registry import Registry
    from pytest_qnext.perf.session import PerfSession
    from pytest_qnext.report.controller import CapabilityReport
    from pytest_qnext.report.rundir import RunFolder
    from pytest_qnext.target import ResolvedTarget, TargetRunner

__all__ = [
    "CAPABILITY_KEY",
    "CAPABILITY_REPORT_KEY",
    "CLIENT_CAPACITY_KEY",
    "PERF_KEY",
    "STATE_KEY",
    "QnextState",
    "capability_active",
    "capability_report",
    "capability_session",
    "get_benchmarks",
    "is_xdist_controller",
    "is_xdist_worker",
    "qnext_state",
    "run_folder",
]


@dataclass
class QnextState:
    """Per-session state of the plugin."""

    settings: Settings
    runner: TargetRunner | None = None
    target: ResolvedTarget | None = None
    benchmarks: Registry | None = None
    oracle_dir: Path | None = None  # the simulator's oracle answers (removed once it started)
    run: RunFolder | None = None  # this session's run folder (controller only)
    sigterm: Any = None  # the SIGTERM handler ours replaced, while ours is installed
    terminated: bool = False  # a SIGTERM stopped the session
    notes: list[str] = field(default_factory=list)  # report-writing lines for the terminal
    notices: RunNotices | None = None  # the sandbox line and run warnings (header and report)


STATE_KEY = pytest.StashKey[QnextState]()
CAPABILITY_KEY: pytest.StashKey[CapabilitySession] = pytest.StashKey()
CAPABILITY_REPORT_KEY: pytest.StashKey[CapabilityReport] = pytest.StashKey()
PERF_KEY: pytest.StashKey[PerfSession] = pytest.StashKey()
CLIENT_CAPACITY_KEY: pytest.StashKey[dict[str, float]] = pytest.StashKey()


def qnext_state(config: pytest.Config) -> QnextState:
    return config.stash[STATE_KEY]


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_xdist_controller(config: pytest.Config) -> bool:
    return not is_xdist_worker(config) and bool(getattr(config.option, "numprocesses", None))


def capability_active(settings: Settings) -> bool:
    """Whether this run asked for anything capability (datasets, replay, gates, baseline)."""
    cap = settings.capability
    return bool(cap.datasets or cap.responses or cap.gates or cap.baseline)


def get_benchmarks(config: pytest.Config) -> Registry:
    """The session's benchmark registry: installed ones plus the pytest_qnext_benchmarks hook's
    (asked once, when a capability run first needs it)."""
    state = qnext_state(config)
    if state.benchmarks is None:
        from pytest_qnext.evals.base import EvalSpec
        from pytest_qnext.evals.registry import Registry, RegistryError

        extra: list[EvalSpec] = []
        for result in config.hook.pytest_qnext_benchmarks(config=config):
            extra.extend(result if isinstance(result, list | tuple) else [result])
        try:
            state.benchmarks = Registry(extra=extra)
        except RegistryError as exc:
            raise pytest.UsageError(f"pytest-qnext: {exc}") from None
    return state.benchmarks


def capability_session(config: pytest.Config) -> CapabilitySession:
    """This process's capability session, created on first use."""
    session = config.stash.get(CAPABILITY_KEY, None)
    if session is None:
        from pytest_qnext.capability.session import CapabilitySession

        session = CapabilitySession(qnext_state(config).settings, get_benchmarks(config))
        config.stash[CAPABILITY_KEY] = session
    return session


def capability_report(config: pytest.Config) -> CapabilityReport:
    """The controller's capability report, created on first use."""
    report = config.stash.get(CAPABILITY_REPORT_KEY, None)
    if report is None:
        from pytest_qnext.report.aggregate import registry_breakdown
        from pytest_qnext.report.controller import CapabilityReport

        state = qnext_state(config)
        report = CapabilityReport(
            state.settings.capability,
            run_folder(config),
            breakdown_for=lambda dataset: registry_breakdown(dataset, get_benchmarks(config)),
        )
        config.stash[CAPABILITY_REPORT_KEY] = report
    return report


def run_folder(config: pytest.Config) -> RunFolder:
    """This session's run folder under --qnext-report-dir (nothing on disk until a write)."""
    state = qnext_state(config)
    if state.run is None:
        from pytest_qnext.report.rundir import RunFolder

        kind = "capability" if capability_active(state.settings) else "perf"
        state.run = RunFolder(state.settings.report_dir, kind)
    return state.run
