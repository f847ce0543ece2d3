"""The terminal summary table of a sweep: one row per point (like EvalScope's perf summary)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_qnext.perf.catalog import display_scale

__all__ = ["COLUMNS", "GOODPUT_COLUMNS", "SERVER_COLUMNS", "format_table", "notes"]

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
# shown when the points have them: goodput (--qnext-goodput), the server's view (/metrics)
GOODPUT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Good %", "good_fraction", ".1f"),
    ("Good req/s", "goodput", ".2f"),
    ("Good tok/s", "good_output_throughput", ".1f"),
)
SERVER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Par", "parallel", "d"),
    ("Num", "number", "d"),
    ("Srv run mean", "server_running_mean", ".1f"),
    ("max", "server_running_max", ".0f"),
    ("Wait max", "server_waiting_max", ".0f"),
    ("KV max %", "server_kv_usage_max", ".1f"),
    ("Prefix hit %", "server_prefix_hit_rate", ".1f"),
    ("Preempt", "server_preemptions", ".0f"),
    ("Srv TTFT ms p50", "server_ttft_p50", ".1f"),
    ("ours", "ttft_p50", ".1f"),
    ("Srv E2E s p50", "server_e2e_p50", ".3f"),
    ("ours", "e2e_p50", ".3f"),
)
# columns not shown in the catalog's display unit
_SCALE = {
    "e2e_p50": 1.0,
    "server_e2e_p50": 1.0,
    "error_rate": 100.0,
    "good_fraction": 100.0,
    "server_kv_usage_max": 100.0,
    "server_prefix_hit_rate": 100.0,
}


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


def _lines(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str, str]]) -> list[str]:
    cells = [[_cell(r, key, fmt) for _h, key, fmt in columns] for r in rows]
    headers = [h for h, *_ in columns]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = [" | ".join(h.rjust(w) for h, w in zip(headers, widths, strict=False))]
    lines.append("-+-".join("-" * w for w in widths))
    lines.extend(" | ".join(c.rjust(w) for c, w in zip(row, widths, strict=False)) for row in cells)
    return lines


def format_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Aligned text lines: header, rule, one line per point (goodput columns when measured);
    then the server's own view beside ours when /metrics was scraped."""
    columns = list(COLUMNS)
    if any(r.get("good_fraction") is not None for r in rows):
        columns += GOODPUT_COLUMNS
    lines = _lines(rows, columns)
    if any(r.get("server_scrapes") for r in rows):
        lines.append("server view (/metrics) beside ours:")
        lines.extend(_lines(rows, SERVER_COLUMNS))
    return lines


def _point(r: Mapping[str, Any]) -> str:
    rate = r.get("rate")
    return f"parallel={r['parallel']} number={r['number']}" + (
        f" rate={rate:g}" if isinstance(rate, int | float) else ""
    )


def _mismatch_line(r: Mapping[str, Any]) -> str | None:
    """One line per point for every token-count mismatch kind, at most 3 examples."""
    counts = {k: int(r.get(f"{k}_mismatches") or 0) for k in ("prompt", "completion", "recount")}
    if not any(counts.values()):
        return None
    examples: list[Any] = []
    for kind, count in counts.items():
        if count:
            examples += [{"kind": kind, **e} for e in r.get(f"{kind}_mismatch_examples") or []]
    found = ", ".join(f"{kind} {count}" for kind, count in counts.items() if count)
    return f"{_point(r)}: token-count mismatches vs usage ({found}), e.g. {examples[:3]}"


def notes(
    rows: Sequence[Mapping[str, Any]], capacity: Mapping[str, float] | None = None
) -> list[str]:
    """Footnotes: flagged p99s, count mismatches (one line per point), loop-lag and client
    capacity warnings, errors, points cut by --qnext-duration, missing server metrics (once),
    per-turn latencies of multi_turn points."""
    out: list[str] = []
    if any(r.get("ttft_p99_low_n") or r.get("tpot_p99_low_n") for r in rows):
        out.append("* p99 from fewer than 100 values: it is (close to) the maximum")
    for r in rows:
        point = _point(r)
        line = _mismatch_line(r)
        if line:
            out.append(line)
        if r.get("missing_usage"):
            out.append(f"{point}: {r['missing_usage']} responses had no usage")
        if r.get("invalid_text"):
            out.append(
                f"{point}: {r['invalid_text']} responses held invalid text (lone surrogates), "
                "replaced by U+FFFD"
            )
        if r.get("errors"):
            out.append(
                f"{point}: errors {r.get('errors_by_kind')}, e.g. {r.get('error_examples', [])[:1]}"
            )
        if r.get("loop_lag_warning"):
            out.append(f"{point}: WARNING {r['loop_lag_warning']}")
        if capacity and isinstance(r.get("request_throughput"), int | float):
            limit = capacity.get("request_throughput")
            if limit and r["request_throughput"] * 2 >= limit:
                out.append(
                    f"{point}: WARNING {r['request_throughput']:.1f} req/s is within 2x of the "
                    f"client's own capacity ({limit:.1f} req/s): add --qnext-perf-workers"
                )
        sent = r.get("jobs_sent")
        if isinstance(sent, int) and sent < int(r.get("number") or 0):
            out.append(f"{point}: --qnext-duration ended the point after {sent} requests")
        for turn in r.get("turns") or []:
            out.append(
                f"{point}: turn {turn['turn']}: n={turn['n']} TTFT p50 "
                f"{_ms(turn.get('ttft_p50'))} ms, E2E p50 {_ms(turn.get('e2e_p50'))} ms, "
                f"prompt tokens {turn.get('prompt_tokens_mean', float('nan')):.0f}"
            )
        if r.get("server_error"):
            out.append(f"{point}: server metrics not read: {r['server_error']}")
        if r.get("server_missing_new"):
            out.append(f"server metrics not exposed: {', '.join(r['server_missing_new'])}")
    return out


def _ms(value: Any) -> str:
    if not isinstance(value, int | float) or math.isnan(value):
        return "-"
    return f"{value * 1e3:.1f}"
