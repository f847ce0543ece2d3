"""Terminal rendering of the capability summary, gate results and baseline comparison.

Every function returns plain lines (no colours, no trailing newlines) so the plugin can hand
them to `terminalreporter.write_line` and tests can read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_qnext.report.baseline import Comparison
from pytest_qnext.report.gates import GateResult
from pytest_qnext.sample import OUTCOMES

__all__ = [
    "MAX_FLIPS_SHOWN",
    "capability_table",
    "collection_lines",
    "comparison_lines",
    "gate_lines",
]

MAX_FLIPS_SHOWN = 20
HEADERS = ("task_type", "metric", "dataset_name", "average_score", "count", "95% CI", "outcomes")
_SHORT = {
    "pass": "pass",
    "fail": "fail",
    "unparsed": "unparsed",
    "truncated": "trunc",
    "error": "error",
    "skipped": "skip",
}


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _ci(row: Mapping[str, Any]) -> str:
    low, high = row.get("ci_low"), row.get("ci_high")
    if low is None or high is None:
        return "-"
    return f"[{low:.4f}, {high:.4f}]"


def _outcomes(counts: Mapping[str, int]) -> str:
    parts = [f"{_SHORT[name]} {counts[name]}" for name in OUTCOMES if counts.get(name)]
    return ", ".join(parts) or "-"


def _render(
    rows: Sequence[Sequence[str]], numeric: frozenset[int] = frozenset({3, 4})
) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(w) if i in numeric and n > 0 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append(" | ".join(cells).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return lines


def capability_table(summary: Mapping[str, Any], subsets: bool = False) -> list[str]:
    """The seed's table (task_type | metric | dataset_name | average_score | count) plus the
    95 % CI and outcome counts; `subsets` adds one indented line per subset under each row."""
    table = summary.get("table", [])
    if not table:
        return ["qnext capability: no scored datasets"]
    rows: list[list[str]] = [list(HEADERS)]
    for entry in table:
        rows.append(
            [
                str(entry["task_type"]),
                str(entry["metric"]),
                str(entry["dataset_name"]),
                _score(entry["average_score"]),
                str(entry["count"]),
                _ci(entry),
                _outcomes(entry.get("outcomes", {})),
            ]
        )
        if subsets and len(entry.get("subsets", [])) > 1:
            for sub in entry["subsets"]:
                rows.append(
                    [
                        "",
                        "",
                        f"  {sub['subset']}",
                        _score(sub["average_score"]),
                        str(sub["count"]),
                        "",
                        "",
                    ]
                )
    return _render(rows)


def _average(entry: Mapping[str, Any], name: str) -> list[str]:
    low, high = entry[f"{name}_ci"]
    return [f"{entry[f'{name}_avg']:.4f}", f"[{low:.4f}, {high:.4f}]"]


def collection_lines(summary: Mapping[str, Any], levels: Sequence[str] = ()) -> list[str]:
    """A collection run's levels: the whole collection, then every entry of each of `levels`
    (subset, dataset, task_type, tag, category), each with its count and the micro, macro and
    weighted averages with their 95 % intervals. Nothing for a run without a collection."""
    from pytest_qnext.report.collection import COLLECTION, entry_key, find_entry

    block = summary.get(COLLECTION)
    if not isinstance(block, Mapping):
        return []
    source = f" from {block['source']}" if block.get("source") else ""
    head = f"qnext collection {block.get('name', '')}{source}"
    if block.get("shuffled"):
        head += " (shuffled)"
    averages = ("micro", "macro", "weighted")
    rows: list[list[str]] = [["level", "key", "count"]]
    for name in averages:
        rows[0] += [f"{name}_avg", "95% CI"]
    whole, _ = find_entry(block, None, None)
    picked = [("collection", entry) for entry in ([whole] if whole is not None else [])]
    for level in levels:
        picked += [(level, entry) for entry in block.get("levels", {}).get(level, [])]
    if not picked:
        return [f"{head}: no scored samples"]
    for level, entry in picked:
        key = block.get("name", "") if level == "collection" else entry_key(level, entry)
        row = [level, str(key), str(entry["count"])]
        for name in averages:
            row += _average(entry, name)
        rows.append(row)
    return [head, *_render(rows, numeric=frozenset({2, 3, 5, 7}))]


def retry_lines(summary: Mapping[str, Any]) -> list[str]:
    """One line per dataset whose answers needed retries (none when no request was retried)."""
    lines = []
    for name, info in summary.get("datasets", {}).items():
        retried = info.get("retried") or {}
        if not retried.get("requests"):
            continue
        kinds = ", ".join(f"{k} x{n}" for k, n in retried.get("attempts", {}).items())
        lines.append(
            f"qnext retries: {name}: {retried['requests']} of {info.get('count', '?')} answers "
            f"came after retried attempts ({kinds}); only each final answer is scored"
        )
    return lines


def gate_lines(results: Sequence[GateResult | Mapping[str, Any]]) -> list[str]:
    """One line per gate: PASS/FAIL, the gate, and its message."""
    lines = []
    for result in results:
        data = result.to_dict() if isinstance(result, GateResult) else result
        mark = "PASS" if data["passed"] else "FAIL"
        lines.append(f"gate {mark} {data['name']}: {data['message']}")
    return lines


def _flip_text(flips: Sequence[Mapping[str, Any]]) -> str:
    shown = [
        f"{f['sample_id']}" + (f"#r{f['repeat']}" if f.get("repeat") else "")
        for f in flips[:MAX_FLIPS_SHOWN]
    ]
    more = len(flips) - len(shown)
    return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def comparison_lines(comparison: Comparison | Mapping[str, Any]) -> list[str]:
    """The baseline comparison: one verdict line per dataset with the p-value, flip lists."""
    data = comparison.to_dict() if isinstance(comparison, Comparison) else comparison
    head = f"baseline {data['baseline_dir']}"
    if data.get("refused"):
        return [f"{head}: {data['refused']}", *gate_lines(data.get("gates", []))]
    lines = [head + (" (forced despite fingerprint differences)" if data.get("forced") else "")]
    for ds in data["datasets"]:
        if not ds["paired"]:
            lines.append(f"  {ds['dataset']}: no paired samples")
            continue
        lines.append(
            f"  {ds['dataset']}: {ds['verdict']} {ds['baseline_rate']:.4f} -> "
            f"{ds['current_rate']:.4f} ({ds['delta']:+.4f}), McNemar p={ds['p_value']:.3g}, "
            f"n={ds['paired']}, pass->fail {ds['pass_to_fail']}, fail->pass {ds['fail_to_pass']}"
        )
        if ds["flips_pass_to_fail"]:
            lines.append(f"    pass->fail: {_flip_text(ds['flips_pass_to_fail'])}")
    whole = data.get("collection")
    if whole and whole.get("delta") is not None:
        low, high = whole["delta_ci"]
        lines.append(
            f"  collection: {whole['verdict']} weighted {whole['baseline_weighted']:.4f} -> "
            f"{whole['current_weighted']:.4f} ({whole['delta']:+.4f}, 95% CI [{low:+.4f}, "
            f"{high:+.4f}]), McNemar p={whole['p_value']:.3g}, n={whole['paired']}, "
            f"pass->fail {whole['pass_to_fail']}, fail->pass {whole['fail_to_pass']}"
        )
    elif whole:
        lines.append("  collection: no paired samples")
    for key, label in (
        ("only_in_current", "not in baseline"),
        ("only_in_baseline", "not in this run"),
    ):
        if data.get(key):
            lines.append(f"  {label}: {', '.join(data[key])}")
    return lines + gate_lines(data.get("gates", []))
