"""Report dirs for the viewer's unit tests, written by the real report writers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.report.aggregate import Aggregator
from pytest_qnext.report.writers import write_report_dir
from pytest_qnext.rows import DatasetMeta, SampleRow

EVIL = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">&amp;'


def make_row(
    dataset: str, sample_id: str | int, outcome: str, *, repeat: int = 0, **extra: Any
) -> dict[str, Any]:
    """A sample row as the capability session builds it (with prompt messages)."""
    row: dict[str, Any] = {
        "dataset": dataset,
        "subset": "default",
        "sample_id": str(sample_id),
        "repeat": repeat,
        "outcome": outcome,
        "metrics": {} if outcome == "skipped" else {"acc": [float(outcome == "pass"), 1.0]},
        "prediction": f"answer for {sample_id}",
        "reasoning": "",
        "extracted": "A" if outcome == "pass" else "B",
        "target": "A",
        "finish_reason": "stop",
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        "latency": 0.25,
        "explanation": "",
        "cached": False,
        "retried": [],
        "skip_reason": "no replay row" if outcome == "skipped" else None,
        "messages": [{"role": "user", "content": f"question {sample_id}?"}],
    }
    row.update(extra)
    return row


def write_run(
    path: Path, rows: Sequence[dict[str, Any]], metas: Sequence[dict[str, Any]] = ()
) -> Path:
    agg = Aggregator(n_resamples=50)
    for meta in metas:
        agg.add_dataset_meta(DatasetMeta.from_json(meta))
    for row in rows:
        agg.add_row(SampleRow.from_json(row))
    write_report_dir(path, agg.summary(), agg.rows)
    return path


@pytest.fixture
def evil() -> str:
    """Model output that would run script if it were ever put into a page as markup."""
    return EVIL


@pytest.fixture
def run_writer() -> Callable[..., Path]:
    return write_run


@pytest.fixture
def row_factory() -> Callable[..., dict[str, Any]]:
    return make_row
