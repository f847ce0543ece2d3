"""The server-side sample index: filters, per-facet counts, paging, full rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.view.index import NOT_PASS, Filters, SampleIndex
from pytest_qnext.view.loader import load_run

OUTCOMES = ["pass", "fail", "unparsed", "error", "skipped"]


@pytest.fixture
def rows(row_factory: Callable[..., Any]) -> list[dict[str, Any]]:
    out = []
    for i in range(300):
        ds = ["mcq", "qa", "math"][i % 3]
        out.append(
            row_factory(
                ds,
                i,
                OUTCOMES[i % 5],
                subset=f"s{i % 4}",
                prediction=f"response {i} " + ("needle" if i % 7 == 0 else "hay"),
            )
        )
    return out


@pytest.fixture
def index(
    tmp_path: Path, rows: list[dict[str, Any]], run_writer: Callable[..., Path]
) -> SampleIndex:
    run = load_run(run_writer(tmp_path / "run", rows), "run")
    return SampleIndex(run.path / "samples.jsonl", run.primary_metric)


def _expected(rows: list[dict[str, Any]], f: Filters) -> list[dict[str, Any]]:
    def ok(r: dict[str, Any]) -> bool:
        return (
            (not f.dataset or r["dataset"] == f.dataset)
            and (not f.subset or r["subset"] == f.subset)
            and (
                not f.outcome
                or (
                    r["outcome"] not in ("pass", "skipped")
                    if f.outcome == NOT_PASS
                    else r["outcome"] == f.outcome
                )
            )
            and (not f.text or f.text in r["prediction"])
        )

    return [r for r in rows if ok(r)]


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(dataset="qa"),
        Filters(dataset="qa", outcome="fail"),
        Filters(outcome=NOT_PASS, subset="s1"),
        Filters(text="NEEDLE"),
        Filters(dataset="math", text="needle", outcome="pass"),
    ],
)
def test_filters_match_a_plain_scan(
    index: SampleIndex, rows: list[dict[str, Any]], filters: Filters
) -> None:
    f = Filters(**{**filters.__dict__, "text": filters.text.lower()})
    expected = _expected(rows, f)
    page = index.query(filters, 0, 1000)
    assert page.total == len(expected) and page.size == len(rows)
    assert sorted((r["dataset"], r["sample_id"]) for r in page.rows) == sorted(
        (r["dataset"], str(r["sample_id"])) for r in expected
    )


def test_facet_counts_apply_the_other_filters(
    index: SampleIndex, rows: list[dict[str, Any]]
) -> None:
    page = index.query(Filters(dataset="qa", outcome="fail"), 0, 10)
    # outcome counts: every outcome within qa; dataset counts: every dataset's fails
    assert page.counts["outcome"] == {
        o: sum(1 for r in rows if r["dataset"] == "qa" and r["outcome"] == o)
        for o in sorted(OUTCOMES)
        if any(r["dataset"] == "qa" and r["outcome"] == o for r in rows)
    }
    assert page.counts["dataset"] == {
        d: sum(1 for r in rows if r["dataset"] == d and r["outcome"] == "fail")
        for d in ("math", "mcq", "qa")
    }


def test_paging_and_score_filter(index: SampleIndex, rows: list[dict[str, Any]]) -> None:
    first = index.query(Filters(), 0, 50)
    second = index.query(Filters(), 50, 50)
    assert len(first.rows) == 50 and second.offset == 50
    assert not {r["sample_id"] for r in first.rows} & {r["sample_id"] for r in second.rows}
    beyond = index.query(Filters(), 10_000, 50)
    assert beyond.offset == len(rows) - 1  # clamped to the last row
    passed = index.query(Filters(score_min=1.0), 0, 1000)
    assert passed.total == sum(r["outcome"] == "pass" for r in rows)
    low = index.query(Filters(score_max=0.0), 0, 1000)
    assert low.total == sum(r["outcome"] not in ("pass", "skipped") for r in rows)


def test_sample_id_filter_and_full_row(index: SampleIndex) -> None:
    page = index.query(Filters(sample_id="29"), 0, 100)
    assert {r["sample_id"] for r in page.rows} == {str(i) for i in range(300) if "29" in str(i)}
    row = index.row("qa", "7", 0)
    assert row is not None and row["prediction"] == "response 7 needle"
    assert row["messages"] == [{"role": "user", "content": "question 7?"}]
    assert index.row("qa", "8", 0) is None


def test_text_search_covers_the_prompt(index: SampleIndex) -> None:
    page = index.query(Filters(text="question 123?"), 0, 10)
    assert [r["sample_id"] for r in page.rows] == ["123"]
