"""The perf session: runs sweep points through pytest-benchmark, gates them, writes the output.

plugin.py keeps thin hooks that call into here:
- `PerfSession.run_point(point, benchmark)` runs one point (the `qnext_perf` fixture hands out
  this bound method) and returns a `PointResult` whose `check()` fails the item on gates;
- `PerfSession.finish()` writes the charts; `terminal_lines()` is the summary table.
Per-request records go to `<report dir>/perf.jsonl` as each point finishes; the session keeps a
`PerfPoint` per point (`points`), which the plugin hands to summary.json at session end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.jsonl import plain
from pytest_qnext.perf.charts import write_charts
from pytest_qnext.perf.loadgen import PointRun, Target, run_point
from pytest_qnext.perf.metrics import compute_metrics, record_row
from pytest_qnext.perf.options import PerfSettings, SweepPoint
from pytest_qnext.perf.point import IDENTITY, PerfPoint
from pytest_qnext.perf.prompts import PerfRequest, PromptBuilder, PromptError, load_perf_tokenizer
from pytest_qnext.perf.slo import GateResult, SLOError, compare_baseline, load_baseline
from pytest_qnext.perf.table import format_table, notes

__all__ = [
    "PERF_RECORDS_FILE",
    "PerfPoint",
    "PerfSession",
    "PointResult",
]

PERF_RECORDS_FILE = "perf.jsonl"


@dataclass
class PointResult:
    """What one point measured and how its gates went."""

    point: SweepPoint
    metrics: dict[str, Any]
    gates: list[GateResult] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        return [g.message for g in self.gates if not g.passed]

    def check(self) -> None:
        """Fail the current item with one line when a gate failed."""
        if self.failures:
            pytest.fail(f"{self.point.id}: " + "; ".join(self.failures), pytrace=False)


class PerfSession:
    """Per-session perf state (lives in config.stash; only plain values leave it)."""

    def __init__(
        self,
        settings: PerfSettings,
        target: Target,
        report_dir: Path,
    ) -> None:
        self.settings = settings
        self.target = target
        self.report_dir = report_dir
        self.points: list[PerfPoint] = []  # one per point run, in run order
        self._builder: PromptBuilder | None = None
        self._tokenizer: Any = None
        self._records_started = False
        self._baseline: list[dict[str, Any]] | None = None
        self._round = 0

    @classmethod
    def create(cls, settings: Any, target: Any) -> PerfSession:
        """From the plugin's Settings and ResolvedTarget."""
        return cls(
            settings.perf,
            Target(
                urls=tuple(target.urls),
                model=target.model,
                api=settings.api,
                api_key=settings.api_key,
                timeout=settings.timeout,
            ),
            Path(settings.report_dir),
        )

    # -- preparation --------------------------------------------------------------------------

    def builder(self) -> PromptBuilder:
        if self._builder is None:
            try:
                counter, hf = load_perf_tokenizer(self.settings.tokenizer)
                self._tokenizer = counter
                self._builder = PromptBuilder(self.settings, self.target.api, counter, hf)
            except PromptError as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._builder

    def baseline(self) -> list[dict[str, Any]]:
        if self._baseline is None:
            self._baseline = []
            if self.settings.baseline is not None:
                from pytest_qnext.report.rundir import RunDirError, resolve_baseline

                flag = "--qnext-perf-baseline"
                try:  # a run folder, a report root (its latest-perf) or a summary.json
                    path = resolve_baseline(self.settings.baseline, "perf", option=flag)
                    self._baseline = load_baseline(path)
                except RunDirError as exc:
                    raise pytest.UsageError(str(exc)) from None
                except SLOError as exc:
                    raise pytest.UsageError(f"{flag}: {exc}") from None
        return self._baseline

    def _requests(self, point: SweepPoint) -> tuple[list[PerfRequest], list[PerfRequest]]:
        """Fresh prompts for one round: measured and warmup (distinct indexes: no cache hits)."""
        self._round += 1
        builder = self.builder()
        base = self._round * 1_000_000
        try:
            measured = builder.build(point.number, start=base, seed_salt=point.parallel)
            warmup = builder.build(self.settings.warmup, start=base + point.number, seed_salt=-1)
        except PromptError as exc:
            pytest.fail(str(exc), pytrace=False)
        return measured, warmup

    # -- running ------------------------------------------------------------------------------

    def run_point(self, point: SweepPoint, benchmark: Any) -> PointResult:
        """Run `point` through `benchmark.pedantic`; metrics come from the last round."""
        s = self.settings
        runs: list[PointRun] = []

        def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
            measured, warmup = self._requests(point)
            return (measured, warmup), {}

        def one_round(measured: list[PerfRequest], warmup: list[PerfRequest]) -> None:
            runs.append(
                run_point(
                    self.target,
                    measured,
                    parallel=point.parallel,
                    warmup=warmup,
                    rate=s.rate,
                    seed=s.seed,
                )
            )

        benchmark.pedantic(
            one_round, setup=setup, rounds=s.rounds, warmup_rounds=s.warmup_rounds, iterations=1
        )
        run = runs[-1]
        metrics = compute_metrics(run, self._tokenizer, seed=s.seed)
        self._write_records(point, run)
        gates = [slo.check(metrics) for slo in s.slos]
        if s.baseline is not None:
            gates.extend(compare_baseline(metrics, self.baseline(), s.max_regression))
        if metrics["completed"] == 0:
            examples = metrics.get("error_examples") or [{}]
            gates.append(
                GateResult(
                    "completed",
                    False,
                    f"all {metrics['number']} requests failed ({metrics['errors_by_kind']}), "
                    f"e.g. {examples[0].get('error')}",
                )
            )
        result = PerfPoint(
            point=point.id,
            parallel=point.parallel,
            number=point.number,
            rate=s.rate,
            rounds=len(runs) - s.warmup_rounds,
            metrics={k: v for k, v in plain(metrics).items() if k not in IDENTITY},
            gates=tuple(gates),
        )
        for key, value in result.to_json().items():
            benchmark.extra_info[key] = value
        self.points.append(result)
        return PointResult(point, metrics, gates)

    def _write_records(self, point: SweepPoint, run: PointRun) -> None:
        self.report_dir.mkdir(parents=True, exist_ok=True)
        mode = "a" if self._records_started else "w"
        self._records_started = True
        with (self.report_dir / PERF_RECORDS_FILE).open(mode, encoding="utf-8") as handle:
            for rec in [*run.warmup_records, *run.records]:
                row = plain(record_row(rec, point.id, run.window_start))
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    # -- output -------------------------------------------------------------------------------

    def finish(self) -> list[Path]:
        """Write the charts (when points ran); returns their paths."""
        if not self.points:
            return []
        return write_charts([p.to_json() for p in self.points], self.report_dir)

    def terminal_lines(self) -> list[str]:
        if not self.points:
            return []
        ordered = [p.to_json() for p in sorted(self.points, key=lambda p: (p.parallel, p.number))]
        lines = format_table(ordered)
        lines.extend(notes(ordered))
        lines.append(
            f"per-request records: {self.report_dir / PERF_RECORDS_FILE}; charts: "
            f"{self.report_dir}/perf_*.png"
        )
        return lines
