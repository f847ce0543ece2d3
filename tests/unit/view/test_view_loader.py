"""Report-dir discovery and the tolerant row reader."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_qnext.view.loader import discover, normalise_row, read_perf_records, row_score


def test_discovery_finds_nested_runs_and_skips_symlinks(
    tmp_path: Path, run_writer: Callable[..., Path], row_factory: Callable[..., Any]
) -> None:
    root = tmp_path / "reports"
    run_writer(root / "2024-01-01" / "a", [row_factory("mcq", 1, "pass")])
    run_writer(root / "b", [row_factory("mcq", 1, "fail")])
    (root / "latest").symlink_to(root / "b", target_is_directory=True)
    (root / "empty").mkdir()
    runs, problems = discover([root])
    assert sorted(r.id for r in runs) == ["2024-01-01/a", "b"]
    assert problems == []
    assert all(r.is_capability and not r.is_perf for r in runs)


def test_discovery_accepts_report_dirs_and_links_given_directly(
    tmp_path: Path, run_writer: Callable[..., Path], row_factory: Callable[..., Any]
) -> None:
    a = run_writer(tmp_path / "x" / "run", [row_factory("mcq", 1, "pass")])
    b = run_writer(tmp_path / "y" / "run", [row_factory("mcq", 1, "pass")])
    link = tmp_path / "latest"
    link.symlink_to(a, target_is_directory=True)
    runs, _ = discover([a, b, link])  # `link` is `a` again: listed once
    assert len(runs) == 2
    assert len({r.id for r in runs}) == 2


def test_unreadable_summary_is_one_problem_line(
    tmp_path: Path, run_writer: Callable[..., Path], row_factory: Callable[..., Any]
) -> None:
    run_writer(tmp_path / "good", [row_factory("mcq", 1, "pass")])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.json").write_text("{not json", encoding="utf-8")
    runs, problems = discover([tmp_path, tmp_path / "missing"])
    assert [r.path.name for r in runs] == ["good"]
    assert len(problems) == 2
    assert "summary.json: not valid JSON" in problems[0] or "not valid JSON" in problems[1]
    assert any("missing: no such folder" in p for p in problems)
    assert all("\n" not in p for p in problems)


def test_rows_old_and_new() -> None:
    old = {"dataset": "ifeval", "sample_id": "7", "outcome": "fail", "inst_verdicts": [["a", 1, 0]]}
    new = {**old, "messages": None, "details": {"first_failing_test": 3}}
    shown = {**old, "messages": [{"role": "user", "content": "hi"}]}
    assert normalise_row(old)["messages_state"] == "absent"
    assert normalise_row(old)["details"] == {"inst_verdicts": [["a", 1, 0]]}
    assert normalise_row(new)["messages_state"] == "withheld"
    assert normalise_row(new)["details"] == {
        "first_failing_test": 3,
        "inst_verdicts": [["a", 1, 0]],
    }
    assert normalise_row(shown)["messages"] == [{"role": "user", "content": "hi"}]
    assert normalise_row(shown)["subset"] == "default" and normalise_row(shown)["repeat"] == 0


def test_row_score_uses_the_named_metric() -> None:
    row = {"metrics": {"strict": [1, 2], "loose": [2, 2]}}
    assert row_score(row, "loose") == 1.0
    assert row_score(row, "strict") == 0.5
    assert row_score(row, None) == 0.5  # the first one
    assert row_score({"metrics": {}}, "acc") is None


def test_perf_records_skip_warmup_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "perf.jsonl"
    lines = [
        {"point": "p1", "warmup": True, "ttft": 1},
        {"point": "p1", "warmup": False, "ttft": 2},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{oops\n", encoding="utf-8")
    assert read_perf_records(path) == [lines[1]]
    assert read_perf_records(tmp_path / "none.jsonl") == []
