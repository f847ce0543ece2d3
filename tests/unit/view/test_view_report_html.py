"""report.html: the self-contained page the report writers produce (render_html)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.report import html as report_html
from pytest_qnext.report.aggregate import Aggregator
from pytest_qnext.report.writers import write_report_dir
from pytest_qnext.rows import SampleRow


def _page(tmp_path: Path, rows: list[dict[str, Any]], **kw: Any) -> str:
    agg = Aggregator(n_resamples=50)
    for row in rows:
        agg.add_row(SampleRow.from_json(row))
    paths = write_report_dir(tmp_path, agg.summary(gates=["mcq>=0.9"]), agg.rows, **kw)
    return paths["report.html"].read_text(encoding="utf-8")


def _embedded(html: str) -> list[dict[str, Any]]:
    data = re.search(r'<script type="application/json" id="qnext-rows">(.*?)</script>', html, re.S)
    assert data is not None
    rows: list[dict[str, Any]] = json.loads(data.group(1))
    return rows


def test_page_is_offline_and_model_output_stays_data(
    tmp_path: Path, row_factory: Callable[..., Any], evil: str
) -> None:
    rows = [row_factory("mcq", i, "pass" if i % 2 else "fail") for i in range(6)]
    rows[0].update(prediction=evil, extracted="<b>", target="a&b", reasoning=evil)
    rows[1]["messages"] = [{"role": "user", "content": evil}]
    html = _page(tmp_path, rows)
    assert "<th>average_score</th>" in html and "<td>mcq</td>" in html
    assert "mcq&gt;=0.9" in html  # gate names are escaped too
    assert html.count("</script>") == 2  # the data block and the page script, nothing else
    assert "<img" not in html
    assert "http://" not in html and "https://" not in html  # no network assets
    embedded = {r["sample_id"]: r for r in _embedded(html)}
    assert embedded["0"]["prediction"] == evil and embedded["0"]["reasoning"] == evil
    assert embedded["0"]["extracted"] == "<b>" and embedded["0"]["target"] == "a&b"
    assert embedded["1"]["messages"] == [{"role": "user", "content": evil}]
    assert "All 6 samples are embedded" in html


def test_large_runs_embed_a_bounded_selection(
    tmp_path: Path, row_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_html, "EMBED_ALL", 20)
    monkeypatch.setattr(report_html, "EMBED_FAILURES", 5)
    monkeypatch.setattr(report_html, "EMBED_PASSES", 4)
    monkeypatch.setattr(report_html, "EMBED_SKIPPED", 1)
    monkeypatch.setattr(report_html, "EMBED_CHARS", 100)
    outcomes = ["pass", "pass", "fail", "error", "skipped"]
    rows = [row_factory("mcq", i, outcomes[i % 5], prediction="x" * 150) for i in range(50)]
    html = _page(tmp_path, rows)
    shown = _embedded(html)
    kinds = [r["outcome"] for r in shown]
    assert kinds.count("fail") + kinds.count("error") == 5
    assert kinds.count("pass") == 4 and kinds.count("skipped") == 1
    assert [r["sample_id"] for r in shown if r["outcome"] in ("fail", "error")] == [
        "2",
        "3",
        "7",
        "8",
        "12",
    ]
    assert all(r["prediction"].startswith("x" * 100 + "\n[… 50 more characters") for r in shown)
    assert "embeds 10 of 50 samples" in html and "qnext view" in html


def test_perf_section_and_collection_tree(tmp_path: Path, row_factory: Callable[..., Any]) -> None:
    perf = [
        {
            "parallel": p,
            "number": 2 * p,
            "output_throughput": 100.0 * p,
            "total_throughput": 300.0 * p,
            "ttft_p50": 0.02,
            "ttft_p90": 0.03,
            "ttft_p99": 0.04,
            "tpot_p50": 0.002,
            "tpot_p90": 0.003,
            "tpot_p99": 0.004,
            "itl_p50": 0.002,
            "itl_p90": 0.003,
            "itl_p99": 0.004,
        }
        for p in (1, 2, 4, 8)
    ]
    rows = [row_factory("mcq", 1, "pass")]
    agg = Aggregator(n_resamples=50)
    agg.add_row(SampleRow.from_json(rows[0]))
    summary = agg.summary()
    summary["collection"] = {
        "name": "suite",
        "micro": 1.0,
        "children": [{"name": "mcq", "micro": 1.0}],
    }
    records = [
        {"point": "parallel=1-number=2", "index": i, "send": i * 0.1, "ttft": 0.02, "e2e": 0.1}
        for i in range(2)
    ]
    html = report_html.render_html({**summary, "perf": perf}, agg.rows, perf_records=records)
    assert "Throughput vs concurrency" in html and "TTFT percentiles vs concurrency" in html
    assert "Per-request TTFT" in html and "<th>Out tok/s</th>" in html
    assert ">suite</td>" in html and "Collection" in html
