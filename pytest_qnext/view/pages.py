"""Jinja2 pages shared by `qnext view` and report.html (autoescaping on, everywhere).

`environment()` loads the package templates; the page CSS and script are package files inlined
into every page (no network assets, and one copy for both the viewer and report.html).
Context builders turn a summary document into what the templates draw: the seed table with
CIs and outcome counts, the score chart, gates, the baseline verdicts and flips, the collection
tree and per-benchmark breakdowns (both rendered generically, whatever their nesting).
Data embedded for the page script goes through `script_json`: `<`, `>`, `&` become `\\u003c`
... so no model output can close a script element.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pytest_qnext.sample import OUTCOMES
from pytest_qnext.view.charts import BarItem, bar_chart
from pytest_qnext.view.index import NOT_PASS, PREVIEW_CHARS

__all__ = [
    "as_map",
    "breakdown_tables",
    "environment",
    "flip_list",
    "fmt",
    "overview_context",
    "render",
    "script_json",
    "tree_rows",
]


def script_json(value: Any) -> Markup:
    """JSON for a `<script type="application/json">` block: no `<`, `>`, `&` left raw."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def fmt(value: Any, digits: int = 4) -> str:
    """A table cell: '-' for None/NaN, fixed digits for floats, JSON for containers."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _static(name: str) -> str:
    return (resources.files("pytest_qnext.view") / "static" / name).read_text(encoding="utf-8")


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pytest_qnext.view", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["script_json"] = script_json
    env.globals["OUTCOMES"] = OUTCOMES
    env.globals["NOT_PASS"] = NOT_PASS
    env.globals["PREVIEW_CHARS"] = PREVIEW_CHARS
    # package files, not user data: inlined as they are, and the page's Content-Security-Policy
    # allows exactly these two texts (by hash), so no other script or style can run
    for name, filename in (("page_css", "qnext.css"), ("page_js", "qnext.js")):
        text = _static(filename)
        env.globals[name] = Markup(text)
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        env.globals[f"{name}_hash"] = f"'sha256-{digest}'"
    return env


def render(template: str, **context: Any) -> str:
    """Render a page (deterministic: the same context gives the same bytes)."""
    return environment().get_template(template).render(**context)


# -- generic nested data ---------------------------------------------------------------------


def as_map(value: Any) -> Mapping[str, Any]:
    """`value` when it is a dict, else an empty one (summaries from other versions vary)."""
    return value if isinstance(value, Mapping) else {}


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_table(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _interval(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _label_field(value: Any) -> bool:
    """Fields that name a node rather than measure it: text, or a path of texts."""
    return isinstance(value, str) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
    )


_NAME_KEYS = ("name", "level", "key", "id")
_TRANSPARENT = ("children", "nodes", "items")  # lists of child nodes that need no heading


def _label(node: Mapping[str, Any], fallback: str) -> tuple[str, set[str]]:
    """A node's display name and the fields used for it."""
    for key in _NAME_KEYS:
        if isinstance(node.get(key), str) and node[key]:
            return str(node[key]), {key}
    used = {k for k, v in node.items() if _label_field(v)}
    parts = [" / ".join(v) if isinstance(v, list) else v for k, v in node.items() if k in used]
    return (" · ".join(parts) or fallback), used


def _cells(node: Mapping[str, Any], skip: set[str]) -> dict[str, Any]:
    """Scalars as they are, [low, high] pairs as 'low–high', flat dicts as `key.sub`."""
    cells: dict[str, Any] = {}
    for key, value in node.items():
        if key in skip:
            continue
        if _scalar(value):
            cells[str(key)] = value
        elif _interval(value):
            cells[str(key)] = f"{fmt(float(value[0]))}–{fmt(float(value[1]))}"
        elif isinstance(value, Mapping) and value and all(_scalar(v) for v in value.values()):
            cells.update({f"{key}.{k}": v for k, v in value.items()})
    return cells


def _nested(value: Any) -> bool:
    """A value holding further nodes: a list of dicts, or a dict with a non-flat value."""
    if _is_table(value):
        return True
    return (
        isinstance(value, Mapping)
        and bool(value)
        and not all(_scalar(v) or _interval(v) for v in value.values())
    )


def tree_rows(tree: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, rows) of any nested collection tree, whatever its shape: a row per node with
    its depth, name and values (micro/macro/weighted averages, [low, high] intervals shown as
    'low–high', counts, ...). A list of dicts under a key is a group (a heading row named by
    the key, then its entries, each named by its text fields such as dataset or a category
    path; `children` lists nest without a heading); a dict of nodes nests the same way; a dict
    holding only groups adds no row."""
    columns: list[str] = []
    rows: list[dict[str, Any]] = []

    def add(name: str, cells: dict[str, Any], depth: int) -> None:
        columns.extend(c for c in cells if c not in columns)
        rows.append({"depth": depth, "name": name, "cells": cells})

    def visit(name: str, node: Mapping[str, Any], depth: int) -> None:
        label, used = _label(node, name)
        cells = _cells(node, used)
        children = [(str(k), v) for k, v in node.items() if _nested(v)]
        if cells or not children:
            add(label, cells, depth)
            depth += 1
        for key, value in children:
            if _is_table(value):
                inner = depth if key in _TRANSPARENT else depth + 1
                if inner > depth:
                    add(key, {}, depth)
                for i, entry in enumerate(value):
                    visit(f"{key} {i + 1}", entry, inner)
            elif all(isinstance(v, Mapping) for v in value.values()):
                for sub, entry in value.items():
                    visit(str(sub), entry, depth)
            else:
                visit(key, value, depth)

    if isinstance(tree, Mapping):
        visit("collection", tree, 0)
    elif _is_table(tree):
        for i, node in enumerate(tree):
            visit(str(i + 1), node, 0)
    return columns, rows


def breakdown_tables(data: Any, title: str) -> list[dict[str, Any]]:
    """Every list of dicts inside `data`, as {title, columns, rows} (titles name their path)."""
    out: list[dict[str, Any]] = []

    def walk(value: Any, path: str) -> None:
        if _is_table(value):
            columns: list[str] = []
            for row in value:
                columns.extend(str(k) for k in row if str(k) not in columns)
            out.append(
                {
                    "title": path,
                    "columns": columns,
                    "rows": [[r.get(c) for c in columns] for r in value],
                }
            )
        elif isinstance(value, Mapping):
            scalars = {k: v for k, v in value.items() if _scalar(v)}
            if scalars and len(scalars) == len(value):
                out.append(
                    {
                        "title": path,
                        "columns": ["key", "value"],
                        "rows": [[k, v] for k, v in scalars.items()],
                    }
                )
                return
            for key, sub in value.items():
                if not _scalar(sub):
                    walk(sub, f"{path} · {key}")

    walk(data, title)
    return out


# -- the overview ------------------------------------------------------------------------------


def _table_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for t in summary.get("table") or []:
        if not isinstance(t, Mapping):
            continue
        outcomes = as_map(t.get("outcomes"))
        rows.append({**t, "outcomes": {o: outcomes.get(o, 0) for o in OUTCOMES}})
    return rows


def _score_chart(summary: Mapping[str, Any]) -> dict[str, Any] | None:
    datasets = as_map(summary.get("datasets"))
    items: list[BarItem] = []
    for t in _table_rows(summary):
        name = t.get("dataset_name")
        primary = as_map(datasets.get(str(name))).get("primary_metric")
        if primary not in (None, t.get("metric")):
            continue
        if any(i.label == name for i in items):
            continue
        score = t.get("average_score")
        items.append(
            BarItem(
                str(name),
                score if isinstance(score, int | float) else None,
                t.get("ci_low"),
                t.get("ci_high"),
                f"{t.get('metric')}, n={t.get('count')}",
            )
        )
    if not items:
        return None
    return bar_chart("Score per dataset (primary metric, whiskers: CI)", items)


def _gates(summary: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    comparison = as_map(summary.get("comparison"))
    gates = [*(summary.get("gates") or []), *(comparison.get("gates") or [])]
    return [g for g in gates if isinstance(g, Mapping)]


def _breakdowns(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    tables = []
    for key, label in (("breakdowns", "breakdown"), ("instructions", "instruction types")):
        block = summary.get(key)
        if isinstance(block, Mapping):
            for dataset, data in block.items():
                tables.extend(breakdown_tables(data, f"{dataset}: {label}"))
    return tables


def _fingerprint_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    fp = as_map(summary.get("fingerprint"))
    return [
        (
            str(name),
            str(key),
            value if isinstance(value, str) else json.dumps(value, sort_keys=True),
        )
        for name, block in fp.items()
        if isinstance(block, Mapping)
        for key, value in block.items()
    ]


def overview_context(summary: Mapping[str, Any]) -> dict[str, Any]:
    """What the overview part of a page shows (the viewer's run page and report.html)."""
    table = _table_rows(summary)
    comparison = summary.get("comparison")
    collection = summary.get("collection")
    tree_columns, tree = tree_rows(collection) if collection else ([], [])
    return {
        "table": table,
        "subsets": [
            {
                "dataset": t.get("dataset_name"),
                "metric": t.get("metric"),
                "rows": [
                    [s.get("subset"), s.get("average_score"), s.get("count")]
                    for s in t["subsets"]
                    if isinstance(s, Mapping)
                ],
            }
            for t in table
            if isinstance(t.get("subsets"), list) and len(t["subsets"]) > 1
        ],
        "score_chart": _score_chart(summary),
        "gates": _gates(summary),
        "comparison": comparison if isinstance(comparison, Mapping) else None,
        "flips": flip_list(comparison) if isinstance(comparison, Mapping) else [],
        "tree_columns": tree_columns,
        "tree": tree,
        "breakdowns": _breakdowns(summary),
        "fingerprint": _fingerprint_rows(summary),
        "warnings": [str(w) for w in summary.get("warnings") or []],
        "complete": summary.get("complete"),
    }


def flip_list(comparison: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The baseline comparison's flips, pass→fail first: {dataset, sample_id, repeat, kind}."""
    out = []
    for kind, key in (("pass→fail", "flips_pass_to_fail"), ("fail→pass", "flips_fail_to_pass")):
        for d in comparison.get("datasets") or []:
            for flip in d.get(key) or []:
                if isinstance(flip, Mapping):
                    out.append({"dataset": d.get("dataset"), "kind": kind, **flip})
    return out
