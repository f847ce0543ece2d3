"""How capability samples show in pytest's terminal output: quiet by default.

A wrong answer is not a test bug, and a 12 000-sample run with thousands of them must not read
like a log file. Unless the user asks for more (`-v`, `--tb=long`, or `-rA`):

- a failed or errored sample gets no FAILURES/ERRORS block; the qnext section lists the first
  `MAX_LISTED` as one short line each (`FAILED <nodeid> - <first line>`, like `-rf`) and one
  line counting them all (samples.jsonl has every one);
- a run of more than `QUIET_PROGRESS_ABOVE` capability items prints no progress letter per
  sample (pytest's dots alone would be ~200 lines) but one line per tenth of its samples
  (`progress_line`); the prefetcher's progress lines and the final counts remain.

Everything else (other tests' failures, pytest's final counts line, the exit status) is
unchanged. The plugin's hooks call these; nothing here is a hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_qnext.report.controller import CapabilityReport

__all__ = [
    "MAX_LISTED",
    "QUIET_PROGRESS_ABOVE",
    "Listing",
    "is_sample",
    "progress_line",
    "quiet",
    "quiet_status",
]

MAX_LISTED = 20
QUIET_PROGRESS_ABOVE = 1000
LINE_CHARS = 160
_CATEGORIES = (("failed", "FAILED"), ("error", "ERROR"))


def quiet(config: pytest.Config) -> bool:
    """Whether samples are listed briefly (the default) rather than in full (-v, --tb=long;
    `-rA` asks pytest's short summary for every item, so it gets them all too)."""
    every = "A" in str(getattr(config.option, "reportchars", "") or "")
    return config.get_verbosity() <= 0 and config.option.tbstyle != "long" and not every


def is_sample(report: Any) -> bool:
    """Whether `report` is a capability sample's (its row travels in user_properties)."""
    from pytest_qnext.report.controller import ROW_PROPERTY

    return any(name == ROW_PROPERTY for name, _ in getattr(report, "user_properties", ()))


def _quiet_progress(config: pytest.Config, capability: CapabilityReport | None) -> bool:
    planned = capability.planned if capability is not None else None
    return quiet(config) and (planned or 0) > QUIET_PROGRESS_ABOVE


def quiet_status(
    report: pytest.TestReport, config: pytest.Config, capability: CapabilityReport | None
) -> tuple[str, str, str] | None:
    """No progress letter for a sample's call in a big quiet run (pytest's status otherwise)."""
    if not _quiet_progress(config, capability) or report.when != "call":
        return None
    if not is_sample(report):
        return None
    if report.passed:
        return "passed", "", "PASSED"
    if report.failed:
        return "failed", "", "FAILED"
    return None


def progress_line(
    report: pytest.TestReport, config: pytest.Config, capability: CapabilityReport | None
) -> str | None:
    """In a big quiet run, one line each time another tenth of the planned samples is done
    (call after `capability.add_report(report)`), else None."""
    if capability is None or report.when != "teardown" or not is_sample(report):
        return None
    if not _quiet_progress(config, capability):
        return None
    planned, done = capability.planned or 1, sum(capability.outcomes.values())
    if done * 10 // planned == (done - 1) * 10 // planned:
        return None
    shown = ", ".join(f"{name} {n}" for name, n in sorted(capability.outcomes.items()))
    return f"qnext: {done} of {planned} samples done ({shown})"


def _first_line(report: Any) -> str:
    # the failure itself, not `longreprtext`: under xdist that starts with the worker's line
    longrepr = getattr(report, "longrepr", None)
    text = "" if longrepr is None else str(longrepr)
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 3] + "..."


class Listing:
    """Hides samples' failures and errors from pytest's summary while it is written (`hide`,
    then `restore` before pytest counts them) and lists them briefly (`lines`)."""

    def __init__(self, terminalreporter: Any, config: pytest.Config) -> None:
        self.reporter = terminalreporter
        self.active = quiet(config)
        self._saved: dict[str, list[Any]] = {}
        self._hidden: list[tuple[str, Any]] = []

    def hide(self) -> None:
        if not self.active:
            return
        stats = self.reporter.stats
        for category, word in _CATEGORIES:
            reports = stats.get(category) or []
            samples = [r for r in reports if is_sample(r)]
            if samples:
                self._saved[category] = reports
                stats[category] = [r for r in reports if not is_sample(r)]
                self._hidden.extend((word, r) for r in samples)

    def restore(self) -> None:
        for category, reports in self._saved.items():
            self.reporter.stats[category] = reports
        self._saved = {}

    def lines(self, capability: CapabilityReport | None) -> list[str]:
        """The first MAX_LISTED hidden samples as `-rf`-style lines, then one count line."""
        if not self._hidden:
            return []
        shown = self._hidden[:MAX_LISTED]
        out = [f"{word} {r.nodeid} - {_first_line(r)}" for word, r in shown]
        failed = sum(1 for word, _ in self._hidden if word == "FAILED")
        errors = len(self._hidden) - failed
        parts = [f"{failed} sample(s) failed (wrong answers)"] if failed else []
        parts += [f"{errors} sample(s) errored"] if errors else []
        listed = (
            "all listed above"
            if len(shown) == len(self._hidden)
            else f"the first {len(shown)} listed above"
        )
        where = "samples.jsonl"
        if capability is not None and capability.written is not None:
            where = str(capability.written / "samples.jsonl")
        out.append(
            f"qnext: {' and '.join(parts)}: {listed}; -v or --tb=long show each one in full, "
            f"{where} has every sample"
        )
        return out
