"""End to end: `pytest -m perf` with the real benchmarks/test_perf.py against --qnext-sim."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.perf.catalog import BASELINE_METRICS, direction
from pytest_qnext.perf.point import PerfPoint

REPO = Path(__file__).resolve().parents[2]
SWEEP = (REPO / "benchmarks" / "test_perf.py").read_text(encoding="utf-8")
SMALL = [
    "-p",
    "no:cacheprovider",
    "-m",
    "perf",
    "--qnext-sim",
    "ttft=0.02,itl=0.002",
    "--qnext-min-prompt-length",
    "24",
    "--qnext-max-prompt-length",
    "24",
    "--qnext-min-tokens",
    "6",
    "--qnext-max-tokens",
    "6",
    "--qnext-extra-args",
    '{"ignore_eos": true}',
]


@pytest.fixture
def sweep(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    # not "test_perf": the outer session already imported benchmarks/test_perf.py by that name
    pytester.makepyfile(test_qnext_perf_suite=SWEEP)
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*SMALL, "--qnext-report-dir", str(pytester.path / "report"), *args)


def test_one_item_per_point_with_benchmark_json(sweep: pytest.Pytester) -> None:
    bench = sweep.path / "bench.json"
    result = _run(
        sweep,
        "--qnext-parallel",
        "1",
        "2",
        "--qnext-number",
        "2",
        "4",
        f"--benchmark-json={bench}",
        "-v",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*test_sweep?parallel=1-number=2? PASSED*",
            "*test_sweep?parallel=2-number=4? PASSED*",
            "*qnext perf*",
            "*Par | Num | Conc*",
        ]
    )
    data = json.loads(bench.read_text())
    names = sorted(b["name"] for b in data["benchmarks"])
    assert names == ["test_sweep[parallel=1-number=2]", "test_sweep[parallel=2-number=4]"]
    # the point parameter is a plain value pytest-benchmark can write
    params = sorted(b["params"]["qnext_perf_point"] for b in data["benchmarks"])
    assert params == ["parallel=1-number=2", "parallel=2-number=4"]
    assert "UNSERIALIZABLE" not in bench.read_text()
    for b in data["benchmarks"]:
        info: dict[str, Any] = b["extra_info"]
        for key in (
            "ttft_p50",
            "ttft_p99",
            "tpot_p50",
            "itl_p50",
            "e2e_p50",
            "output_throughput",
            "achieved_concurrency",
            "error_rate",
            "tokens_per_chunk",
            "loop_lag_p99",
        ):
            assert isinstance(info[key], float), key
        assert info["completed"] == info["number"]
        assert info["prompt_mismatches"] == 0 and info["completion_mismatches"] == 0
        assert info["output_tokens"] == 6 * info["number"]
        assert info["ttft_p50"] > 0  # against the configured TTFT: tests/timing/
    report = sweep.path / "report"
    rows = [json.loads(line) for line in (report / "perf.jsonl").read_text().splitlines()]
    assert len(rows) == 6
    assert {r["usage"]["prompt_tokens"] for r in rows} == {24}
    assert {r["usage"]["completion_tokens"] for r in rows} == {6}
    for name in ("perf_throughput.png", "perf_ttft.png", "perf_tpot.png"):
        assert (report / name).read_bytes()[:4] == b"\x89PNG"
    # the perf session's points reach summary.json, the same values as --benchmark-json's
    points = [
        PerfPoint.from_json(p) for p in json.loads((report / "summary.json").read_text())["perf"]
    ]
    assert [p.point for p in points] == ["parallel=1-number=2", "parallel=2-number=4"]
    extra = {b["extra_info"]["point"]: b["extra_info"] for b in data["benchmarks"]}
    for point in points:
        assert point.rounds == 1 and point.gates == () and point.rate is None
        assert point.to_json() == extra[point.point]


def test_one_number_for_all_points(sweep: pytest.Pytester) -> None:
    result = _run(sweep, "--qnext-parallel", "1", "2", "--qnext-number", "2", "--co", "-q")
    result.stdout.fnmatch_lines(
        ["*test_sweep?parallel=1-number=2?", "*test_sweep?parallel=2-number=2?"]
    )


def test_failing_slo_fails_each_point_with_one_line(sweep: pytest.Pytester) -> None:
    result = _run(
        sweep, "--qnext-parallel", "1", "2", "--qnext-number", "2", "--qnext-slo", "ttft_p99<=0.001"
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*parallel=1-number=2: SLO ttft_p99<=0.001 violated: measured * vs limit 0.001, n=2",
            "*parallel=2-number=2: SLO ttft_p99<=0.001 violated: measured * vs limit 0.001, n=2",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_loose_slos_pass(sweep: pytest.Pytester) -> None:
    result = _run(
        sweep,
        "--qnext-parallel",
        "2",
        "--qnext-number",
        "2",
        "--qnext-slo",
        "ttft_p99<=30",
        "--qnext-slo",
        "output_throughput>=0.001",
    )
    result.assert_outcomes(passed=1)


def test_baseline_regression_is_direction_aware(sweep: pytest.Pytester) -> None:
    bench = sweep.path / "first.json"
    _run(sweep, "--qnext-parallel", "2", "--qnext-number", "4", f"--benchmark-json={bench}")
    (row,) = [b["extra_info"] for b in json.loads(bench.read_text())["benchmarks"]]
    faster = {**row, "output_throughput": row["output_throughput"] * 10, "noise": {}}
    slower = {
        **row,
        **{
            m: row[m] * 10 if direction(m) == "lower" else row[m] / 10
            for m in BASELINE_METRICS
            if m in row
        },
        "noise": {},
    }
    (sweep.path / "faster.json").write_text(json.dumps({"perf": [faster]}))
    (sweep.path / "slower.json").write_text(json.dumps([slower]))
    args = ("--qnext-parallel", "2", "--qnext-number", "4", "--qnext-max-regression", "50%")
    result = _run(sweep, *args, "--qnext-perf-baseline", "faster.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*baseline output_throughput REGRESSED*limit 50% worse; noise*"])
    result = _run(sweep, *args, "--qnext-perf-baseline", "slower.json")
    result.assert_outcomes(passed=1)


def test_mismatched_lengths_are_a_usage_error(sweep: pytest.Pytester) -> None:
    result = _run(sweep, "--qnext-parallel", "1", "2", "4", "--qnext-number", "5", "10")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--qnext-number: 2 values given for 3 --qnext-parallel values; give one number per*"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--qnext-slo", "ttft<=1"), "*--qnext-slo: unknown metric 'ttft'*"),
        (("--qnext-extra-args", "{oops"), "*--qnext-extra-args: not valid JSON*"),
        (("--qnext-parallel", "0"), "*--qnext-parallel: '0' must be >= 1*"),
        (("--qnext-perf-dataset", "sharegpt"), "*--qnext-perf-dataset: 'sharegpt' is not valid*"),
    ],
)
def test_bad_options_are_one_line(
    sweep: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    result = _run(sweep, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_perf_refuses_xdist(sweep: pytest.Pytester) -> None:
    result = _run(sweep, "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*perf sweeps refuse to run under xdist*without -n*"])


def test_all_requests_failing_fails_the_point_with_error_kinds(sweep: pytest.Pytester) -> None:
    result = sweep.runpytest(
        *SMALL[:4],
        "--qnext-sim",
        "fail_rate=1",
        "--qnext-parallel",
        "2",
        "--qnext-number",
        "3",
        "--qnext-min-prompt-length",
        "16",
        "--qnext-max-prompt-length",
        "16",
        "--qnext-max-tokens",
        "4",
        "--qnext-min-tokens",
        "4",
        "--qnext-report-dir",
        str(sweep.path / "report"),
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*parallel=2-number=3: all 3 requests failed ({'http_5xx': 3}), e.g. HTTP 500*"]
    )


def test_open_loop_records_intended_and_actual_send_times(sweep: pytest.Pytester) -> None:
    result = _run(
        sweep,
        "--qnext-parallel",
        "4",
        "--qnext-number",
        "6",
        "--qnext-rate",
        "50",
        "--qnext-warmup",
        "2",
    )
    result.assert_outcomes(passed=1)
    rows = [
        json.loads(line) for line in (sweep.path / "report" / "perf.jsonl").read_text().splitlines()
    ]
    measured = [r for r in rows if not r["warmup"]]
    assert len(measured) == 6 and sum(r["warmup"] for r in rows) == 2
    for r in measured:
        assert r["intended_send"] is not None
        assert r["send"] >= r["intended_send"] - 1e-3  # never sent before its scheduled time


def test_rates_rounds_goodput_and_the_request_sent(sweep: pytest.Pytester) -> None:
    result = _run(
        sweep,
        "--qnext-parallel",
        "4",
        "--qnext-number",
        "6",
        "--qnext-rate",
        "40",
        "80",
        "--qnext-burstiness",
        "0.5",
        "--qnext-perf-rounds",
        "3",
        "--qnext-goodput",
        "ttft<=30,e2e<=30",
        "--qnext-slo",
        "good_fraction>=1",
        "-v",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*open loop, gamma (burstiness 0.5) 40, 80 req/s*",
            "*client capacity (zero-latency self-test*req/s*",
            "*test_sweep?parallel=4-number=6-rate=40? PASSED*",
            "*test_sweep?parallel=4-number=6-rate=80? PASSED*",
            "*Good %*",
        ]
    )
    body = (
        'qnext perf: request body (chat API): {"model": "<model>", "messages": [{"role": '
        '"user", "content": "<prompt>"}], "max_tokens": 6, "min_tokens": 6, "temperature": '
        '0.0, "ignore_eos": true, "stream": true, "stream_options": {"include_usage": true}}'
    )
    assert body in result.stdout.lines
    points = json.loads((sweep.path / "report" / "summary.json").read_text())["perf"]
    assert [p["rate"] for p in points] == [40, 80]
    for point in points:
        assert point["rounds"] == 3
        assert len(point["round_values"]["ttft_p50"]) == 3
        low, high = point["ci95"]["ttft_p50"]
        assert low <= point["ttft_p50"] <= high
        assert point["good_fraction"] == 1.0 and point["goodput"] > 0
        assert point["request_template"]["temperature"] == 0.0
        assert point["request_template"]["model"] == "qnext-sim"
        assert point["completed"] == 18  # three rounds of six
