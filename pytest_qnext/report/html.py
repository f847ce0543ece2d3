"""report.html: one self-contained offline page (inline CSS, JS and SVG; no network assets).

It is rendered from the same Jinja2 templates as `qnext view` (pytest_qnext/view/templates,
autoescaping on): the overview (seed table with CIs and outcome counts, score chart, gates,
baseline verdicts and flips, collection tree, per-benchmark breakdowns), the perf section
(sweep table and charts) and a sample browser that filters client-side.

Bounded for CI artifacts: a run with more than EMBED_ALL samples embeds the first
EMBED_FAILURES samples that did not pass (fail, unparsed, truncated, error), an evenly spaced
EMBED_PASSES of the passes and the first EMBED_SKIPPED skipped ones; every text field is cut
at EMBED_CHARS characters. The page says so and points to `qnext view`, which shows all.
Embedded rows go through `script_json` (`<`, `>`, `&` escaped) and the page script shows every
value as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_qnext.rows import SampleRow, sort_key
from pytest_qnext.view.loader import Run, normalise_row, row_score, summary_date
from pytest_qnext.view.pages import as_map, overview_context, render
from pytest_qnext.view.perfview import PerfRun, perf_context

__all__ = [
    "EMBED_ALL",
    "EMBED_CHARS",
    "EMBED_FAILURES",
    "EMBED_PASSES",
    "EMBED_SKIPPED",
    "embedded_rows",
    "render_html",
]

EMBED_ALL = 2500
EMBED_FAILURES = 2000
EMBED_PASSES = 500
EMBED_SKIPPED = 100
EMBED_CHARS = 20_000
_TEXT_FIELDS = ("prediction", "reasoning", "explanation")


def _cut(text: str) -> str:
    if len(text) <= EMBED_CHARS:
        return text
    return text[:EMBED_CHARS] + f"\n[… {len(text) - EMBED_CHARS} more characters: see qnext view]"


AnyRow = SampleRow | Mapping[str, Any]


def _field(row: AnyRow, name: str) -> Any:
    return getattr(row, name) if isinstance(row, SampleRow) else row.get(name)


def _order(row: AnyRow) -> tuple[Any, ...]:
    return sort_key(
        (
            str(_field(row, "dataset")),
            str(_field(row, "sample_id")),
            int(_field(row, "repeat") or 0),
        )
    )


def _select(rows: Sequence[AnyRow]) -> list[AnyRow]:
    """The rows to embed, in dataset / sample / repeat order (chosen before any is turned
    into its JSON form: a big run converts only the few it embeds)."""
    rows = sorted(rows, key=_order)
    if len(rows) <= EMBED_ALL:
        return list(rows)
    outcome = [_field(r, "outcome") for r in rows]
    bad = [r for r, o in zip(rows, outcome, strict=True) if o not in ("pass", "skipped")]
    passes = [r for r, o in zip(rows, outcome, strict=True) if o == "pass"]
    step = max(1, -(-len(passes) // EMBED_PASSES))
    skipped = [r for r, o in zip(rows, outcome, strict=True) if o == "skipped"]
    chosen = [*bad[:EMBED_FAILURES], *passes[::step][:EMBED_PASSES], *skipped[:EMBED_SKIPPED]]
    keep = {id(r) for r in chosen}
    return [r for r in rows if id(r) in keep]  # in the rows' own order


def _plain_rows(rows: Sequence[SampleRow | Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows as their samples.jsonl dicts (what the viewer reads)."""
    return [r.to_json() if isinstance(r, SampleRow) else r for r in rows]


def embedded_rows(
    doc: Mapping[str, Any], rows: Sequence[SampleRow | Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The rows report.html embeds (bounded, texts cut), normalised, each with its score."""
    datasets = as_map(doc.get("datasets"))
    out = []
    for raw in _plain_rows(_select(rows)):
        row = normalise_row(raw)
        row["score"] = row_score(row, as_map(datasets.get(row["dataset"])).get("primary_metric"))
        for key in _TEXT_FIELDS:
            row[key] = _cut(row[key])
        if row["messages"]:
            row["messages"] = [{**m, "content": _cut(m["content"])} for m in row["messages"]]
        out.append(row)
    return out


def _note(total: int, shown: Sequence[Mapping[str, Any]]) -> str:
    if len(shown) == total:
        return f"All {total} samples are embedded in this page."
    return (
        f"This page embeds {len(shown)} of {total} samples: the first {EMBED_FAILURES} that did "
        f"not pass, {EMBED_PASSES} passes spread over the run and {EMBED_SKIPPED} skipped; texts "
        f"are cut at {EMBED_CHARS} characters."
    )


def render_html(
    doc: Mapping[str, Any],
    rows: Sequence[SampleRow | Mapping[str, Any]],
    *,
    perf_records: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The whole page for a summary document (with gates/comparison/perf) and its sample rows.

    `perf_records`: the measured rows of perf.jsonl, for the per-request scatter (optional).
    """
    run = Run(
        id="report",
        path=Path("."),
        summary=dict(doc),
        mtime=0.0,
        has_samples=bool(rows),
        has_perf_records=bool(perf_records),
    )
    shown = embedded_rows(doc, rows)
    perf = PerfRun(
        "this run", run.perf_points, [r for r in perf_records or [] if not r.get("warmup")]
    )
    return render(
        "report.html",
        live=False,
        o=overview_context(doc),
        p=perf_context([perf]),
        sample_link=lambda *args: "",
        model=run.model if run.model != "-" else "",
        date=summary_date(doc) or "",
        total_rows=len(rows),
        embedded=shown,
        embed_note=_note(len(rows), shown),
        view_hint="<report dir>",
    )
