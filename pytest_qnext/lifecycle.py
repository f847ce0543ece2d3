"""What the plugin does around the items, apart from the hooks themselves: the checks that can
be made before the first request, SIGTERM handling, the simulator's oracle file, the replay
file's rows against the selection.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_qnext.settings import Settings
from pytest_qnext.state import (
    CAPABILITY_REPORT_KEY,
    QnextState,
    capability_active,
    capability_report,
    capability_session,
    get_benchmarks,
    is_xdist_worker,
    qnext_state,
)

if TYPE_CHECKING:
    from pytest_qnext.capability.collect import Entry
    from pytest_qnext.capability.session import CapabilitySession

__all__ = [
    "check_before_run",
    "check_code_benchmarks",
    "check_collection_gates",
    "note_replay",
    "on_sigterm",
    "oracle_file",
    "perf_sim_extra",
    "remove_oracle",
    "restore_sigterm",
]


def check_before_run(config: pytest.Config) -> None:
    """What can be known wrong before the first request, as one line each (exit 4): gates
    naming an unselected dataset or unknown metric (a collection run's: once its rows are read,
    `check_collection_gates`), an unreadable baseline, a report root
    that cannot be written, a perf baseline path that names no summary."""
    from pytest_qnext.perf.guard import selects_perf

    settings = qnext_state(config).settings
    capability = capability_active(settings)
    if capability:
        from pytest_qnext.evals.registry import RegistryError

        # a collection's benchmarks are known once its rows are read (check_collection_gates)
        collection = settings.capability.collection_run
        metrics: dict[str, tuple[str, ...] | None] = {}
        for name in () if collection else settings.capability.datasets:
            try:
                metrics[name] = get_benchmarks(config).get(name).metrics or None
            except RegistryError as exc:
                raise pytest.UsageError(f"--qnext-datasets: {exc}") from None
        report = capability_report(config)
        known = None if collection else metrics
        report.check_before_run(known, read_baseline=not config.option.collectonly)
    if (capability or selects_perf(config)) and not config.option.collectonly:
        from pytest_qnext.report.rundir import check_root

        problem = check_root(settings.report_dir)
        if problem:  # (--qnext-perf-baseline is resolved and read by its option parser)
            raise pytest.UsageError(problem)


def check_collection_gates(config: pytest.Config, entries: Sequence[Entry]) -> None:
    """A collection run's gates, once its rows are read (before the first request): a dataset
    gate must name one of its benchmarks, a collection gate a key its rows have (one line,
    exit 4)."""
    from pytest_qnext.collections.levels import ScoredRow
    from pytest_qnext.report.collection import gate_keys

    registry = get_benchmarks(config)
    metrics = {
        name: registry.get(name).metrics or None for name in capability_session(config).metas
    }
    leaves = [
        ScoredRow.of_leaf(
            entry.dataset, entry.sample.subset, entry.sample.id, 0.0, entry.collection
        )
        for entry in entries
        if entry.collection is not None and entry.skip_reason is None
    ]
    capability_report(config).check_gates(metrics, gate_keys(leaves))


def check_code_benchmarks(config: pytest.Config) -> None:
    """Code benchmarks need a working sandbox (else one line, exit 4); the sandbox header line
    and the run's warnings go to the header and the report (capability/notices.py)."""
    from pytest_qnext.capability.notices import check_sandbox, run_notices

    state = qnext_state(config)
    capability = state.settings.capability
    registry = get_benchmarks(config)
    names = capability.datasets
    if capability.collection_run:  # a collection's benchmarks are those of its rows
        names = tuple(capability_session(config).metas)
    specs = [registry.get(name) for name in names]
    if not config.option.collectonly and not is_xdist_worker(config):
        check_sandbox(capability, specs)
    state.notices = run_notices(capability, specs)
    report = config.stash.get(CAPABILITY_REPORT_KEY, None)
    if report is not None:
        report.run_warnings = list(state.notices.warnings)


def on_sigterm(config: pytest.Config) -> None:
    """CI cancels with SIGTERM: treat it like Ctrl-C (a partial report marked incomplete,
    temporary files removed); a second SIGTERM ends the process at once."""
    state = qnext_state(config)
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: Any) -> None:
        state.terminated = True
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise KeyboardInterrupt("SIGTERM")

    state.sigterm = signal.signal(signal.SIGTERM, handler)


def restore_sigterm(state: QnextState) -> None:
    """Put back the SIGTERM handler `on_sigterm` replaced (at unconfigure)."""
    if state.sigterm is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, state.sigterm)
        state.sigterm = None


def remove_oracle(state: QnextState) -> None:
    """Remove the oracle's temporary folder (once the simulator has read it, and at exit)."""
    if state.oracle_dir is not None:
        shutil.rmtree(state.oracle_dir, ignore_errors=True)
        state.oracle_dir = None


def note_replay(config: pytest.Config, capability: CapabilitySession) -> None:
    """Read the replay file before the first item (a bad one is one line, exit 4) and tell the
    report which of its rows answer no selected sample."""
    replay = capability.replay()
    selected = {(entry.dataset, entry.sample.id) for entry in capability.entries()}
    report = capability_report(config)
    report.note_replay(replay.path, len(replay), replay.unmatched(selected))


def perf_sim_extra(settings: Settings) -> str:
    """The simulator counts tokens with the perf tokenizer (a spec's own key wins)."""
    tokenizer = settings.perf.tokenizer
    return f'tokenizer="{tokenizer}"' if tokenizer else ""


def oracle_file(config: pytest.Config) -> Path | None:
    """The simulator's oracle answers for the selected datasets (built from the settings)."""
    state = qnext_state(config)
    capability = state.settings.capability
    if state.settings.sim_spec is None or not capability.datasets or capability.responses:
        return None
    from pytest_qnext.sim.oracle import write_oracle_file

    entries = capability_session(config).entries()
    folder = Path(tempfile.mkdtemp(prefix="qnext-oracle-"))
    state.oracle_dir = folder
    path = folder / "oracle.jsonl"
    return path if write_oracle_file(capability, path, entries) else None
