"""The end of a session's report: which files its run folder gets, then the `latest` links.

- capability samples ran (with or without a perf sweep): the capability report (summary.json
  with the perf points, samples.jsonl, junit.xml, report.html; report/controller.py);
- only a perf sweep ran: summary.json (perf points, no `table`) and report.html, beside the
  perf.jsonl and charts of the perf session; capability gates given for the session fail there
  ("no capability sample ran"): a gate never disappears;
- neither: nothing is written (capability gates still fail, in the terminal and exit status).

Only after the report is whole are `ROOT/latest` and `ROOT/latest-<kind>` pointed at it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_qnext.report.rundir import RunFolder, latest_link

if TYPE_CHECKING:
    from pytest_qnext.report.controller import CapabilityReport

__all__ = ["finish_session"]


def _perf_records(folder: Path) -> list[dict[str, Any]] | None:
    """The measured rows the perf session wrote to perf.jsonl (warmup rows left out), for
    report.html's per-request scatter (None when none)."""
    from pytest_qnext.perf.session import PERF_RECORDS_FILE
    from pytest_qnext.view.loader import read_perf_records

    return read_perf_records(folder / PERF_RECORDS_FILE) or None


def finish_session(
    run: RunFolder,
    report: CapabilityReport | None,
    perf: Sequence[Mapping[str, Any]],
    *,
    stopped: str | None = None,
    capacity: dict[str, Any] | None = None,
) -> list[str]:
    """Write this session's report into its run folder and publish the links; returns lines
    for the terminal (where a perf report went, links that could not be replaced).
    `capacity`: the perf capacity search's answer, stored under summary.json `capacity`."""
    from pytest_qnext.report.writers import build_perf_document, write_perf_report

    records = _perf_records(run.path()) if perf and run.created else None
    if report is not None and report.has_rows:
        report.finish(
            perf=[dict(p) for p in perf],
            stopped=stopped,
            perf_records=records,
            capacity=capacity,
        )
        return run.publish() if report.written is not None else []
    if report is not None and report.gated:
        report.finish_without_rows()
    if not perf:
        return []
    gates = report.summary.get("gates", []) if report is not None and report.summary else []
    warnings = [] if stopped is None else [f"the run stopped early ({stopped})"]
    doc = build_perf_document(perf, complete=stopped is None, gates=gates, warnings=warnings)
    if capacity is not None:
        doc["capacity"] = capacity
    try:
        folder = run.path()
        write_perf_report(folder, doc, records)
    except OSError as exc:
        return [
            f"--qnext-report-dir: cannot write the report under {run.root} ({exc.strerror or exc})"
        ]
    problems = run.publish()
    link = latest_link(run.root, "perf")
    also = f" ({link} points at it)" if not problems else ""
    return [f"qnext: report written to {folder}{also}", *problems]
