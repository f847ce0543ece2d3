"""A server that dies mid-run, or rejects every request: one line, an honest report, exit != 0.

- The simulator runs in its own process (`run_in_process`) and is SIGKILLed by a hook in the
  project's conftest once 40 of 200 items have run. After `--qnext-max-connection-failures`
  requests in a row failed, the run stops asking: one line says so, the report is written with
  `"complete": false`, the exit status is non-zero, and a rerun against a live server resumes
  from the cache. Before the fix the run asked on for every sample (one error block each) and
  wrote `complete: true`.
- A generation config the server rejects (`{"max_tokens": "lots"}`): the run stops after the
  first identical 4xx, in one line, instead of printing the same 400 for every sample.
- The retry summary counts answers that came after retried attempts, never failures.
"""

from __future__ import annotations

from typing import Any

import pytest
from hardening_project import Project, Result, demo_mcq_rows

from pytest_qnext.options import default
from pytest_qnext.report.aggregate import Aggregator
from pytest_qnext.report.terminal import retry_lines
from pytest_qnext.rows import SampleRow
from pytest_qnext.sim import SimConfig, run_in_process

N_SAMPLES = 200
KILL_AFTER = 40
BATCH = 4
KILLER = """
import os
import signal

_done = []


def pytest_runtest_logreport(report):
    if report.when == "teardown":
        _done.append(report.nodeid)
        if len(_done) == int(os.environ.get("KILL_AFTER", "0")):
            os.kill(int(os.environ["SIM_PID"]), signal.SIGKILL)
"""
STOPPED = "stopped answering after"
MAX_FAILURES = default("--qnext-max-connection-failures")


@pytest.fixture
def project(make_project: Any) -> Project:
    proj: Project = make_project(demo_mcq_rows(N_SAMPLES))
    (proj.root / "conftest.py").write_text(KILLER, encoding="utf-8")
    return proj


def run_until_killed(project: Project, name: str, *args: str) -> Result:
    """A run against a simulator in its own process that is killed after KILL_AFTER items."""
    config = SimConfig(ttft=0.01, policy="fixed", text="ANSWER: A")
    with run_in_process(config) as sim:
        assert sim.process is not None
        env = {"SIM_PID": str(sim.process.pid), "KILL_AFTER": str(KILL_AFTER)}
        return project.capability(
            name,
            "--qnext-url",
            sim.url,
            "--qnext-batch-size",
            str(BATCH),
            "--qnext-retries",
            "1",
            *args,
            extra_env=env,
        )


def test_a_dead_server_stops_the_run_in_one_line(project: Project) -> None:
    run = run_until_killed(project, "killed")
    assert run.code == 1, run.out
    stops = [line for line in run.out.splitlines() if STOPPED in line]
    # pytest's "!!! <reason> !!!" line, the report's incomplete-run warning, and (-rA) the
    # skip reason of the item that found the server gone, if it was not asked: nothing more
    assert 2 <= len(stops) <= 3, run.out
    (stop,) = [line for line in stops if line.startswith("!")]
    assert f"{MAX_FAILURES} requests in a row failed" in stop and "rerun to resume" in stop
    assert "127.0.0.1" in stop
    summary = run.summary()
    assert summary["complete"] is False
    assert any(STOPPED in w for w in summary["warnings"])
    rows = run.rows()
    answered = [r for r in rows if r["outcome"] in ("pass", "fail")]
    assert KILL_AFTER <= len(answered) < len(rows) < N_SAMPLES  # stopped soon after the death
    # the failures pytest reached before the run knew the server was gone, at most
    errors = [r for r in rows if r["outcome"] == "error"]
    assert len(errors) <= MAX_FAILURES, [r["explanation"] for r in errors]
    assert run.items("ERROR") <= MAX_FAILURES
    assert "Traceback" not in run.out

    # the server is back: the rerun asks only for what the first run did not get
    with run_in_process(SimConfig(policy="fixed", text="ANSWER: A")) as sim:
        again = project.capability(
            "resumed", "--qnext-url", sim.url, "--qnext-cache-dir", "cache-killed"
        )
        asked = sim.stats()["completed"]
    rows = again.rows()
    assert len(rows) == N_SAMPLES and again.summary()["complete"] is True, again.out
    assert sum(r["cached"] for r in rows) == len(answered)
    assert asked == N_SAMPLES - len(answered)


def test_zero_keeps_asking_and_reports_every_failure(project: Project) -> None:
    """--qnext-max-connection-failures 0: the old behaviour on request, every sample a row."""
    limit = 2 * KILL_AFTER
    run = run_until_killed(
        project,
        "never",
        "--qnext-max-connection-failures",
        "0",
        "--qnext-retries",
        "0",
        "--qnext-limit",
        str(limit),
    )
    assert run.code == 1, run.out
    assert STOPPED not in run.out
    rows = run.rows()
    assert len(rows) == limit and run.summary()["complete"] is True
    errors = [r for r in rows if r["outcome"] == "error"]
    assert len(errors) >= limit - KILL_AFTER - 8 * BATCH  # asked after the death: all failed
    assert {r["explanation"].split(":")[0] for r in errors} <= {"connect", "stream_dropped"}


def test_a_rejected_generation_config_stops_after_the_first_identical_4xx(
    project: Project,
) -> None:
    (project.root / "conftest.py").unlink()
    run = project.capability(
        "rejected", "--qnext-sim", "--qnext-gen-config", '{"max_tokens": "lots"}'
    )
    assert run.code == 1, run.out
    lines = [line for line in run.out.splitlines() if "the server rejects every request" in line]
    assert len(lines) == 2, run.out  # pytest's stop line and the report's warning
    assert "HTTP 400" in lines[0] and "max_tokens" in lines[0] and "--qnext-gen-config" in lines[0]
    assert run.out.count("'max_tokens' must be an integer") <= 4  # not once per sample
    assert run.items("ERROR") <= 2
    assert run.summary()["complete"] is False
    assert len(run.rows()) <= 2


def test_the_retry_summary_counts_answers_not_failures() -> None:
    rows = [
        SampleRow("d", "1", "pass", {"acc": (1.0, 1.0)}, retried=("http_5xx",)),
        SampleRow("d", "2", "error", {"acc": (0.0, 1.0)}, retried=("connect", "connect")),
        SampleRow("d", "3", "fail", {"acc": (0.0, 1.0)}),
    ]
    aggregator = Aggregator()
    for row in rows:
        aggregator.add_row(row)
    summary = aggregator.summary()
    assert summary["datasets"]["d"]["retried"] == {"requests": 1, "attempts": {"http_5xx": 1}}
    assert retry_lines(summary) == [
        "qnext retries: d: 1 of 3 answers came after retried attempts (http_5xx x1); "
        "only each final answer is scored"
    ]
