"""Perf mistakes found at start-up, as one line and exit 4 (issue #11 items 5, 10, 12): a missing
tokenizer path or a hub id not in the local cache (checked offline: no hub wait), a corrupt or
capability-only baseline, non-finite rates; and a baseline without the point fails that point
with the reason instead of passing as "not compared"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SWEEP = (REPO / "benchmarks" / "test_perf.py").read_text(encoding="utf-8")
SMALL = (
    "-p",
    "no:cacheprovider",
    "-m",
    "perf",
    "--qnext-sim",
    "ttft=0.01,itl=0.001",
    "--qnext-min-prompt-length",
    "16",
    "--qnext-max-prompt-length",
    "16",
    "--qnext-min-tokens",
    "4",
    "--qnext-max-tokens",
    "4",
)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    pytester.makepyfile(test_qnext_perf_suite=SWEEP)
    return pytester


def one_line_usage_error(result: pytest.RunResult, fragment: str) -> None:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    result.stderr.fnmatch_lines([f"*{fragment}*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ("--qnext-tokenizer", "/no/such/tokenizer"),
            "--qnext-tokenizer: /no/such/tokenizer does not exist",
        ),
        (("--qnext-tokenizer", "./missing-dir"), "--qnext-tokenizer: ./missing-dir does not exist"),
        (
            ("--qnext-tokenizer", "nobody-org/no-such-model-qnext"),
            "is neither a local folder nor a hub id in the Hugging Face cache",
        ),
        (("--qnext-rate", "nan"), "--qnext-rate: 'nan' is not a finite number"),
        (("--qnext-rate", "inf"), "--qnext-rate: 'inf' is not a finite number"),
        (("--qnext-rate", "1", "--qnext-burstiness", "inf"), "--qnext-burstiness: 'inf' is not"),
        (("--qnext-goodput", "ttft<=nan"), "--qnext-goodput: cannot read 'ttft<=nan'"),
    ],
)
def test_bad_perf_inputs_are_refused_at_start_up(
    suite: pytest.Pytester, args: tuple[str, ...], fragment: str
) -> None:
    result = suite.runpytest_subprocess(*SMALL, *args)
    one_line_usage_error(result, fragment)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{broken", "--qnext-perf-baseline: cannot read"),
        (
            json.dumps({"table": [{"dataset_name": "mmlu_pro", "average_score": 0.5}], "perf": []}),
            "holds a capability summary perf points",
        ),
        (json.dumps({"perf": [{"parallel": 2}]}), "lacks 'point'"),
    ],
)
def test_unusable_perf_baseline_is_exit_4(
    suite: pytest.Pytester, content: str, fragment: str
) -> None:
    (suite.path / "base.json").write_text(content)
    result = suite.runpytest_subprocess(*SMALL, "--qnext-perf-baseline", "base.json")
    one_line_usage_error(result, fragment)


def test_baseline_without_the_point_fails_it_with_the_reason(suite: pytest.Pytester) -> None:
    report = suite.path / "first"
    first = suite.runpytest_subprocess(
        *SMALL, "--qnext-parallel", "1", "--qnext-number", "3", "--qnext-report-dir", str(report)
    )
    first.assert_outcomes(passed=1)
    result = suite.runpytest_subprocess(
        *SMALL,
        "--qnext-parallel",
        "2",
        "--qnext-number",
        "3",
        "--qnext-perf-baseline",
        str(report),  # a run folder is accepted
        "--qnext-report-dir",
        str(suite.path / "second"),
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*baseline: no point matches parallel=2 number=3 (the baseline has parallel=1 number=3)*"]
    )
    gates = json.loads((suite.path / "second" / "summary.json").read_text())["perf"][0]["gates"]
    assert [g["passed"] for g in gates] == [False]
