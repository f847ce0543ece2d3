"""The terminal summary table of a sweep: one row per point (like EvalScope's perf summary)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_qnext.perf.catalog import display_scale

__all__ = ["COLUMNS", "format_table", "notes"]

# (header, key, format); latencies are shown in the catalog's display unit (ms), except E2E
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Par", "parallel", "d"),
    ("Num", "number", "d"),
    ("Conc", "achieved_concurrency", ".2f"),
    ("Req/s", "request_throughput", ".2f"),
    ("Out tok/s", "output_throughput", ".1f"),
    ("Tot tok/s", "total_throughput", ".1f"),
    ("TTFT ms p50", "ttft_p50", ".1f"),
    ("TTFT p99", "ttft_p99", ".1f"),
    ("TPOT ms p50", "tpot_p50", ".2f"),
    ("TPOT p99", "tpot_p99", ".2f"),
    ("ITL ms p50", "itl_p50", ".2f"),
    ("E2E s p50", "e2e_p50", ".3f"),
    ("Tok/chunk", "tokens_per_chunk", ".2f"),
    ("Err %", "error_rate", ".1f"),
    ("Mismatch", "_mismatch", "d"),
)
# columns not shown in the catalog's display unit
_SCALE = {"e2e_p50": 1.0, "error_rate": 100.0}


def _cell(row: Mapping[str, Any], key: str, fmt: str) -> str:
    if key == "_mismatch":
        value: Any = sum(int(row.get(f"{k}_mismatches") or 0) for k in ("prompt", "completion"))
    else:
        value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    scale = _SCALE.get(key, display_scale(key))
    text = format(value * scale if scale != 1 else value, fmt)
    if key.endswith("_p99") and row.get(key.rsplit("_", 1)[0] + "_p99_low_n"):
        text += "*"
    return text


def format_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Aligned text lines: header, rule, one line per point."""
    cells = [[_cell(r, key, fmt) for _h, key, fmt in COLUMNS] for r in rows]
    headers = [h for h, *_ in COLUMNS]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = [" | ".join(h.rjust(w) for h, w in zip(headers, widths, strict=False))]
    lines.append("-+-".join("-" * w for w in widths))
    lines.extend(" | ".join(c.rjust(w) for c, w in zip(row, widths, strict=False)) for row in cells)
    return lines


def notes(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Footnotes: flagged p99s, count mismatches with examples, loop-lag warnings, errors."""
    out: list[str] = []
    if any(r.get("ttft_p99_low_n") or r.get("tpot_p99_low_n") for r in rows):
        out.append("* p99 from fewer than 100 values: it is (close to) the maximum")
    for r in rows:
        point = f"parallel={r['parallel']} number={r['number']}"
        for kind in ("prompt", "completion", "recount"):
            count = r.get(f"{kind}_mismatches") or 0
            if count:
                examples = r.get(f"{kind}_mismatch_examples") or []
                out.append(
                    f"{point}: {count} {kind} token-count mismatches vs usage, e.g. {examples[:3]}"
                )
        if r.get("missing_usage"):
            out.append(f"{point}: {r['missing_usage']} responses had no usage")
        if r.get("errors"):
            out.append(
                f"{point}: errors {r.get('errors_by_kind')}, e.g. {r.get('error_examples', [])[:1]}"
            )
        if r.get("loop_lag_warning"):
            out.append(f"{point}: WARNING {r['loop_lag_warning']}")
    return out
