"""Perf against the real vLLM: its own /metrics beside our timing, prefix-cache hits from the
shared-prefix workload (none from unique prompts), running requests at a saturated point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    text = (REPO / "benchmarks" / "test_perf.py").read_text(encoding="utf-8")
    pytester.makepyfile(test_perf=text)
    return pytester


def run_points(
    suite: pytest.Pytester, url: str, tokenizer: Path, name: str, *args: str
) -> list[dict[str, Any]]:
    report = suite.path / name
    result = suite.runpytest_subprocess(
        "-p", "no:cacheprovider", "-m", "perf", "test_perf.py",
        "--qnext-url", url, "--qnext-tokenizer", str(tokenizer),
        "--qnext-extra-args", '{"ignore_eos": true}',
        "--qnext-report-dir", str(report), *args,
        timeout=600,
    )  # fmt: skip
    assert result.ret == 0, result.stdout.str()[-3000:]
    points: list[dict[str, Any]] = json.loads((report / "summary.json").read_text())["perf"]
    return points


def test_prefix_workload_hits_vllms_prefix_cache_and_unique_prompts_do_not(
    suite: pytest.Pytester, vllm_url: str, qwen3_tokenizer_path: Path
) -> None:
    shape = (
        "--qnext-parallel", "2", "--qnext-number", "8",
        "--qnext-min-prompt-length", "64", "--qnext-max-prompt-length", "64",
        "--qnext-min-tokens", "8", "--qnext-max-tokens", "8",
    )  # fmt: skip
    (unique,) = run_points(suite, vllm_url, qwen3_tokenizer_path, "unique", *shape)
    (shared,) = run_points(
        suite, vllm_url, qwen3_tokenizer_path, "shared", *shape, "--qnext-prefix-length", "512"
    )
    assert unique["server_missing"] == [] and shared["server_missing"] == []
    assert unique["server_prefix_hits"] == 0
    assert unique["server_prefix_queries"] >= 8 * 64
    assert shared["server_prefix_hits"] > 0 and shared["server_prefix_hit_rate"] > 0.3
    assert shared["prompt_mismatches"] == 0  # 512 shared + 64 unique tokens, as counted


def test_running_requests_at_a_saturated_point_equal_the_concurrency(
    suite: pytest.Pytester, vllm_url: str, qwen3_tokenizer_path: Path
) -> None:
    (point,) = run_points(
        suite, vllm_url, qwen3_tokenizer_path, "saturated",
        "--qnext-parallel", "4", "--qnext-number", "12",
        "--qnext-min-prompt-length", "32", "--qnext-max-prompt-length", "32",
        "--qnext-min-tokens", "128", "--qnext-max-tokens", "128",
        "--qnext-metrics-interval", "0.1",
    )  # fmt: skip
    assert point["server_scrapes"] > 3
    assert point["server_running_max"] == 4
    assert point["server_waiting_max"] == 0
    assert point["server_ttft_n"] == 12 and point["server_e2e_n"] == 12
    assert point["server_ttft_mean"] > 0 and point["server_e2e_mean"] > point["server_ttft_mean"]
    # the server's own E2E is at most ours (it starts later and ends earlier), within 50 ms
    assert point["server_e2e_mean"] <= point["e2e_mean"] + 0.05
