"""End to end: the capacity search (`--qnext-find-max`) against --qnext-sim, each probe one item,
its answer in the terminal and summary.json and gateable; the answer is the boundary the
simulator's own latency model predicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_qnext.sim import SimConfig

REPO = Path(__file__).resolve().parents[2]
SWEEP = (REPO / "benchmarks" / "test_perf.py").read_text(encoding="utf-8")
SIM = "ttft=0.01,itl=0.002,max_num_seqs=16,batch_slowdown=0.5"
TPOT_LIMIT = 0.0075


def predicted_boundary(config: SimConfig, tpot_limit: float) -> int:
    """The highest concurrency whose per-token time in the simulator's model meets the limit:
    every sequence's tokens come `itl * (1 + batch_slowdown * (running - 1))` apart."""
    best = 0
    for c in range(1, config.max_num_seqs + 1):
        if config.itl * (1 + config.batch_slowdown * (c - 1)) <= tpot_limit:
            best = c
    return best


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    pytester.makepyfile(test_qnext_perf_suite=SWEEP)
    return pytester


def test_find_max_meets_the_simulators_boundary_in_few_probes(suite: pytest.Pytester) -> None:
    from pytest_qnext.sim import parse_spec

    expected = predicted_boundary(parse_spec(SIM), TPOT_LIMIT)
    assert expected == 6
    report = suite.path / "report"
    result = suite.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-m",
        "perf",
        "-v",
        "--qnext-sim",
        SIM,
        "--qnext-min-prompt-length",
        "16",
        "--qnext-max-prompt-length",
        "16",
        "--qnext-min-tokens",
        "32",
        "--qnext-max-tokens",
        "32",
        "--qnext-extra-args",
        '{"ignore_eos": true}',
        "--qnext-find-max",
        f"tpot_p99<={TPOT_LIMIT}",
        "--qnext-find-max-range",
        "1:64",
        "--qnext-find-max-probes",
        "8",
        "--qnext-slo",
        "max_concurrency>=24",
        "--qnext-report-dir",
        str(report),
    )
    text = result.stdout.str()
    assert "Traceback" not in text
    summary = json.loads((report / "summary.json").read_text())
    capacity = summary["capacity"]
    probes = capacity["probes"]
    assert len(probes) <= 8
    assert capacity["metric"] == "max_concurrency"
    assert abs(capacity["value"] - expected) <= 1, capacity
    low, high = capacity["bracket"]
    assert low == capacity["value"] and high is not None and high - low <= 1 + 1
    # every probe is an item; the ones the search did not need are skipped; the result fails
    # on its gate with one line
    result.stdout.fnmatch_lines(
        [
            "*test_find_max?probe-01? PASSED*",
            "*test_find_max?result? FAILED*",
            f"*SLO max_concurrency>=24 violated: measured {capacity['value']} vs limit 24*",
            "*capacity search probe-01: concurrency 1 meets the limits (tpot_p99=*",
            f"*capacity: max_concurrency = {capacity['value']} (meets tpot_p99<={TPOT_LIMIT:g}*",
        ]
    )
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == len(probes) and outcomes["failed"] == 1
    assert outcomes.get("skipped", 0) == 8 - len(probes)
    # the probes are perf points in summary.json, each with its load
    assert [p["point"] for p in summary["perf"]] == [p["point"] for p in probes]
    assert all(p["point"].startswith("find_max-probe-") for p in probes)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_search_gate_without_a_search_is_a_usage_error(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess(
        "-m", "perf", "--qnext-sim", "ttft=0", "--qnext-slo", "max_concurrency>=4"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--qnext-slo: max_concurrency>=4 gates the capacity search*"])
