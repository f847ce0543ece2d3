"""Paired comparison against a previous report directory (`--qnext-baseline DIR`).

Rows are paired on (dataset, sample_id, repeat) where both runs scored the sample (skipped rows
are left out). Per dataset, "pass" vs "not pass" is compared with the exact McNemar test on the
discordant pairs: b = pass -> not pass, c = not pass -> pass. Verdict: `regressed` when
p < alpha and b > c, `improved` when p < alpha and c > b, otherwise `inconclusive`.

Runs whose fingerprints differ (dataset content hash, prompt/scorer version, generation config,
model id) are not compared unless `force=True`: `Comparison.refused` then says why.
`max_drop` adds one gate per dataset that fails when the paired pass rate dropped by more than
`max_drop` AND the drop is significant.

A collection run (rows with `SampleRow.collection`) is also compared as a whole
(`Comparison.collection`): on the samples both runs scored, the weighted average of the primary
metric in each run (the current run's leaf weights, shared by both), the paired difference with
a stratified bootstrap 95 % interval (differences resampled within leaves), and McNemar on the
pooled pass/not-pass pairs. Verdict `regressed`/`improved` when the interval excludes 0;
`max_drop` adds a `collection.max_drop` gate that fails when the weighted average dropped by
more than `max_drop` AND the interval lies below 0. The baseline may be a direct run of the
same samples: rows pair on (dataset, sample_id, repeat) whatever produced them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pytest_qnext.report.gates import GateResult
from pytest_qnext.rows import RowKey, SampleRow, sort_key
from pytest_qnext.scoring.stats import mcnemar_exact

__all__ = [
    "ALPHA",
    "BaselineError",
    "Comparison",
    "DatasetComparison",
    "compare",
    "compare_collection",
    "load_baseline",
]

ALPHA = 0.05


class BaselineError(Exception):
    """The baseline directory cannot be read; the message is one line saying how to fix it."""


@dataclass(frozen=True)
class DatasetComparison:
    dataset: str
    paired: int  # pairs where both runs scored the sample
    baseline_pass: int
    current_pass: int
    baseline_rate: float | None  # pass rate on the paired rows
    current_rate: float | None
    delta: float | None  # current_rate - baseline_rate
    pass_to_fail: int  # b
    fail_to_pass: int  # c
    p_value: float
    verdict: str  # improved | regressed | inconclusive
    flips_pass_to_fail: list[dict[str, Any]] = field(default_factory=list)
    flips_fail_to_pass: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    baseline_dir: str
    alpha: float
    refused: str | None  # why the runs were not compared (fingerprints differ), else None
    forced: bool
    datasets: list[DatasetComparison]
    only_in_current: list[str]
    only_in_baseline: list[str]
    fingerprint_differences: dict[str, list[str]]
    gates: list[GateResult]
    collection: dict[str, Any] | None = None  # the collection as a whole (module docstring)

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline_dir": self.baseline_dir,
            "alpha": self.alpha,
            "refused": self.refused,
            "forced": self.forced,
            "datasets": [d.to_dict() for d in self.datasets],
            "only_in_current": list(self.only_in_current),
            "only_in_baseline": list(self.only_in_baseline),
            "fingerprint_differences": {
                k: list(v) for k, v in self.fingerprint_differences.items()
            },
            "gates": [g.to_dict() for g in self.gates],
            "collection": self.collection,
        }


def load_baseline(baseline_dir: Path | str) -> tuple[dict[str, Any], list[SampleRow]]:
    """(summary, rows) of a report directory; BaselineError with one line when unreadable."""
    path = Path(baseline_dir)
    summary_path = path / "summary.json"
    samples_path = path / "samples.jsonl"
    for required in (summary_path, samples_path):
        if not required.is_file():
            raise BaselineError(
                f"baseline {path} has no {required.name}; point --qnext-baseline at a report "
                "dir written by --qnext-report-dir"
            )
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BaselineError(f"baseline {summary_path} is not valid JSON ({exc})") from None
    if not isinstance(summary, dict) or "table" not in summary:
        raise BaselineError(f"baseline {summary_path} has no 'table'; is it a qnext summary?")
    rows: list[SampleRow] = []
    with samples_path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(SampleRow.from_json(json.loads(line)))
            except ValueError as exc:  # bad JSON, or a RowError naming the field
                raise BaselineError(
                    f"baseline {samples_path} line {lineno} is not a sample row ({exc})"
                ) from None
    return summary, rows


def _fingerprint_diffs(
    current: Mapping[str, Any], baseline: Mapping[str, Any], datasets: Sequence[str]
) -> dict[str, list[str]]:
    diffs: dict[str, list[str]] = {}
    for name in datasets:
        cur = current.get(name, {}) or {}
        base = baseline.get(name, {}) or {}
        keys = sorted(k for k in set(cur) | set(base) if cur.get(k) != base.get(k))
        if keys:
            diffs[name] = keys
    return diffs


def _flip(key: RowKey) -> dict[str, Any]:
    return {"sample_id": key[1], "repeat": key[2]}


def _compare_dataset(
    name: str,
    current: Mapping[RowKey, SampleRow],
    baseline: Mapping[RowKey, SampleRow],
    alpha: float,
) -> DatasetComparison:
    keys = sorted(
        (k for k in current if k[0] == name and k in baseline),
        key=sort_key,
    )
    b_flips: list[dict[str, Any]] = []
    c_flips: list[dict[str, Any]] = []
    base_pass = cur_pass = 0
    for key in keys:
        was = baseline[key].outcome == "pass"
        now = current[key].outcome == "pass"
        base_pass += was
        cur_pass += now
        if was and not now:
            b_flips.append(_flip(key))
        elif now and not was:
            c_flips.append(_flip(key))
    n = len(keys)
    b, c = len(b_flips), len(c_flips)
    p = mcnemar_exact(b, c)
    verdict = "inconclusive"
    if p < alpha and b != c:
        verdict = "regressed" if b > c else "improved"
    base_rate = base_pass / n if n else None
    cur_rate = cur_pass / n if n else None
    delta = cur_rate - base_rate if cur_rate is not None and base_rate is not None else None
    return DatasetComparison(
        name,
        n,
        base_pass,
        cur_pass,
        base_rate,
        cur_rate,
        delta,
        b,
        c,
        p,
        verdict,
        b_flips,
        c_flips,
    )


def _drop_gate(dc: DatasetComparison, max_drop: float, alpha: float) -> GateResult:
    name = f"{dc.dataset}.max_drop<={max_drop:g}"
    if dc.delta is None:
        return GateResult(
            name,
            False,
            None,
            max_drop,
            "cannot check: no paired samples with the baseline",
            dc.dataset,
        )
    drop = (dc.baseline_rate or 0.0) - (dc.current_rate or 0.0)  # never -0.0
    significant = dc.p_value < alpha and dc.pass_to_fail > dc.fail_to_pass
    failed = drop > max_drop and significant
    message = (
        f"paired pass rate {dc.baseline_rate:.4f} -> {dc.current_rate:.4f} "
        f"(drop {drop:+.4f}, McNemar p={dc.p_value:.3g}, n={dc.paired}): "
        + (
            "significant drop above the limit"
            if failed
            else "within the limit"
            if drop <= max_drop
            else "drop not significant"
        )
    )
    return GateResult(name, not failed, drop, max_drop, message, dc.dataset)


def compare(
    current_summary: Mapping[str, Any],
    current_rows: Sequence[SampleRow],
    baseline_dir: Path | str,
    *,
    max_drop: float | None = None,
    force: bool = False,
    alpha: float = ALPHA,
) -> Comparison:
    """Compare the current run with the report in `baseline_dir` (see the module docstring).

    Raises BaselineError when the baseline cannot be read; a fingerprint mismatch is not an
    exception but `Comparison.refused` (and failing max_drop gates, since nothing was checked).
    """
    if max_drop is not None and not 0.0 <= max_drop <= 1.0:
        raise BaselineError(f"max_drop must be a fraction in [0, 1], got {max_drop!r}")
    base_summary, base_rows = load_baseline(baseline_dir)
    current = {r.key: r for r in current_rows if r.outcome != "skipped"}
    baseline = {r.key: r for r in base_rows if r.outcome != "skipped"}
    cur_names = set(current_summary.get("datasets", {})) | {k[0] for k in current}
    base_names = set(base_summary.get("datasets", {})) | {k[0] for k in baseline}
    shared = sorted(cur_names & base_names)
    # compare as JSON sees it (the baseline was read from JSON: tuples are lists there)
    current_fp = json.loads(json.dumps(current_summary.get("fingerprint", {}), default=str))
    diffs = _fingerprint_diffs(current_fp, base_summary.get("fingerprint", {}), shared)
    refused = None
    if diffs and not force:
        detail = "; ".join(f"{name}: {', '.join(keys)}" for name, keys in diffs.items())
        refused = (
            f"not compared with baseline {baseline_dir}: run fingerprints differ ({detail}); "
            "use --qnext-baseline-force to compare anyway"
        )
    datasets = [] if refused else [_compare_dataset(n, current, baseline, alpha) for n in shared]
    gates: list[GateResult] = []
    if max_drop is not None:
        if refused:
            gates = [
                GateResult(
                    f"max_drop<={max_drop:g}", False, None, max_drop, f"cannot check: {refused}"
                )
            ]
        else:
            gates = [_drop_gate(dc, max_drop, alpha) for dc in datasets]
            if not datasets:
                gates = [
                    GateResult(
                        f"max_drop<={max_drop:g}",
                        False,
                        None,
                        max_drop,
                        "cannot check: no dataset in common with the baseline",
                    )
                ]
    whole = None
    if not refused:
        primary = {
            n: i.get("primary_metric") for n, i in current_summary.get("datasets", {}).items()
        }
        whole = compare_collection(current, baseline, primary, alpha=alpha)
        if whole is not None and max_drop is not None:
            gates.append(_collection_drop_gate(whole, max_drop))
    return Comparison(
        baseline_dir=str(baseline_dir),
        alpha=alpha,
        refused=refused,
        forced=bool(diffs) and force,
        datasets=datasets,
        only_in_current=sorted(cur_names - base_names),
        only_in_baseline=sorted(base_names - cur_names),
        fingerprint_differences=diffs,
        gates=gates,
        collection=whole,
    )


def compare_collection(
    current: Mapping[RowKey, SampleRow],
    baseline: Mapping[RowKey, SampleRow],
    primary: Mapping[str, str | None],
    *,
    alpha: float = ALPHA,
    seed: int = 0,
) -> dict[str, Any] | None:
    """The collection compared as a whole on the pairs both runs scored (module docstring);
    None when the current run evaluated no collection. Rows are scored, never skipped."""
    from pytest_qnext.collections.levels import weighted_mean_ci
    from pytest_qnext.report.collection import primary_score

    mine = {k: r for k, r in current.items() if r.collection is not None}
    if not mine:
        return None
    by_leaf: dict[tuple[tuple[str, ...], str], list[tuple[float, float]]] = {}
    weight: dict[tuple[tuple[str, ...], str], float] = {}
    b = c = 0
    for key in sorted(set(mine) & set(baseline), key=sort_key):
        now, was = mine[key], baseline[key]
        metric = primary.get(key[0])
        cur, base = primary_score(now, metric), primary_score(was, metric)
        if cur is None or base is None:
            continue
        leaf = (tuple((now.collection or {})["categories"]), key[0])
        by_leaf.setdefault(leaf, []).append((base, cur))
        weight[leaf] = float((now.collection or {})["weight"])
        b += was.outcome == "pass" and now.outcome != "pass"
        c += now.outcome == "pass" and was.outcome != "pass"
    paired = sum(len(v) for v in by_leaf.values())
    out: dict[str, Any] = {"paired": paired, "pass_to_fail": b, "fail_to_pass": c}
    if not paired:
        return {
            **out,
            "verdict": "inconclusive",
            "baseline_weighted": None,
            "current_weighted": None,
            "delta": None,
            "delta_ci": None,
            "p_value": 1.0,
        }
    leaves = sorted(by_leaf)
    masses = [weight[leaf] for leaf in leaves]
    strata = [by_leaf[leaf] for leaf in leaves]
    was_avg = _weighted([[p[0] for p in s] for s in strata], masses)
    now_avg = _weighted([[p[1] for p in s] for s in strata], masses)
    delta, (low, high) = weighted_mean_ci([[p[1] - p[0] for p in s] for s in strata], masses, seed)
    verdict = "regressed" if high < 0 else "improved" if low > 0 else "inconclusive"
    return {
        **out,
        "verdict": verdict,
        "baseline_weighted": was_avg,
        "current_weighted": now_avg,
        "delta": delta,
        "delta_ci": [low, high],
        "p_value": mcnemar_exact(b, c),
        "alpha": alpha,
    }


def _weighted(strata: Sequence[Sequence[float]], masses: Sequence[float]) -> float:
    means = [sum(s) / len(s) for s in strata]
    return sum(m * x for m, x in zip(masses, means, strict=True)) / sum(masses)


def _collection_drop_gate(whole: Mapping[str, Any], max_drop: float) -> GateResult:
    name = f"collection.max_drop<={max_drop:g}"
    if whole["delta"] is None:
        return GateResult(
            name,
            False,
            None,
            max_drop,
            "cannot check: no paired collection samples with the baseline",
        )
    drop = -whole["delta"] + 0.0  # never -0.0
    low, high = whole["delta_ci"]
    failed = drop > max_drop and high < 0
    verdict = (
        "significant drop above the limit"
        if failed
        else "within the limit"
        if drop <= max_drop
        else "drop not significant"
    )
    message = (
        f"paired weighted average {whole['baseline_weighted']:.4f} -> "
        f"{whole['current_weighted']:.4f} (drop {drop:+.4f}, 95% CI of the change "
        f"[{low:+.4f}, {high:+.4f}], n={whole['paired']}): {verdict}"
    )
    return GateResult(name, not failed, drop, max_drop, message)
