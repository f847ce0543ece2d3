"""The plugin end to end against the real vLLM: a short perf sweep and a capability run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    for name in ("test_perf", "test_capability"):
        text = (REPO / "benchmarks" / f"{name}.py").read_text(encoding="utf-8")
        pytester.makepyfile(**{name: text})
    return pytester


def test_short_perf_sweep_against_vllm(
    suite: pytest.Pytester, vllm_url: str, qwen3_tokenizer_path: Path
) -> None:
    report = suite.path / "report"
    bench = suite.path / "bench.json"
    result = suite.runpytest_subprocess(
        "-p", "no:cacheprovider", "-m", "perf", "test_perf.py",
        "--qnext-url", f"{vllm_url}/chat/completions",
        "--qnext-parallel", "1", "4", "--qnext-number", "2", "8",
        "--qnext-min-prompt-length", "64", "--qnext-max-prompt-length", "64",
        "--qnext-min-tokens", "32", "--qnext-max-tokens", "32",
        "--qnext-tokenizer", str(qwen3_tokenizer_path),
        "--qnext-extra-args", '{"ignore_eos": true}',
        "--qnext-slo", "error_rate<=0",
        "--qnext-report-dir", str(report), f"--benchmark-json={bench}",
        timeout=600,
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    report = report / "latest"  # the newest run folder under the report root
    records = [json.loads(line) for line in (report / "perf.jsonl").read_text().splitlines()]
    measured = [r for r in records if not r.get("warmup")]
    assert len(measured) == 10
    for row in measured:
        usage = row["usage"]
        assert usage["prompt_tokens"] == 64, usage  # chat template accounted for
        assert usage["completion_tokens"] == 32, usage
    points = json.loads((report / "summary.json").read_text())["perf"]
    assert [(p["parallel"], p["number"]) for p in points] == [(1, 2), (4, 8)]
    for point in points:
        assert point["ttft_p50"] > 0 and point["output_throughput"] > 0
    benchmarks = json.loads(bench.read_text())["benchmarks"]
    assert {b["name"] for b in benchmarks} == {
        "test_sweep[parallel=1-number=2]",
        "test_sweep[parallel=4-number=8]",
    }


def test_capability_run_against_vllm(suite: pytest.Pytester, vllm_url: str) -> None:
    """A random-weight model answers noise: every sample must still end in a scored outcome
    (no errors), and the table must count all of them."""
    data = suite.path / "mcq.jsonl"
    rows = [
        {"id": f"q{i}", "question": f"Pick {c}.", "choices": ["x", "y", "z"], "answer": c}
        for i, c in enumerate("ABCABC")
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = suite.path / "report"
    result = suite.runpytest_subprocess(
        "-p", "no:cacheprovider", "-m", "capability", "test_capability.py",
        "--qnext-url", vllm_url, "--qnext-datasets", "general_mcq",
        "--qnext-dataset-args", json.dumps({"general_mcq": {"local_path": str(data)}}),
        "--qnext-gen-config", '{"max_tokens": 16}', "--qnext-cache", "off",
        "--qnext-gate", "error_rate<=0", "--qnext-report-dir", str(report),
        timeout=600,
    )  # fmt: skip
    assert result.ret == 0, result.stdout.str()[-2000:]
    report = report / "latest"  # the newest run folder under the report root
    summary = json.loads((report / "summary.json").read_text())
    (row,) = summary["table"]
    assert row["dataset_name"] == "general_mcq" and row["count"] == 6
    assert row["outcomes"].get("error", 0) == 0
    samples = [json.loads(x) for x in (report / "samples.jsonl").read_text().splitlines()]
    assert all(s["usage"] and s["usage"]["completion_tokens"] <= 16 for s in samples)
