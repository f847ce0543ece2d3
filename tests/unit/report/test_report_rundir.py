"""Run folders under a report root: names, no clobbering, atomic latest links, baseline paths."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pytest_qnext.report.rundir import (
    RunDirError,
    RunFolder,
    check_root,
    latest_link,
    resolve_baseline,
    run_kind,
)

STARTED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def test_nothing_is_created_before_the_first_write(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "root", "capability", STARTED)
    assert not run.created and run.publish() == []
    assert not (tmp_path / "root").exists()
    assert run.path() == tmp_path / "root" / "20250304-050607-capability"
    assert run.path().is_dir() and run.run_id == "20250304-050607-capability"


def test_a_taken_name_gets_a_suffix_and_the_old_folder_is_untouched(tmp_path: Path) -> None:
    first = RunFolder(tmp_path, "perf", STARTED)
    (first.path() / "summary.json").write_text("{}", encoding="utf-8")
    second, third = RunFolder(tmp_path, "perf", STARTED), RunFolder(tmp_path, "perf", STARTED)
    assert second.path().name == "20250304-050607-perf-2"
    assert third.path().name == "20250304-050607-perf-3"
    assert (first.path() / "summary.json").read_text(encoding="utf-8") == "{}"


def test_kind_is_fixed_once_the_folder_exists(tmp_path: Path) -> None:
    run = RunFolder(tmp_path, "capability", STARTED)
    run.kind = "mixed"
    assert run.path().name.endswith("-mixed")
    with pytest.raises(ValueError, match="exists already as a mixed run"):
        run.kind = "perf"
    with pytest.raises(ValueError, match="not one of"):
        RunFolder(tmp_path, "both")
    assert [run_kind(True, False), run_kind(False, True), run_kind(True, True)] == [
        "capability",
        "perf",
        "mixed",
    ]


def test_publish_points_the_links_of_its_kind_and_keeps_the_others(tmp_path: Path) -> None:
    cap = RunFolder(tmp_path, "capability", STARTED)
    cap.path()
    assert cap.publish() == []
    perf = RunFolder(tmp_path, "perf", STARTED)
    perf.path()
    assert perf.publish() == []
    assert os.readlink(latest_link(tmp_path)) == perf.path().name
    assert os.readlink(latest_link(tmp_path, "perf")) == perf.path().name
    assert os.readlink(latest_link(tmp_path, "capability")) == cap.path().name
    mixed = RunFolder(tmp_path, "mixed", STARTED)
    mixed.path()
    mixed.publish()
    for kind in (None, "capability", "perf"):
        assert latest_link(tmp_path, kind).resolve() == mixed.path().resolve()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temp links left


def test_a_real_folder_in_the_way_of_a_link_is_kept_and_named(tmp_path: Path) -> None:
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "mine.txt").write_text("keep", encoding="utf-8")
    run = RunFolder(tmp_path, "capability", STARTED)
    run.path()
    problems = run.publish()
    assert len(problems) == 1 and "could not point" in problems[0] and "\n" not in problems[0]
    assert (tmp_path / "latest" / "mine.txt").read_text(encoding="utf-8") == "keep"
    assert latest_link(tmp_path, "capability").resolve() == run.path().resolve()


def test_baseline_paths_resolve_to_a_summary(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "root", "capability", STARTED)
    summary = run.path() / "summary.json"
    summary.write_text("{}", encoding="utf-8")
    run.publish()
    assert resolve_baseline(summary, "capability") == summary
    assert resolve_baseline(run.path(), "capability") == summary
    assert resolve_baseline(tmp_path / "root", "capability").resolve() == summary.resolve()
    with pytest.raises(RunDirError, match="no latest-perf link"):
        resolve_baseline(tmp_path / "root", "perf", option="--qnext-perf-baseline")
    with pytest.raises(RunDirError, match="does not exist"):
        resolve_baseline(tmp_path / "missing", "capability")
    (run.path() / "summary.json").unlink()
    with pytest.raises(RunDirError, match=r"which has no summary\.json"):
        resolve_baseline(tmp_path / "root", "capability")


def test_check_root_names_a_file_in_the_way(tmp_path: Path) -> None:
    assert check_root(tmp_path / "new" / "deeper") is None
    assert not (tmp_path / "new").exists()  # the check creates nothing
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    assert "is a file" in str(check_root(blocker))
    assert f"cannot be created: {blocker} is a file" in str(check_root(blocker / "sub"))
