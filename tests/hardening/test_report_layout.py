"""Runs never destroy each other's reports: one run folder per session under the report root,
stable `latest` links, and a perf-only run writes no capability files (report/rundir.py)."""

from __future__ import annotations

import re
from pathlib import Path

from hardening_project import Project

from pytest_qnext.view.loader import discover

SIM = ["--qnext-sim", "ttft=0,itl=0", "--qnext-cache", "off"]
PERF = [
    "--qnext-parallel",
    "2",
    "--qnext-number",
    "4",
    "--qnext-min-prompt-length",
    "16",
    "--qnext-max-prompt-length",
    "16",
    "--qnext-min-tokens",
    "4",
    "--qnext-max-tokens",
    "4",
]
CAPABILITY_FILES = {"summary.json", "samples.jsonl", "junit.xml", "report.html"}


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_perf_after_capability_into_one_root_keeps_both(project: Project) -> None:
    root = project.root / "reports"
    cap = project.run(
        "-m", "capability", *project.mcq_args(), *SIM, "--qnext-report-dir", str(root)
    )
    assert cap.code in (0, 1) and "report written to" in cap.out, cap.out
    perf = project.run(
        "-m", "perf", "test_qnext_perf.py", *SIM, *PERF, "--qnext-report-dir", str(root)
    )
    assert perf.code == 0, perf.out
    cap_run, perf_run = (root / "latest-capability").resolve(), (root / "latest-perf").resolve()
    assert re.fullmatch(r"\d{8}-\d{6}-capability", cap_run.name), cap_run
    assert re.fullmatch(r"\d{8}-\d{6}-perf(-\d+)?", perf_run.name), perf_run
    assert (root / "latest").resolve() == perf_run
    # the capability run's report is whole
    assert _files(cap_run) == CAPABILITY_FILES
    assert len(project.summary(cap_run)["table"]) == 1
    assert len(project.samples(cap_run)) == len(project.rows)
    # the perf-only run wrote its own files, no (empty) capability ones
    assert _files(perf_run) == {
        "summary.json",
        "report.html",
        "perf.jsonl",
        "perf_throughput.png",
        "perf_ttft.png",
        "perf_tpot.png",
    }
    doc = project.summary(perf_run)
    assert "table" not in doc and doc["kind"] == "perf" and doc["complete"] is True
    assert [p["point"] for p in doc["perf"]] == ["parallel=2-number=4"]
    assert f"report written to {root / perf_run.name}" in perf.out
    # report.html shows the per-request scatter read back from this run's perf.jsonl
    assert "Per-request TTFT" in (perf_run / "report.html").read_text(encoding="utf-8")
    # the viewer finds both run folders under the root (and not the latest links again)
    runs, problems = discover([root])
    assert not problems, problems
    assert sorted(r.path.resolve() for r in runs) == sorted([cap_run, perf_run])
    # the root stands for its latest perf run as a perf baseline
    again = project.run(
        "-m",
        "perf",
        "test_qnext_perf.py",
        *SIM,
        *PERF,
        "--qnext-report-dir",
        str(root),
        "--qnext-perf-baseline",
        str(root),
        "--qnext-max-regression",
        "1000",
    )
    assert again.code == 0, again.out
    newest = (root / "latest-perf").resolve()
    assert newest != perf_run and any(project.summary(newest)["perf"][0]["gates"])


def test_a_mixed_session_writes_one_folder_for_both(project: Project) -> None:
    root = project.root / "reports"
    result = project.run(
        "-m",
        "capability or perf",
        *project.mcq_args(),
        *SIM,
        *PERF,
        "--qnext-report-dir",
        str(root),
    )
    assert result.code in (0, 1), result.out
    (folder,) = [p for p in root.iterdir() if not p.is_symlink()]
    assert folder.name.endswith("-mixed")
    assert CAPABILITY_FILES | {"perf.jsonl"} <= _files(folder)
    doc = project.summary(folder)
    assert len(doc["table"]) == 1 and len(doc["perf"]) == 1
    for link in ("latest", "latest-capability", "latest-perf"):
        assert (root / link).resolve() == folder


def test_a_baseline_is_a_root_a_run_folder_or_a_summary(project: Project) -> None:
    """The second run compares with the first through the root's latest-capability link (read
    before it writes its own run), then through the first run's summary.json."""
    root = project.root / "reports"
    replay = project.replay_file(wrong_every=3)
    args = ["-m", "capability", *project.mcq_args(), "--qnext-responses", str(replay)]
    first = project.run(*args, "--qnext-report-dir", str(root))
    assert first.code == 1, first.out  # wrong answers fail their items (no gate)
    first_run = (root / "latest-capability").resolve()
    second = project.run(
        *args,
        "--qnext-report-dir",
        str(root),
        "--qnext-baseline",
        str(root),
        "--qnext-max-drop",
        "0.1",
    )
    assert second.code == 0, second.out
    second_run = (root / "latest-capability").resolve()
    assert second_run != first_run
    comparison = project.summary(second_run)["comparison"]
    assert Path(comparison["baseline_dir"]).resolve() == first_run
    assert comparison["datasets"][0]["paired"] == len(project.rows)
    third = project.run(
        *args, "--qnext-report-dir", str(root), "--qnext-baseline", str(first_run / "summary.json")
    )
    assert third.code == 1, third.out
    assert Path(project.summary((root / "latest").resolve())["comparison"]["baseline_dir"]) == (
        first_run
    )
    # three runs, three folders, none blanked
    runs = sorted(p for p in root.iterdir() if not p.is_symlink())
    assert len(runs) == 3 and all(len(project.samples(p)) == len(project.rows) for p in runs)


def test_a_report_that_cannot_be_written_is_not_said_to_be(project: Project) -> None:
    """The root passes the check before the run; here a file takes its place during the run
    (a conftest does it), so the run folder cannot be created at the end: one line naming
    the root, exit 1, and no "report written to"."""
    (project.root / "conftest.py").write_text(
        "def pytest_collection_finish(session):\n    open('reports', 'w').write('in the way')\n",
        encoding="utf-8",
    )
    replay = project.replay_file(wrong_every=0)
    args = ["-m", "capability", *project.mcq_args(), "--qnext-responses", str(replay)]
    result = project.run(*args, "--qnext-report-dir", "reports")
    assert result.code == 1, result.out
    assert "--qnext-report-dir: cannot write the report under reports" in result.out
    assert "report written to" not in result.out
