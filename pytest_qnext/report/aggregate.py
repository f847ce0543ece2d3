"""Aggregation of per-sample rows into the capability summary (controller process only).

Rows and dataset meta arrive as `SampleRow` / `DatasetMeta` (pytest_qnext/rows.py). The
summary is deterministic: it depends only on the set of rows, never on the order they arrived
in (xdist workers report in any order), because rows are keyed and sorted first. A dataset's
breakdown comes from its benchmark's hook (EvalSpec.breakdown); this layer knows no benchmark.

Scores are micro averages: sum(num) / sum(den) over every row whose outcome is not
"skipped"; error and truncated rows carry zero numerators and stay in the denominators.

Rows of a collection run (`SampleRow.collection` set) give the seed's table for a collection:
one row per dataset with its primary metric and the schema's task type; and summary.json
`collection` holds the five collection levels (report/collection.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_qnext.report.collection import collection_summary
from pytest_qnext.report.gates import RATE_NAMES, Gate, evaluate_gates, parse_gate
from pytest_qnext.rows import DatasetMeta, RowError, RowKey, SampleRow, sort_key
from pytest_qnext.sample import OUTCOMES
from pytest_qnext.scoring.stats import bootstrap_ci, is_binary, micro_mean, wilson_interval

if TYPE_CHECKING:
    from pytest_qnext.evals.base import Breakdown
    from pytest_qnext.evals.registry import Registry

__all__ = ["Aggregator", "RowError", "registry_breakdown"]

SCHEMA_VERSION = 2  # 2: rows nest details and carry messages; per-benchmark "breakdowns"


def registry_breakdown(dataset: str, benchmarks: Registry | None = None) -> Breakdown | None:
    """The breakdown hook of the benchmark `dataset` names in `benchmarks` (the session's
    registry; the installed benchmarks when None), or None when no benchmark has that name.
    The registry is imported only when a summary is built."""
    from pytest_qnext.evals import registry

    try:
        registered = benchmarks if benchmarks is not None else registry.default()
        return registered.get(dataset).breakdown
    except KeyError:  # RegistryError: not a benchmark (e.g. a test's own dataset name)
        return None


def _outcome_counts(rows: Iterable[SampleRow]) -> dict[str, int]:
    counts = Counter(row.outcome for row in rows)
    return {name: counts.get(name, 0) for name in OUTCOMES}


def _rates(counts: Mapping[str, int]) -> dict[str, float | int]:
    scored = sum(n for name, n in counts.items() if name != "skipped")
    out: dict[str, float | int] = {"count": scored}
    for rate in RATE_NAMES:
        outcome = rate.removesuffix("_rate")
        out[rate] = counts.get(outcome, 0) / scored if scored else 0.0
    return out


def _retried(rows: Iterable[SampleRow]) -> dict[str, Any]:
    """How many answers came after retried attempts, and the error kinds of those attempts.
    A request that failed after its retries is no answer: it is an `error` row (its retried
    attempts stay in the row), not counted here."""
    kinds: Counter[str] = Counter()
    requests = 0
    for row in rows:
        if row.retried and row.outcome not in ("error", "skipped"):
            requests += 1
            kinds.update(row.retried)
    return {"requests": requests, "attempts": dict(sorted(kinds.items()))}


class Aggregator:
    """Collects rows and dataset meta; `summary()` builds the summary.json content.

    `dataset_order`: table order of datasets (e.g. the --qnext-datasets order); datasets not in
    it follow, sorted by name. `confidence`, `n_resamples` and `seed` drive the CIs.
    `breakdown_for(dataset)` gives a dataset's breakdown hook (default: the registered
    benchmark's `EvalSpec.breakdown`).
    """

    def __init__(
        self,
        *,
        dataset_order: Sequence[str] | None = None,
        confidence: float = 0.95,
        n_resamples: int = 1000,
        seed: int = 0,
        breakdown_for: Callable[[str], Breakdown | None] = registry_breakdown,
    ) -> None:
        self._rows: dict[RowKey, SampleRow] = {}
        self._meta: dict[str, DatasetMeta] = {}
        self._order = list(dataset_order or [])
        self.confidence = confidence
        self.n_resamples = n_resamples
        self.seed = seed
        self._breakdown_for = breakdown_for
        self._input_warnings: list[str] = []
        self._summary_warnings: list[str] = []

    @property
    def warnings(self) -> list[str]:
        """Duplicate rows, conflicting meta, and what the last `summary()` call noticed."""
        return self._input_warnings + self._summary_warnings

    # -- input ---------------------------------------------------------------------------
    def add_row(self, row: SampleRow) -> None:
        """Add one sample row; a second row for the same (dataset, sample_id, repeat) replaces
        the first and is recorded in `warnings`."""
        key = row.key
        if key in self._rows:
            self._input_warnings.append(
                f"duplicate row for {key[0]}/{key[1]} repeat {key[2]}: kept the last one"
            )
        self._rows[key] = row

    def add_warning(self, text: str) -> None:
        """A line for the summary's warnings (e.g. the engine's cache trouble); once each."""
        if text not in self._input_warnings:
            self._input_warnings.append(text)

    def add_dataset_meta(self, meta: DatasetMeta) -> None:
        """Add a dataset's meta (task_type, primary_metric, metrics, fingerprint)."""
        old = self._meta.get(meta.dataset)
        if old is not None and old != meta:
            self._input_warnings.append(
                f"dataset {meta.dataset}: conflicting meta received; kept the last one"
            )
        self._meta[meta.dataset] = meta

    def __len__(self) -> int:
        """The number of rows (without sorting them)."""
        return len(self._rows)

    @property
    def rows(self) -> list[SampleRow]:
        """All rows, sorted by dataset / sample_id / repeat."""
        return [self._rows[k] for k in sorted(self._rows, key=sort_key)]

    def datasets(self) -> list[str]:
        names = {k[0] for k in self._rows} | set(self._meta)
        first = [d for d in self._order if d in names]
        return first + sorted(names - set(first))

    # -- output --------------------------------------------------------------------------
    def _metric_names(self, dataset: str, rows: Sequence[SampleRow]) -> list[str]:
        meta = self._meta.get(dataset)
        seen = {m for row in rows for m in row.metrics}
        if meta and meta.metrics:
            listed = list(meta.metrics)
            return listed + sorted(seen - set(listed))
        return sorted(seen)

    def _ci(
        self, nums: list[float], dens: list[float], clusters: list[str], repeats: bool
    ) -> tuple[float | None, float | None, str | None]:
        if not nums or math.fsum(dens) <= 0:
            return None, None, None
        if is_binary(nums, dens) and not repeats:
            low, high = wilson_interval(math.fsum(nums), len(nums), self.confidence)
            return low, high, "wilson"
        ci = bootstrap_ci(
            nums,
            dens,
            clusters,
            confidence=self.confidence,
            n_resamples=self.n_resamples,
            seed=self.seed,
        )
        if ci is None:
            return None, None, None
        method = "bootstrap_cluster" if repeats else "bootstrap"
        return ci[0], ci[1], method

    def _metric_values(
        self, rows: Sequence[SampleRow], metric: str, dataset: str
    ) -> tuple[list[float], list[float], list[str]]:
        nums: list[float] = []
        dens: list[float] = []
        ids: list[str] = []
        missing = 0
        for row in rows:
            pair = row.metrics.get(metric)
            if pair is None:
                missing += 1
                continue
            nums.append(pair[0])
            dens.append(pair[1])
            ids.append(row.sample_id)
        if missing:
            self._summary_warnings.append(
                f"dataset {dataset}: {missing} scored row(s) lack metric {metric!r}; "
                "left out of that metric"
            )
        return nums, dens, ids

    def _table_rows(self, dataset: str, rows: list[SampleRow]) -> list[dict[str, Any]]:
        scored = [r for r in rows if r.outcome != "skipped"]
        counts = _outcome_counts(rows)
        meta = self._meta.get(dataset)
        task_type = meta.task_type if meta else "unknown"
        repeats = len({r.sample_id for r in scored}) < len(scored)
        subsets = sorted({r.subset for r in scored})
        metrics = self._metric_names(dataset, rows)
        leaves = [r.collection for r in rows if r.collection is not None]
        if leaves:
            # a collection's dataset: the seed's one row, its main metric, the schema's task type
            task_type = ",".join(dict.fromkeys(str(leaf["task_type"]) for leaf in leaves))
            primary = meta.primary_metric if meta and meta.primary_metric else None
            metrics = [primary or metrics[0]] if metrics else []
        out = []
        for metric in metrics:
            nums, dens, ids = self._metric_values(scored, metric, dataset)
            low, high, method = self._ci(nums, dens, ids, repeats)
            sub_rows = []
            for subset in subsets:
                pairs = [
                    r.metrics[metric] for r in scored if r.subset == subset and metric in r.metrics
                ]
                sub_rows.append(
                    {
                        "subset": subset,
                        "average_score": micro_mean([p[0] for p in pairs], [p[1] for p in pairs]),
                        "count": len(pairs),
                    }
                )
            out.append(
                {
                    "task_type": task_type,
                    "metric": metric,
                    "dataset_name": dataset,
                    "average_score": micro_mean(nums, dens),
                    "count": len(scored),
                    "ci_low": low,
                    "ci_high": high,
                    "ci_method": method,
                    "outcomes": dict(counts),
                    "subsets": sub_rows,
                }
            )
        return out

    def _breakdown(self, dataset: str, scored: Sequence[SampleRow]) -> dict[str, Any] | None:
        """The dataset's own breakdown of its scored rows (a failing hook becomes a warning)."""
        hook = self._breakdown_for(dataset)
        if hook is None or not scored:
            return None
        try:
            return hook(scored)
        except Exception as exc:
            text = " ".join(str(exc).split()) or type(exc).__name__
            self._summary_warnings.append(
                f"dataset {dataset}: its breakdown failed ({type(exc).__name__}: {text}); "
                "left out of the report"
            )
            return None

    def summary(
        self,
        fingerprint_extra: Mapping[str, Any] | None = None,
        gates: Sequence[Gate | str] | None = None,
    ) -> dict[str, Any]:
        """The summary.json content (without `perf` and `comparison`, which writers add).

        `fingerprint_extra` (model id, generation config, ...) is merged into every dataset's
        fingerprint. `gates` (Gate objects or strings like "mmlu_pro>=0.75") are evaluated and
        their results stored under "gates". `breakdowns` holds each dataset's breakdown hook
        result (datasets whose hook gave None are left out).
        """
        self._summary_warnings = []
        by_dataset: dict[str, list[SampleRow]] = {d: [] for d in self.datasets()}
        for row in self.rows:
            by_dataset[row.dataset].append(row)
        table: list[dict[str, Any]] = []
        datasets: dict[str, Any] = {}
        fingerprint: dict[str, Any] = {}
        rate_by_ds: dict[str, Any] = {}
        breakdowns: dict[str, Any] = {}
        for name, rows in by_dataset.items():
            meta = self._meta.get(name)
            if meta is None:
                self._summary_warnings.append(
                    f"dataset {name}: no meta received (task_type unknown)"
                )
                meta = DatasetMeta(name)
            ds_table = self._table_rows(name, rows)
            table.extend(ds_table)
            counts = _outcome_counts(rows)
            primary = meta.primary_metric or (ds_table[0]["metric"] if ds_table else None)
            primary_row = next((t for t in ds_table if t["metric"] == primary), None)
            scored = [r for r in rows if r.outcome != "skipped"]
            datasets[name] = {
                "task_type": meta.task_type,
                "primary_metric": primary,
                "score": primary_row["average_score"] if primary_row else None,
                "metrics": [t["metric"] for t in ds_table],
                "count": len(scored),
                "samples": len({r.sample_id for r in scored}),
                "repeats": max((r.repeat for r in scored), default=-1) + 1,
                "outcomes": counts,
                "retried": _retried(rows),
            }
            fp = dict(meta.fingerprint)
            fp.update(fingerprint_extra or {})
            fingerprint[name] = dict(sorted(fp.items()))
            rate_by_ds[name] = _rates(counts)
            breakdown = self._breakdown(name, scored)
            if breakdown is not None:
                breakdowns[name] = breakdown
        all_counts = _outcome_counts(self._rows.values())
        collection, notes = collection_summary(
            self.rows,
            self._meta,
            {name: info["primary_metric"] for name, info in datasets.items()},
            seed=self.seed,
            confidence=self.confidence,
            n_resamples=self.n_resamples,
        )
        self._summary_warnings += notes
        summary: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "table": table,
            "datasets": datasets,
            "fingerprint": fingerprint,
            "outcome_rates": {"run": _rates(all_counts), "datasets": rate_by_ds},
            "breakdowns": breakdowns,
            "gates": [],
            "perf": [],
            "warnings": list(self.warnings),
        }
        if collection is not None:
            summary["collection"] = collection
        if gates:
            parsed = [g if isinstance(g, Gate) else parse_gate(g) for g in gates]
            summary["gates"] = [r.to_dict() for r in evaluate_gates(parsed, summary)]
        return summary
