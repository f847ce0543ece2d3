"""The controller's side of a capability run: rows in, report and exit status out.

Only the controller (or the single process without xdist) aggregates. Rows reach it in the
teardown report of each item (`report.user_properties`: ("qnext_sample", row) and, once per
dataset and process, ("qnext_dataset", meta), both as `to_json()` dicts), so every row is
counted exactly once; here they become `SampleRow` / `DatasetMeta` again.

Before the first request, `check_before_run` refuses (pytest.UsageError, one line) gates that
could never be evaluated (an unselected dataset, an unknown metric) and a baseline that cannot
be read. The report goes to this session's run folder (report/rundir.py).

Exit status (documented for the README):

- without gates or a baseline: pytest's usual status (0 all passed, 1 some item failed or
  errored: a wrong answer fails its item, a request error errors it);
- with `--qnext-gate` or `--qnext-baseline --qnext-max-drop`: wrong answers do not decide the
  status. It is 0 when every gate (and max-drop check) passes, no sample ended in `error`, and
  no other (non-capability) test failed; otherwise 1. Interrupted runs (2), internal errors
  (3), usage errors (4) and "no tests collected" (5) keep pytest's codes.

A gate that cannot be evaluated fails with the reason; it never passes or disappears: no
capability sample ran, its dataset was only partly scored (replay rows missing; unless
`--qnext-allow-partial`), or the run stopped early (Ctrl-C, SIGTERM, `-x`, `--maxfail`). Such a
run still writes its report, marked `"complete": false` with a warning that names how many
samples it scored: its scores cover only those.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.report.rundir import RunFolder, latest_link
from pytest_qnext.rows import DatasetMeta, RowError, SampleRow

if TYPE_CHECKING:
    from pytest_qnext.evals.base import Breakdown

__all__ = [
    "MAX_UNMATCHED_SHOWN",
    "META_PROPERTY",
    "NOTE_PROPERTY",
    "PLANNED_PROPERTY",
    "ROW_PROPERTY",
    "TEARDOWN_ONLY",
    "WRONG",
    "CapabilityReport",
    "junit_properties",
    "parse_gates",
]

ROW_PROPERTY = "qnext_sample"
META_PROPERTY = "qnext_dataset"
NOTE_PROPERTY = "qnext_note"  # a session-level line from the engine (summary warnings)
# how many capability items the session selected: an xdist worker tells the controller (which
# collects nothing) on the first sample item it runs
PLANNED_PROPERTY = "qnext_planned"
TEARDOWN_ONLY = (ROW_PROPERTY, META_PROPERTY)  # values read from an item's teardown report only
OUTCOME_PROPERTY = "qnext_outcome"  # what pytest's own --junitxml keeps of a sample's row
MAX_UNMATCHED_SHOWN = 20
WRONG = ("fail", "unparsed", "truncated")  # the outcomes that fail an item (not errors)


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


def _coverage(summary: dict[str, Any]) -> None:
    """Add `coverage` ({"scored", "selected"}) to each dataset and to the run: a selected
    sample is one that reported a row; a scored one did not end `skipped`."""
    run = {"scored": 0, "selected": 0}
    for info in summary["datasets"].values():
        outcomes = info.get("outcomes", {})
        selected = sum(outcomes.values())
        scored = selected - outcomes.get("skipped", 0)
        info["coverage"] = {"scored": scored, "selected": selected}
        run["scored"] += scored
        run["selected"] += selected
    summary["coverage"] = run


def junit_properties(props: Sequence[tuple[str, object]]) -> list[tuple[str, object]]:
    """A sample's teardown properties once the controller has read them: its outcome instead of
    the row, the dataset meta and the notes. pytest's --junitxml writes every property of a
    teardown report; the row holds the messages and the response, so a 12 000-sample junit.xml
    would carry every prompt (samples.jsonl in the run folder has them)."""
    ours = (ROW_PROPERTY, META_PROPERTY, NOTE_PROPERTY, PLANNED_PROPERTY)
    out: list[tuple[str, object]] = []
    for name, value in props:
        if name == ROW_PROPERTY and isinstance(value, Mapping):
            out.append((OUTCOME_PROPERTY, value.get("outcome")))
        elif name not in ours:
            out.append((name, value))
    return out


class CapabilityReport:
    """Collects rows from reports, writes the run folder, decides the exit status."""

    def __init__(
        self,
        settings: CapabilitySettings,
        run: RunFolder | Path,
        breakdown_for: Callable[[str], Breakdown | None] | None = None,
    ) -> None:
        """`run`: the session's run folder (a Path is a report root: a run folder under it).
        `breakdown_for(dataset)`: a dataset's breakdown hook (default: the installed
        benchmark's `EvalSpec.breakdown`; the plugin passes the session registry's)."""
        from pytest_qnext.report.aggregate import Aggregator, registry_breakdown

        self.settings = settings
        self.run = run if isinstance(run, RunFolder) else RunFolder(Path(run))
        self.gates = parse_gates(settings.gates)
        self.aggregator = Aggregator(
            dataset_order=settings.datasets,
            seed=settings.seed,
            breakdown_for=breakdown_for or registry_breakdown,
        )
        self.other_failures = 0
        self.outcomes: Counter[str] = Counter()  # rows received so far, by outcome
        self.summary: dict[str, Any] | None = None
        self.comparison: Any = None
        self.problems: list[str] = []
        self.planned: int | None = None  # capability items selected (PLANNED_PROPERTY under xdist)
        self.stopped: str | None = None  # why the run stopped early, if it did
        self.baseline: tuple[Path, dict[str, Any], list[SampleRow]] | None = None
        self.replay: dict[str, Any] | None = None  # the replay file's rows vs the selection
        self.written: Path | None = None  # the run folder, once the report is in it
        self.status: int | pytest.ExitCode | None = None  # the exit status decided
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

    # -- before the run -----------------------------------------------------------------------

    def check_before_run(
        self, metrics: Mapping[str, Sequence[str] | None] | None, *, read_baseline: bool = True
    ) -> None:
        """pytest.UsageError (one line) for a gate that names an unselected dataset or an
        unknown metric (`metrics`: selected dataset -> declared metrics, None if undeclared),
        and for a baseline that cannot be read; the baseline is kept for the comparison.
        `metrics` None: the datasets are not known yet (a collection run): `check_gates` runs
        once its rows are read."""
        from pytest_qnext.report.baseline import BaselineError, baseline_folder, load_baseline

        if metrics is not None:
            self.check_gates(metrics)
        if self.settings.baseline is not None and read_baseline:
            try:
                folder = baseline_folder(self.settings.baseline)
                self.baseline = (folder, *load_baseline(folder))
            except BaselineError as exc:
                raise pytest.UsageError(f"--qnext-baseline: {exc}") from None

    def check_gates(
        self,
        metrics: Mapping[str, Sequence[str] | None],
        collection: Mapping[str, set[str]] | None = None,
    ) -> None:
        """pytest.UsageError (one line) for a gate this run could never evaluate
        (report/gates.py `check_gates`; `collection`: the collection's `gate_keys`)."""
        from pytest_qnext.report.gates import check_gates

        try:
            check_gates(self.gates, metrics, collection)
        except ValueError as exc:
            raise pytest.UsageError(f"--qnext-gate: {exc}") from None

    def note_replay(self, path: Path, rows: int, unmatched: Sequence[str]) -> None:
        """The replay file's rows that answer no selected sample (shown in the report)."""
        self.replay = {
            "file": str(path),
            "rows": rows,
            "unmatched_count": len(unmatched),
            "unmatched": list(unmatched[:MAX_UNMATCHED_SHOWN]),
        }

    # -- during the run -----------------------------------------------------------------------

    def add_report(self, report: pytest.TestReport) -> None:
        """Take the row of a finished item (teardown report) and note non-capability failures."""
        props = dict(report.user_properties)
        capability = ROW_PROPERTY in props
        if report.failed and not capability and "capability" not in report.keywords:
            self.other_failures += 1
        if PLANNED_PROPERTY in props and self.planned is None:
            self.planned = int(str(props[PLANNED_PROPERTY]))
        if report.when != "teardown":
            return
        for name, value in report.user_properties:
            try:
                if name == META_PROPERTY:
                    self.aggregator.add_dataset_meta(DatasetMeta.from_json(value))
                elif name == ROW_PROPERTY:
                    row = SampleRow.from_json(value)
                    self.aggregator.add_row(row)
                    self.outcomes[row.outcome] += 1
                elif name == NOTE_PROPERTY:
                    self.aggregator.add_warning(str(value))
            except RowError as exc:
                self.problems.append(f"qnext: {report.nodeid}: {exc}")

    # -- after the run ------------------------------------------------------------------------

    def finish(
        self,
        perf: Sequence[dict[str, Any]] | None = None,
        stopped: str | None = None,
        perf_records: Sequence[Mapping[str, Any]] | None = None,
        capacity: dict[str, Any] | None = None,
    ) -> None:
        """Build the summary, check the gates, compare with the baseline and write the run
        folder (with the perf sweep's points in summary.json's `perf` list, its capacity
        search's answer under `capacity`, and its records in report.html, when a sweep ran in
        the same session). `stopped`: why the session stopped early (the summary says it is
        incomplete and no gate passes)."""
        from pytest_qnext.report.gates import evaluate_gates

        summary = self.aggregator.summary()
        summary["warnings"][:0] = self.run_warnings
        if capacity is not None:
            summary["capacity"] = capacity  # the perf capacity search's answer
        rows = self.aggregator.rows
        if stopped is not None and self.planned is not None and len(rows) >= self.planned:
            stopped = None  # e.g. -x, and the last item failed: every sample was scored
        self.stopped = stopped
        summary["complete"] = stopped is None
        _coverage(summary)
        summary["gates"] = [
            r.to_dict()
            for r in evaluate_gates(
                self.gates,
                summary,
                allow_partial=self.settings.allow_partial,
                incomplete=stopped,
            )
        ]
        summary["warnings"].extend(self._warnings(summary, len(rows)))
        if self.replay is not None:
            summary["replay"] = dict(self.replay)
        self._compare(summary, rows)
        self.summary = summary
        self._write(summary, rows, perf, perf_records)

    def _warnings(self, summary: Mapping[str, Any], scored_rows: int) -> list[str]:
        out = []
        if self.stopped is not None:
            of = f" of the {self.planned} selected" if self.planned is not None else ""
            out.append(
                f"the run stopped early ({self.stopped}): {scored_rows}{of} samples were scored "
                "and the scores and gates cover only them; run the same command again to finish "
                "(with the cache on, answers already received are not asked again)"
            )
        for name, info in summary["datasets"].items():
            cov = info["coverage"]
            if cov["scored"] < cov["selected"]:
                out.append(
                    f"dataset {name}: {cov['scored']} of {cov['selected']} selected samples "
                    f"were scored ({cov['selected'] - cov['scored']} skipped); its score covers "
                    "only those"
                )
        if self.replay is not None and self.replay["unmatched_count"]:
            shown = ", ".join(self.replay["unmatched"])
            more = self.replay["unmatched_count"] - len(self.replay["unmatched"])
            out.append(
                f"{self.replay['unmatched_count']} row(s) of the replay file "
                f"{self.replay['file']} match no selected sample and were not used: {shown}"
                + (f" (+{more} more)" if more > 0 else "")
            )
        return out

    def _compare(self, summary: dict[str, Any], rows: Sequence[SampleRow]) -> None:
        if self.settings.baseline is None:
            return
        from pytest_qnext.report.baseline import BaselineError, baseline_folder, compare
        from pytest_qnext.report.gates import GateResult, not_a_verdict

        try:
            folder = self.baseline[0] if self.baseline else baseline_folder(self.settings.baseline)
            comparison = compare(
                summary,
                rows,
                folder,
                max_drop=self.settings.max_drop,
                force=self.settings.baseline_force,
                loaded=self.baseline[1:] if self.baseline else None,
            )
        except BaselineError as exc:
            self.problems.append(f"--qnext-baseline: {exc}")
            return
        if self.stopped is not None:
            stopped = self.stopped
            gates: list[GateResult] = [not_a_verdict(g, stopped) for g in comparison.gates]
            comparison = dataclasses.replace(comparison, gates=gates)
        self.comparison = comparison

    def _write(
        self,
        summary: Mapping[str, Any],
        rows: Sequence[SampleRow],
        perf: Sequence[dict[str, Any]] | None,
        perf_records: Sequence[Mapping[str, Any]] | None,
    ) -> None:
        from pytest_qnext.report.writers import write_report_dir

        try:
            folder = self.run.path()
            write_report_dir(
                folder,
                summary,
                rows,
                comparison=self.comparison,
                perf=perf or None,
                perf_records=perf_records,
            )
        except OSError as exc:
            self.problems.append(
                f"--qnext-report-dir: cannot write the report under {self.run.root} "
                f"({exc.strerror or exc})"
            )
            return
        self.written = folder

    def finish_without_rows(self) -> None:
        """No capability sample ran although gates were given: each gate fails with that
        reason (nothing is written; a perf run in the session writes its own report)."""
        from pytest_qnext.report.gates import GateResult

        reason = (
            "cannot check: no capability sample ran in this session (deselected by -m/-k, "
            "or the run stopped before any)"
        )
        gates = [GateResult(g.text, False, None, g.limit, reason, g.dataset) for g in self.gates]
        if self.settings.baseline is not None and self.settings.max_drop is not None:
            name = f"max_drop<={self.settings.max_drop:g}"
            gates.append(GateResult(name, False, None, self.settings.max_drop, reason))
        self.summary = {"gates": [g.to_dict() for g in gates], "warnings": []}

    def exit_status(self, current: int | pytest.ExitCode) -> int | pytest.ExitCode:
        """The session's exit status under the rules in this module's docstring."""
        self.status = self._exit_status(current)
        return self.status

    def _exit_status(self, current: int | pytest.ExitCode) -> int | pytest.ExitCode:
        if not self.has_rows:
            if self.gated and current == pytest.ExitCode.OK:
                return pytest.ExitCode.TESTS_FAILED  # gates that could not be evaluated
            return current
        if not self.gated or current not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            if self.problems and current == pytest.ExitCode.OK:
                return pytest.ExitCode.TESTS_FAILED
            return current
        return pytest.ExitCode.OK if not self.failing_reasons() else pytest.ExitCode.TESTS_FAILED

    def failing_reasons(self) -> list[str]:
        """Why a gated run fails (empty when it passes)."""
        summary = self.summary or {}
        failed = [g["name"] for g in summary.get("gates", []) if not g["passed"]]
        if self.comparison is not None:
            failed += [g.name for g in self.comparison.gates if not g.passed]
        reasons = [f"gate {name} failed" for name in failed]
        errors = sum(1 for r in self.aggregator.rows if r.outcome == "error")
        if errors:
            reasons.append(f"{errors} sample(s) ended in error")
        if self.other_failures:
            reasons.append(f"{self.other_failures} other test(s) failed")
        if self.problems:
            reasons.append("the report has problems (above)")
        if self.stopped is not None:
            reasons.append(f"the run stopped early ({self.stopped})")
        return reasons

    def terminal_lines(self) -> list[str]:
        from pytest_qnext.report.terminal import (
            capability_table,
            collection_lines,
            comparison_lines,
            gate_lines,
            retry_lines,
            verdict_lines,
        )

        if self.summary is None:
            return []
        if not self.has_rows:
            return gate_lines(self.summary.get("gates", [])) + self.problems
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
        if self.written is not None:
            link = latest_link(self.run.root, "capability")
            also = f" ({link} points at it)" if link.resolve() == self.written.resolve() else ""
            lines.append(f"qnext: report written to {self.written}{also}")
        wrong = sum(1 for r in self.aggregator.rows if r.outcome in WRONG)
        lines += verdict_lines(
            gated=self.gated, wrong=wrong, status=self.status, reasons=self.failing_reasons()
        )
        return lines
