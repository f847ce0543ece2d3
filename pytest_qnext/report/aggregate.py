"""Aggregation of per-sample rows into the capability summary (controller process only).

Rows and dataset meta are plain dicts (the row contract in DESIGN.md / the capability brief).
The summary is deterministic: it depends only on the set of rows, never on the order they
arrived in (xdist workers report in any order), because rows are keyed and sorted first.

Scores are micro averages: sum(num) / sum(den) over every row whose outcome is not
"skipped"; error and truncated rows carry zero numerators and stay in the denominators.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_qnext.report.gates import Gate, evaluate_gates, parse_gate
from pytest_qnext.report.rows import (
    OUTCOMES,
    RATE_NAMES,
    RowError,
    row_key,
    sort_key,
    validate_meta,
    validate_row,
)
from pytest_qnext.scoring.stats import bootstrap_ci, is_binary, micro_mean, wilson_interval

__all__ = ["Aggregator", "RowError"]

SCHEMA_VERSION = 1


def _outcome_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = Counter(str(row["outcome"]) for row in rows)
    return {name: counts.get(name, 0) for name in OUTCOMES}


def _rates(counts: Mapping[str, int]) -> dict[str, float | int]:
    scored = sum(n for name, n in counts.items() if name != "skipped")
    out: dict[str, float | int] = {"count": scored}
    for rate in RATE_NAMES:
        outcome = rate.removesuffix("_rate")
        out[rate] = counts.get(outcome, 0) / scored if scored else 0.0
    return out


def _retried(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """How many answers needed retries, and the error kinds of the retried attempts."""
    kinds: Counter[str] = Counter()
    requests = 0
    for row in rows:
        if row["retried"]:
            requests += 1
            kinds.update(row["retried"])
    return {"requests": requests, "attempts": dict(sorted(kinds.items()))}


def _inst_entries(row: Mapping[str, Any]) -> list[tuple[str, bool, bool]]:
    raw = row.get("inst_verdicts")
    if not raw:
        return []
    out: list[tuple[str, bool, bool]] = []
    for item in raw:
        if isinstance(item, Mapping):
            iid = item.get("instruction_id", item.get("id"))
            out.append((str(iid), bool(item.get("strict")), bool(item.get("loose"))))
        else:
            iid, strict, loose = item
            out.append((str(iid), bool(strict), bool(loose)))
    return out


def _breakdown(counter: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    out = []
    for name in sorted(counter):
        total, strict, loose = counter[name]
        out.append(
            {
                "instruction": name,
                "count": total,
                "strict": strict,
                "loose": loose,
                "strict_rate": strict / total if total else 0.0,
                "loose_rate": loose / total if total else 0.0,
            }
        )
    return out


def instruction_breakdown(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Per-instruction and per-family (part before ':') strict/loose counts, or None."""
    by_id: dict[str, list[int]] = {}
    by_family: dict[str, list[int]] = {}
    seen = False
    for row in rows:
        for iid, strict, loose in _inst_entries(row):
            seen = True
            for table, key in ((by_id, iid), (by_family, iid.split(":", 1)[0])):
                entry = table.setdefault(key, [0, 0, 0])
                entry[0] += 1
                entry[1] += int(strict)
                entry[2] += int(loose)
    if not seen:
        return None
    return {"by_instruction": _breakdown(by_id), "by_family": _breakdown(by_family)}


class Aggregator:
    """Collects rows and dataset meta; `summary()` builds the summary.json content.

    `dataset_order`: table order of datasets (e.g. the --qnext-datasets order); datasets not in
    it follow, sorted by name. `confidence`, `n_resamples` and `seed` drive the CIs.
    """

    def __init__(
        self,
        *,
        dataset_order: Sequence[str] | None = None,
        confidence: float = 0.95,
        n_resamples: int = 1000,
        seed: int = 0,
    ) -> None:
        self._rows: dict[tuple[str, str, int], dict[str, Any]] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._order = list(dataset_order or [])
        self.confidence = confidence
        self.n_resamples = n_resamples
        self.seed = seed
        self._input_warnings: list[str] = []
        self._summary_warnings: list[str] = []

    @property
    def warnings(self) -> list[str]:
        """Duplicate rows, conflicting meta, and what the last `summary()` call noticed."""
        return self._input_warnings + self._summary_warnings

    # -- input ---------------------------------------------------------------------------
    def add_row(self, row: Mapping[str, Any]) -> None:
        """Add one sample row; a second row for the same (dataset, sample_id, repeat) replaces
        the first and is recorded in `warnings`. Raises RowError for a malformed row."""
        clean = validate_row(row)
        key = row_key(clean)
        if key in self._rows:
            self._input_warnings.append(
                f"duplicate row for {key[0]}/{key[1]} repeat {key[2]}: kept the last one"
            )
        self._rows[key] = clean

    def add_dataset_meta(self, meta: Mapping[str, Any]) -> None:
        """Add a dataset's meta (task_type, primary_metric, metrics, fingerprint)."""
        clean = validate_meta(meta)
        name = clean["dataset"]
        old = self._meta.get(name)
        if old is not None and old != clean:
            self._input_warnings.append(
                f"dataset {name}: conflicting meta received; kept the last one"
            )
        self._meta[name] = clean

    def __len__(self) -> int:
        """The number of rows (without sorting them)."""
        return len(self._rows)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """All rows, sorted by dataset / sample_id / repeat."""
        return [self._rows[k] for k in sorted(self._rows, key=sort_key)]

    def datasets(self) -> list[str]:
        names = {k[0] for k in self._rows} | set(self._meta)
        first = [d for d in self._order if d in names]
        return first + sorted(names - set(first))

    # -- output --------------------------------------------------------------------------
    def _metric_names(self, dataset: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        meta = self._meta.get(dataset)
        seen = {m for row in rows for m in row["metrics"]}
        if meta and meta["metrics"]:
            listed = list(meta["metrics"])
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
        self, rows: Sequence[Mapping[str, Any]], metric: str, dataset: str
    ) -> tuple[list[float], list[float], list[str]]:
        nums: list[float] = []
        dens: list[float] = []
        ids: list[str] = []
        missing = 0
        for row in rows:
            pair = row["metrics"].get(metric)
            if pair is None:
                missing += 1
                continue
            nums.append(float(pair[0]))
            dens.append(float(pair[1]))
            ids.append(str(row["sample_id"]))
        if missing:
            self._summary_warnings.append(
                f"dataset {dataset}: {missing} scored row(s) lack metric {metric!r}; "
                "left out of that metric"
            )
        return nums, dens, ids

    def _table_rows(self, dataset: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        scored = [r for r in rows if r["outcome"] != "skipped"]
        counts = _outcome_counts(rows)
        meta = self._meta.get(dataset, {})
        task_type = meta.get("task_type", "unknown")
        repeats = len({r["sample_id"] for r in scored}) < len(scored)
        subsets = sorted({str(r["subset"]) for r in scored})
        out = []
        for metric in self._metric_names(dataset, rows):
            nums, dens, ids = self._metric_values(scored, metric, dataset)
            low, high, method = self._ci(nums, dens, ids, repeats)
            sub_rows = []
            for subset in subsets:
                in_sub = [r for r in scored if r["subset"] == subset and metric in r["metrics"]]
                s_nums = [float(r["metrics"][metric][0]) for r in in_sub]
                s_dens = [float(r["metrics"][metric][1]) for r in in_sub]
                sub_rows.append(
                    {
                        "subset": subset,
                        "average_score": micro_mean(s_nums, s_dens),
                        "count": len(in_sub),
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

    def summary(
        self,
        fingerprint_extra: Mapping[str, Any] | None = None,
        gates: Sequence[Gate | str] | None = None,
    ) -> dict[str, Any]:
        """The summary.json content (without `perf` and `comparison`, which writers add).

        `fingerprint_extra` (model id, generation config, ...) is merged into every dataset's
        fingerprint. `gates` (Gate objects or strings like "mmlu_pro>=0.75") are evaluated and
        their results stored under "gates".
        """
        self._summary_warnings = []
        by_dataset: dict[str, list[dict[str, Any]]] = {d: [] for d in self.datasets()}
        for row in self.rows:
            by_dataset[row["dataset"]].append(row)
        table: list[dict[str, Any]] = []
        datasets: dict[str, Any] = {}
        fingerprint: dict[str, Any] = {}
        rate_by_ds: dict[str, Any] = {}
        instructions: dict[str, Any] = {}
        for name, rows in by_dataset.items():
            meta = self._meta.get(name)
            if meta is None:
                self._summary_warnings.append(
                    f"dataset {name}: no meta received (task_type unknown)"
                )
            ds_table = self._table_rows(name, rows)
            table.extend(ds_table)
            counts = _outcome_counts(rows)
            primary = (meta or {}).get("primary_metric") or (
                ds_table[0]["metric"] if ds_table else None
            )
            primary_row = next((t for t in ds_table if t["metric"] == primary), None)
            scored = [r for r in rows if r["outcome"] != "skipped"]
            datasets[name] = {
                "task_type": (meta or {}).get("task_type", "unknown"),
                "primary_metric": primary,
                "score": primary_row["average_score"] if primary_row else None,
                "metrics": [t["metric"] for t in ds_table],
                "count": len(scored),
                "samples": len({r["sample_id"] for r in scored}),
                "repeats": max((int(r["repeat"]) for r in scored), default=-1) + 1,
                "outcomes": counts,
                "retried": _retried(rows),
            }
            fp = dict((meta or {}).get("fingerprint") or {})
            fp.update(fingerprint_extra or {})
            fingerprint[name] = dict(sorted(fp.items()))
            rate_by_ds[name] = _rates(counts)
            breakdown = instruction_breakdown(scored)
            if breakdown is not None:
                instructions[name] = breakdown
        all_counts = _outcome_counts(self._rows.values())
        summary: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "table": table,
            "datasets": datasets,
            "fingerprint": fingerprint,
            "outcome_rates": {"run": _rates(all_counts), "datasets": rate_by_ds},
            "instructions": instructions,
            "gates": [],
            "perf": [],
            "warnings": list(self.warnings),
        }
        if gates:
            parsed = [g if isinstance(g, Gate) else parse_gate(g) for g in gates]
            summary["gates"] = [r.to_dict() for r in evaluate_gates(parsed, summary)]
        return summary
