"""The plugin end to end, where the check is a duration: pre-flight gives up fast, and a perf
point's TTFT reads the simulator's configured TTFT. (The outcomes of the same runs are checked
in tests/plugin/.)"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SIM_TTFT = 0.02

pytestmark = pytest.mark.timing


def test_unreachable_server_ends_within_seconds(
    pytester: pytest.Pytester, closed_port: int
) -> None:
    pytester.makepyfile(
        test_item="import pytest\n\n"
        "@pytest.mark.capability\n"
        "def test_needs_a_server(qnext_target):\n"
        "    assert qnext_target.urls\n"
    )
    url = f"http://127.0.0.1:{closed_port}/v1"
    start = time.monotonic()
    result = pytester.runpytest_subprocess("-m", "capability", "--qnext-url", url)
    took = time.monotonic() - start
    print(f"\nunreachable server: exit {result.ret} after {took:.1f}s")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert took < 15


def test_perf_point_ttft_reads_the_configured_ttft(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    sweep = (REPO / "benchmarks" / "test_perf.py").read_text(encoding="utf-8")
    pytester.makepyfile(test_qnext_perf_suite=sweep)
    bench = pytester.path / "bench.json"
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-m",
        "perf",
        "--qnext-sim",
        f"ttft={SIM_TTFT},itl=0.002",
        "--qnext-min-prompt-length",
        "24",
        "--qnext-max-prompt-length",
        "24",
        "--qnext-max-tokens",
        "6",
        "--qnext-parallel",
        "2",
        "--qnext-number",
        "8",
        "--qnext-report-dir",
        str(pytester.path / "report"),
        f"--benchmark-json={bench}",
    )
    result.assert_outcomes(passed=1)
    (point,) = json.loads(bench.read_text())["benchmarks"]
    ttft = point["extra_info"]["ttft_p50"]
    print(f"\nperf point TTFT p50 {ttft * 1e3:.1f} ms (simulator {SIM_TTFT * 1e3:.0f} ms)")
    assert SIM_TTFT <= ttft < SIM_TTFT + 0.25
