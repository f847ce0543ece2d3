"""The perf session: runs sweep points (through pytest-benchmark) and capacity-search probes,
gates them, writes the output.

plugin.py keeps thin hooks that call into here:
- `PerfSession.run_point(point, benchmark)` runs one point (the `qnext_perf` fixture hands out
  this bound method) and returns a `PointResult` whose `check()` fails the item on gates;
- `PerfSession.run_probe(slot)` runs the next probe of the capacity search (`qnext_find_max`);
- `PerfSession.finish()` writes the charts; `terminal_lines()` is the summary table.
Per-request records go to `<report dir>/perf.jsonl` as each point finishes (`records_path`:
the one place that says where); the session keeps a `PerfPoint` per point and probe (`points`)
and the capacity result (`capacity`), which the plugin hands to summary.json at session end.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.jsonl import plain
from pytest_qnext.perf.arrivals import arrival_offsets
from pytest_qnext.perf.capacity import CapacitySearch
from pytest_qnext.perf.charts import write_charts
from pytest_qnext.perf.loadgen import PointRun, Target, run_point
from pytest_qnext.perf.metrics import compute_metrics, record_row
from pytest_qnext.perf.options import PerfSettings, SweepPoint
from pytest_qnext.perf.point import IDENTITY, PerfPoint
from pytest_qnext.perf.prompts import PromptBuilder, PromptError, load_perf_tokenizer
from pytest_qnext.perf.rounds import aggregate_rounds
from pytest_qnext.perf.slo import GateResult, SLOError
from pytest_qnext.perf.table import format_table, notes
from pytest_qnext.perf.template import request_template

__all__ = ["PERF_RECORDS_FILE", "PerfPoint", "PerfSession", "PointResult"]

PERF_RECORDS_FILE = "perf.jsonl"
_ROUND_BASE = 1_000_000  # request indexes of round r start at r * this (no prompt repeats)


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

    def __init__(self, settings: PerfSettings, target: Target, report_dir: Path) -> None:
        self.settings = settings
        self.target = target
        self.report_dir = report_dir
        self.points: list[PerfPoint] = []  # one per point or probe run, in run order
        self.search: CapacitySearch | None = None
        self._builder: PromptBuilder | None = None
        self._tokenizer: Any = None
        self._records_started = False
        self._baseline: list[dict[str, Any]] | None = None
        self._round = 0
        self._missing_seen: set[str] = set()
        self.capacity_line: str | None = None  # the client's capacity (selftest.py), if measured
        self.probe_lines: list[str] = []  # one per capacity-search probe, in run order
        self.client_capacity: dict[str, float] | None = None
        if settings.find_max:
            low, high = settings.find_max_range
            self.search = CapacitySearch(
                settings.find_max,
                settings.search_over,
                low,
                high,
                settings.find_max_step,
                settings.find_max_probes,
                start=settings.rate,
            )

    @classmethod
    def create(cls, settings: Any, target: Any) -> PerfSession:
        """From the plugin's Settings and ResolvedTarget."""
        from pytest_qnext.perf.telemetry import metrics_url_for

        perf: PerfSettings = settings.perf
        url = perf.metrics_url
        if url is None:
            url = metrics_url_for(next(iter(target.urls)))
        return cls(
            perf,
            Target(
                urls=tuple(target.urls),
                model=target.model,
                api=settings.api,
                api_key=settings.api_key,
                timeout=settings.timeout,
                metrics_url=None if url == "off" else url,
                metrics_interval=perf.metrics_interval,
            ),
            Path(settings.report_dir),
        )

    @property
    def records_path(self) -> Path:
        """Where the per-request records go (the run's folder once the report layout lands)."""
        return self.report_dir / PERF_RECORDS_FILE

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
                from pytest_qnext.perf.baseline import load_baseline

                try:
                    self._baseline = load_baseline(self.settings.baseline)
                except SLOError as exc:
                    pytest.fail(f"--qnext-perf-baseline: {exc}", pytrace=False)
        return self._baseline

    def _jobs(self, point: SweepPoint) -> tuple[list[Any], list[Any], list[float] | None]:
        """Fresh jobs for one round (measured, warmup) and the open loop's offsets."""
        self._round += 1
        s = self.settings
        builder = self.builder()
        base = self._round * _ROUND_BASE
        offsets = None
        try:
            if s.dataset == "trace":
                from pytest_qnext.perf.conversations import build_trace

                rng = random.Random(f"{s.seed}:{point.parallel}:{base}")
                measured, offsets = build_trace(builder, point.number, base, rng)
            else:
                measured = builder.build(point.number, start=base, seed_salt=point.parallel)
            warmup = builder.build(s.warmup, start=base + point.number, seed_salt=-1)
        except PromptError as exc:
            pytest.fail(str(exc), pytrace=False)
        if offsets is None and point.rate is not None:
            rng = random.Random(f"{s.seed}:arrivals:{self._round}")
            offsets = arrival_offsets(len(measured), point.rate, s.burstiness, rng)
        return measured, warmup, offsets

    # -- running ------------------------------------------------------------------------------

    def _measure(
        self, point: SweepPoint, jobs: tuple[list[Any], list[Any], list[float] | None] | None = None
    ) -> tuple[PointRun, dict[str, Any]]:
        """Run one round of `point` (with `jobs` from `_jobs`, or fresh ones)."""
        s = self.settings
        measured, warmup, offsets = jobs if jobs is not None else self._jobs(point)
        run = run_point(
            self.target,
            measured,
            parallel=point.parallel,
            warmup=warmup,
            offsets=offsets,
            rate=point.rate,
            duration=s.duration,
            workers=s.workers,
        )
        metrics = compute_metrics(run, self._tokenizer, seed=s.seed, goodput=s.goodput)
        self._write_records(point, run)
        return run, metrics

    def _finish_point(
        self,
        point: SweepPoint,
        rounds: list[dict[str, Any]],
        gates: list[GateResult],
        name: str | None = None,
    ) -> tuple[PerfPoint, dict[str, Any]]:
        metrics = aggregate_rounds(rounds)
        metrics["request_template"] = request_template(self.builder(), self.target.model)
        if self.client_capacity:
            metrics["client_capacity"] = self.client_capacity
        new_missing = [
            m for m in metrics.get("server_missing") or [] if m not in self._missing_seen
        ]
        self._missing_seen.update(new_missing)
        metrics["server_missing_new"] = new_missing
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
            point=name or point.id,
            parallel=point.parallel,
            number=point.number,
            rate=point.rate,
            rounds=len(rounds),
            metrics={k: v for k, v in plain(metrics).items() if k not in IDENTITY},
            gates=tuple(gates),
        )
        self.points.append(result)
        return result, metrics

    def run_point(self, point: SweepPoint, benchmark: Any) -> PointResult:
        """Run `point` through `benchmark.pedantic`; metrics aggregate every measured round."""
        s = self.settings
        rounds: list[dict[str, Any]] = []
        done = 0

        def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
            return (self._jobs(point),), {}  # prompts are built outside the timed call

        def one_round(jobs: tuple[list[Any], list[Any], list[float] | None]) -> None:
            nonlocal done
            done += 1
            _run, metrics = self._measure(point, jobs)
            if done > s.warmup_rounds:
                rounds.append(metrics)

        benchmark.pedantic(
            one_round, setup=setup, rounds=s.rounds, warmup_rounds=s.warmup_rounds, iterations=1
        )
        current = aggregate_rounds(rounds)
        current.update(parallel=point.parallel, number=point.number, rate=point.rate)
        gates = [slo.check(current) for slo in s.slos if slo.scope == "point"]
        if s.baseline is not None:
            from pytest_qnext.perf.baseline import compare_baseline

            gates.extend(compare_baseline(current, self.baseline(), s.max_regression))
        result, metrics = self._finish_point(point, rounds, gates)
        for key, value in result.to_json().items():
            benchmark.extra_info[key] = value
        return PointResult(point, metrics, list(result.gates))

    def probe_point(self, load: float) -> SweepPoint:
        s = self.settings
        if s.search_over == "rate":
            cap = max(s.parallel)
            return SweepPoint(cap, s.number_for(cap, load), load)
        parallel = int(load)
        return SweepPoint(parallel, s.number_for(parallel))

    def run_probe(self, slot: str) -> str:
        """Run the capacity search's next probe (item `slot`); one line saying what it found.
        Skips the item when the search is already over."""
        search = self.search
        if search is None:
            pytest.skip("no --qnext-find-max")
        load = search.next_load()
        if load is None:
            pytest.skip(f"capacity search finished: {search.describe()}")
        point = self.probe_point(load)
        _run, metrics = self._measure(point)
        name = f"find_max-{slot}-{point.id}"
        probe = search.record(load, name, metrics)
        self._finish_point(point, [metrics], [], name=name)
        line = _probe_line(slot, search.over, probe)
        self.probe_lines.append(line)
        return line

    def search_result(self) -> list[GateResult]:
        """Finish the capacity search (no more probes) and check its gates."""
        search = self.search
        if search is None:
            return []
        if not search.probes:
            return [GateResult("find_max", False, "capacity search: no probe ran")]
        search.next_load()
        if search.reason is None:
            search.reason = "stopped before the bracket closed"
        result = search.result()
        values = {search.metric: result["value"]}
        return [slo.check(values) for slo in self.settings.slos if slo.scope == "search"]

    def _write_records(self, point: SweepPoint, run: PointRun) -> None:
        path = self.records_path
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = "a" if self._records_started else "w"
        self._records_started = True
        with path.open(mode, encoding="utf-8") as handle:
            for rec in [*run.warmup_records, *run.records]:
                row = plain(record_row(rec, point.id, run.window_start))
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    # -- output -------------------------------------------------------------------------------

    @property
    def capacity(self) -> dict[str, Any] | None:
        """The capacity search's answer for summary.json (None without a search)."""
        return None if self.search is None or not self.search.probes else self.search.result()

    def finish(self) -> list[Path]:
        """Write the charts (when points ran); returns their paths."""
        if not self.points:
            return []
        return write_charts([p.to_json() for p in self.points], self.report_dir)

    def terminal_lines(self) -> list[str]:
        lines: list[str] = []
        if self.capacity_line:
            lines.append(self.capacity_line)
        if self.points:
            ordered = [
                p.to_json() for p in sorted(self.points, key=lambda p: (p.parallel, p.number))
            ]
            lines.extend(format_table(ordered))
            lines.extend(notes(ordered, self.client_capacity))
            lines.append(
                f"per-request records: {self.records_path}; charts: {self.report_dir}/perf_*.png"
            )
        if self.search is not None and self.search.probes:
            lines.extend(f"capacity search {line}" for line in self.probe_lines)
            lines.append(f"capacity: {self.search.describe()}")
        return lines


def _probe_line(slot: str, over: str, probe: Any) -> str:
    """One line per probe: its load, verdict and values."""
    verdict = "meets" if probe.passed else "misses"
    noisy = " (within noise: repeated)" if probe.uncertain else ""
    values = ", ".join(f"{k}={v:.6g}" for k, v in probe.values.items() if v is not None)
    return f"{slot}: {over} {probe.load:g} {verdict} the limits ({values}){noisy}"
