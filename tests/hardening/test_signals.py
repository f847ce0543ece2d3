"""SIGTERM (what CI sends on cancel) is handled like Ctrl-C, and runs leave nothing in /tmp."""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from hardening_project import Project, Result


def _answers(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["plain", "xdist"])
def test_sigterm_writes_an_incomplete_report_and_cleans_up(
    project: Project, xdist: list[str]
) -> None:
    root = project.root / "reports"
    proc = project.popen(
        *xdist,
        "-m",
        "capability",
        *project.mcq_args(),
        "--qnext-sim",
        "ttft=0.25,max_num_seqs=1",
        "--qnext-batch-size",
        "1",
        "--qnext-cache-dir",
        "cache",
        "--qnext-gate",
        "general_mcq>=0",
        "--qnext-report-dir",
        str(root),
    )
    db = project.root / "cache" / "responses.sqlite3"
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline and _answers(db) < 3:
            time.sleep(0.1)
        assert proc.poll() is None, "the run ended before it could be stopped"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 2, out
    folder = (root / "latest-capability").resolve()
    doc = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert doc["complete"] is False, out
    scored = doc["table"][0]["count"]
    assert 0 < scored < len(project.rows)
    stopped = f"{scored} of the {len(project.rows)} selected samples were scored"
    assert any(
        "stopped early (terminated by SIGTERM)" in w and stopped in w for w in doc["warnings"]
    )
    assert [g["passed"] for g in doc["gates"]] == [False]  # a gate never passes a partial run
    assert "gate FAIL general_mcq>=0: cannot pass: the run stopped early" in out
    assert project.leftovers() == []  # the simulator's oracle file is gone


def _served(project: Project, port: int, server: str, *args: str) -> Result:
    """A capability run against `server`, started by --qnext-serve on the loopback `port`."""
    url = f"http://127.0.0.1:{port}/v1"
    return project.run(
        "-m", "capability", *project.mcq_args(), "--qnext-serve", server, "--qnext-url", url, *args
    )


def test_a_served_run_leaves_no_log_behind(project: Project, closed_port: int) -> None:
    server = f"{sys.executable} -m pytest_qnext.sim --port {closed_port} --policy echo"
    result = _served(project, closed_port, server, "--qnext-cache", "off", "--qnext-limit", "2")
    assert result.code == 1, result.out  # echoed prompts name no letter: unparsed
    assert "unparsed 2" in result.out
    assert project.leftovers() == []


def test_a_failed_serve_keeps_its_log_and_names_it(project: Project, closed_port: int) -> None:
    server = f"{sys.executable} -c \"print('model weights not found'); raise SystemExit(3)\""
    result = _served(project, closed_port, server)
    assert result.code == 4, result.out
    assert "the server exited with status 3 before it was healthy" in result.out
    (log,) = project.leftovers()
    assert log.startswith("qnext-serve-") and log in result.out
    assert "model weights not found" in (project.tmp / log).read_text(encoding="utf-8")
