"""Page building blocks: safe JSON for script blocks, generic trees and tables, escaping."""

from __future__ import annotations

import json
import re

from pytest_qnext.view.charts import BarItem, Series, bar_chart, nice_ticks, xy_chart
from pytest_qnext.view.pages import (
    breakdown_tables,
    overview_context,
    render,
    script_json,
    tree_rows,
)


def test_script_json_cannot_close_the_script_element(evil: str) -> None:
    EVIL = evil
    text = str(script_json({"x": EVIL, "y": "\u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"x": EVIL, "y": "\u2028"}


def test_tree_rows_render_any_nesting() -> None:
    tree = {
        "name": "qwen3-test",
        "micro": 0.6,
        "macro": 0.55,
        "count": 100,
        "children": [
            {
                "name": "math",
                "weighted": 0.7,
                "ci": {"low": 0.6, "high": 0.8},
                "count": 40,
                "children": [{"name": "aime24", "micro": 0.3, "count": 30}],
            },
            {"name": "exam", "micro": 0.5, "count": 60},
        ],
    }
    columns, rows = tree_rows(tree)
    assert [(r["depth"], r["name"]) for r in rows] == [
        (0, "qwen3-test"),
        (1, "math"),
        (2, "aime24"),
        (1, "exam"),
    ]
    assert {"micro", "macro", "count", "weighted", "ci.low", "ci.high"} <= set(columns)
    assert rows[1]["cells"]["ci.low"] == 0.6
    # the collection levels as pytest_qnext.collections writes them: groups of entries named
    # by their key fields, intervals as low–high
    levels = {
        "confidence": 0.95,
        "levels": {
            "dataset": [
                {"dataset": "aime24", "count": 30, "micro_avg": 0.5, "micro_ci": [0.3, 0.7]}
            ],
            "category": [
                {"category": ["Qwen3"], "count": 30, "weighted_avg": 0.5},
                {"category": ["Qwen3", "Math"], "count": 30, "weighted_avg": 0.5},
            ],
        },
    }
    _cols, level_rows = tree_rows(levels)
    assert [(r["depth"], r["name"]) for r in level_rows] == [
        (0, "collection"),
        (1, "dataset"),
        (2, "aime24"),
        (1, "category"),
        (2, "Qwen3"),
        (2, "Qwen3 / Math"),
    ]
    assert level_rows[2]["cells"]["micro_ci"] == "0.3000–0.7000"
    # a dict of levels keyed by name works the same way
    _cols, keyed = tree_rows({"levels": {"math": {"micro": 1.0}, "exam": {"micro": 0.0}}})
    assert [r["name"] for r in keyed] == ["math", "exam"]  # the wrapper adds no row


def test_breakdown_tables_find_every_list_of_dicts() -> None:
    data = {
        "by_difficulty": [
            {"difficulty": "easy", "pass": 3},
            {"difficulty": "hard", "pass": 1, "n": 9},
        ],
        "by_month": {"2025-01": [{"n": 1}]},
        "note": "x",
    }
    tables = breakdown_tables(data, "lcb")
    assert [t["title"] for t in tables] == ["lcb · by_difficulty", "lcb · by_month · 2025-01"]
    assert tables[0]["columns"] == ["difficulty", "pass", "n"]
    assert tables[0]["rows"][0] == ["easy", 3, None]


def test_charts_have_axes_and_scaled_points() -> None:
    assert nice_ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    chart = xy_chart("t", "x", "y", [Series("s", [(1, 10, "a"), (32, 20, "b")])])
    assert [t["label"] for t in chart["x_ticks"]] == ["1", "2", "4", "8", "16", "32"]  # log2
    pts = chart["series"][0]["points"]
    assert pts[0]["x"] == chart["left"] and pts[1]["x"] == chart["right"]
    bars = bar_chart("b", [BarItem("d", 0.5, 0.4, 0.6)])
    assert bars["bars"][0]["w"] > 0 and "whisker" in bars["bars"][0]


def test_hostile_summary_renders_as_text(evil: str) -> None:
    EVIL = evil
    doc = {
        "table": [
            {
                "task_type": EVIL,
                "metric": "acc",
                "dataset_name": EVIL,
                "average_score": 0.5,
                "count": 2,
                "ci_low": 0.1,
                "ci_high": 0.9,
                "outcomes": {"pass": 1, "fail": 1},
            }
        ],
        "datasets": {EVIL: {"primary_metric": "acc", "score": 0.5}},
        "gates": [{"name": EVIL, "passed": False, "measured": 0.5, "limit": 0.9, "message": EVIL}],
        "collection": {"name": EVIL, "micro": 0.5, "children": [{"name": EVIL, "micro": 0.1}]},
        "breakdowns": {EVIL: {EVIL: [{EVIL: EVIL}]}},
        "warnings": [EVIL],
        "fingerprint": {EVIL: {"model": EVIL}},
    }
    html = render(
        "report.html",
        live=False,
        o=overview_context(doc),
        p={"perf_tables": [], "perf_charts": []},
        sample_link=lambda *a: "",
        model=EVIL,
        date="",
        total_rows=0,
        embedded=[],
        embed_note="",
        view_hint="x",
    )
    assert "<img" not in html
    assert len(re.findall(r"<script\b", html)) == 1  # only the page's own script
    assert html.count("&lt;/script&gt;&lt;script&gt;window.__pwned=1") >= 6
