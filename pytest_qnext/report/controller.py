"""The controller's side of a capability run: rows in, report and exit status out.

Only the controller (or the single process without xdist) aggregates. Rows reach it in the
teardown report of each item (`report.user_properties`: ("qnext_sample", row) and, once per
dataset and process, ("qnext_dataset", meta), both as `to_json()` dicts), so every row is
counted exactly once; here they become `SampleRow` / `DatasetMeta` again.

Exit status (documented for the README):

- without gates or a baseline: pytest's usual status (0 all passed, 1 some item failed or
  errored: a wrong answer fails its item, a request error errors it);
- with `--qnext-gate` or `--qnext-baseline --qnext-max-drop`: wrong answers do not decide the
  status. It is 0 when every gate (and max-drop check) passes, no sample ended in `error`, and
  no other (non-capability) test failed; otherwise 1. Interrupted runs (2), internal errors
  (3), usage errors (4) and "no tests collected" (5) keep pytest's codes.

A run that stopped early (Ctrl-C, `-x`, `--maxfail`) still writes its report, marked
`"complete": false` with a warning that names how many samples it scored: its scores cover only
those. It never passes its gates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.rows import DatasetMeta, RowError, SampleRow

if TYPE_CHECKING:
    from pytest_qnext.evals.base import Breakdown

__all__ = ["META_PROPERTY", "NOTE_PROPERTY", "ROW_PROPERTY", "CapabilityReport", "parse_gates"]

ROW_PROPERTY = "qnext_sample"
META_PROPERTY = "qnext_dataset"
NOTE_PROPERTY = "qnext_note"  # a session-level line from the engine (summary warnings)


def parse_gates(texts: Sequence[str]) -> list[Any]:
    """Parse the --qnext-gate expressions; `pytest.UsageError` (one line) on a bad one."""
    from pytest_qnext.report.gates import parse_gate

    gates = []
    for text in texts:
        try:
            gates.append(parse_gate(text))
        except ValueError as exc:
            raise pytest.UsageError(f"--qnext-gate: {exc}") from None
    return gates


class CapabilityReport:
    """Collects rows from reports, writes the report dir, decides the exit status."""

    def __init__(
        self,
        settings: CapabilitySettings,
        report_dir: Path,
        breakdown_for: Callable[[str], Breakdown | None] | None = None,
    ) -> None:
        """`breakdown_for(dataset)`: a dataset's breakdown hook (default: the installed
        benchmark's `EvalSpec.breakdown`; the plugin passes the session registry's)."""
        from pytest_qnext.report.aggregate import Aggregator, registry_breakdown

        self.settings = settings
        self.report_dir = report_dir
        self.gates = parse_gates(settings.gates)
        self.aggregator = Aggregator(
            dataset_order=settings.datasets,
            seed=settings.seed,
            breakdown_for=breakdown_for or registry_breakdown,
        )
        self.other_failures = 0
        self.summary: dict[str, Any] | None = None
        self.comparison: Any = None
        self.problems: list[str] = []
        self.planned: int | None = None  # capability items selected (unknown to xdist's controller)
        self.stopped: str | None = None  # why the run stopped early, if it did
        # known before the first item (e.g. an unsafe sandbox, contamination): first in warnings
        self.run_warnings: list[str] = []

    @property
    def gated(self) -> bool:
        return bool(self.gates) or (
            self.settings.baseline is not None and self.settings.max_drop is not None
        )

    @property
    def has_rows(self) -> bool:
        return len(self.aggregator) > 0

    def add_report(self, report: pytest.TestReport) -> None:
        """Take the row of a finished item (teardown report) and note non-capability failures."""
        props = dict.fromkeys([name for name, _ in report.user_properties])
        capability = ROW_PROPERTY in props
        if report.failed and not capability and "capability" not in report.keywords:
            self.other_failures += 1
        if report.when != "teardown":
            return
        for name, value in report.user_properties:
            try:
                if name == META_PROPERTY:
                    self.aggregator.add_dataset_meta(DatasetMeta.from_json(value))
                elif name == ROW_PROPERTY:
                    self.aggregator.add_row(SampleRow.from_json(value))
                elif name == NOTE_PROPERTY:
                    self.aggregator.add_warning(str(value))
            except RowError as exc:
                self.problems.append(f"qnext: {report.nodeid}: {exc}")

    def finish(
        self,
        perf: Sequence[dict[str, Any]] | None = None,
        stopped: str | None = None,
        capacity: dict[str, Any] | None = None,
    ) -> None:
        """Build the summary, compare with the baseline, write the report dir (with the perf
        sweep's points in summary.json's `perf` list when a sweep ran in the same session).
        `stopped`: why the session stopped early (the summary says it is incomplete)."""
        from pytest_qnext.report.writers import write_report_dir

        summary = self.aggregator.summary(gates=self.gates)
        summary["warnings"][:0] = self.run_warnings
        rows = self.aggregator.rows
        if stopped is not None and self.planned is not None and len(rows) >= self.planned:
            stopped = None  # e.g. -x, and the last item failed: every sample was scored
        self.stopped = stopped
        summary["complete"] = stopped is None
        if stopped is not None:
            of = f" of the {self.planned} selected" if self.planned is not None else ""
            summary["warnings"].append(
                f"the run stopped early ({stopped}): {len(rows)}{of} samples were scored and "
                "the scores and gates cover only them; run the same command again to finish "
                "(with the cache on, answers already received are not asked again)"
            )
        if self.settings.baseline is not None:
            from pytest_qnext.report.baseline import BaselineError, compare

            try:
                self.comparison = compare(
                    summary,
                    rows,
                    self.settings.baseline,
                    max_drop=self.settings.max_drop,
                    force=self.settings.baseline_force,
                )
            except BaselineError as exc:
                self.problems.append(f"--qnext-baseline: {exc}")
        self.summary = summary
        try:
            if capacity is not None:
                summary["capacity"] = capacity  # the perf capacity search's answer
            write_report_dir(
                self.report_dir, summary, rows, comparison=self.comparison, perf=perf or None
            )
        except OSError as exc:
            self.problems.append(
                f"--qnext-report-dir: cannot write {self.report_dir} ({exc.strerror or exc})"
            )

    def exit_status(self, current: int | pytest.ExitCode) -> int | pytest.ExitCode:
        """The session's exit status under the rules in this module's docstring."""
        if not self.gated or current not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            if self.problems and current == pytest.ExitCode.OK:
                return pytest.ExitCode.TESTS_FAILED
            return current
        summary = self.summary or {}
        gates_ok = all(g["passed"] for g in summary.get("gates", []))
        if self.comparison is not None:
            gates_ok = gates_ok and all(g.passed for g in self.comparison.gates)
        errors = sum(1 for r in self.aggregator.rows if r.outcome == "error")
        ok = (
            gates_ok
            and errors == 0
            and self.other_failures == 0
            and not self.problems
            and self.stopped is None
        )
        return pytest.ExitCode.OK if ok else pytest.ExitCode.TESTS_FAILED

    def terminal_lines(self) -> list[str]:
        from pytest_qnext.report.terminal import (
            capability_table,
            collection_lines,
            comparison_lines,
            gate_lines,
            retry_lines,
        )

        if self.summary is None or not self.has_rows:
            return []
        lines = capability_table(self.summary, subsets=self.settings.subsets)
        subset_level = ("subset",) if self.settings.subsets else ()
        levels = dict.fromkeys((*subset_level, *self.settings.collection_levels))
        lines += collection_lines(self.summary, tuple(levels))
        lines += retry_lines(self.summary)
        lines += gate_lines(self.summary.get("gates", []))
        if self.comparison is not None:
            lines += comparison_lines(self.comparison)
        lines += [f"qnext warning: {w}" for w in self.summary.get("warnings", [])]
        lines += self.problems
        lines.append(f"qnext: report written to {self.report_dir}")
        return lines
