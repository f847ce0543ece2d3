"""The subprocess runner, the CLI, and stream timing against the configured latency model.

Timing bounds are loose (two shared cores); the measured errors are printed.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_qnext.sim import SimConfig, SimStartError, parse_spec, prompt_key, run_in_process
from pytest_qnext.sim.__main__ import main
from pytest_qnext.sim.policy import write_oracle


def test_process_runner_starts_serves_and_stops(tmp_path: Path) -> None:
    oracle = write_oracle(
        {prompt_key("q"): {"sample": "demo/1", "correct": "yes", "wrong": "no"}},
        tmp_path / "oracle.jsonl",
    )
    config = SimConfig(policy="oracle", p=1.0, api_key="sk-hidden", model="m1")
    with run_in_process(config, oracle_file=oracle) as sim:
        proc = sim.process
        assert proc is not None and proc.poll() is None
        assert "sk-hidden" not in str(proc.args)  # the key travels in the environment
        assert sim.url.startswith("http://127.0.0.1:") and sim.url.endswith("/v1")
        r = httpx.post(
            sim.url + "/chat/completions",
            json={"model": "m1", "messages": [{"role": "user", "content": "q"}]},
            headers={"Authorization": "Bearer sk-hidden"},
        )
        assert r.json()["choices"][0]["message"]["content"] == "yes"
        assert sim.stats()["completed_by_key"] == {"demo/1": 1}
    assert proc.poll() is not None  # stopped
    with pytest.raises(httpx.ConnectError):
        httpx.get(sim.base + "/health")


def test_process_runner_stops_on_exception() -> None:
    with pytest.raises(RuntimeError, match="boom"), run_in_process(SimConfig()) as sim:
        proc = sim.process
        raise RuntimeError("boom")
    assert proc is not None and proc.poll() is not None


def test_process_runner_reports_start_errors(tmp_path: Path) -> None:
    config = SimConfig(policy="oracle", oracle=str(tmp_path / "missing.jsonl"))
    with (
        pytest.raises(SimStartError, match=r"cannot read oracle file .*missing\.jsonl"),
        run_in_process(config),
    ):
        pass


def test_cli_bad_values_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--spec", "ttft=0.1,nope=1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qnext-sim: error: ")
    assert "'nope'" in err and "\n" not in err
    assert main(["--p", "2"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err


def test_cli_sigterm_stops_cleanly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest_qnext.sim", "--port", "0", "--spec", "itl=0.01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("serving on http://127.0.0.1:") and line.rstrip().endswith("/v1")
        assert httpx.get(line.split()[-1][: -len("/v1")] + "/health").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert proc.stderr is not None and proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


async def _timed_stream(client: httpx.AsyncClient, url: str, i: int, n: int) -> dict[str, Any]:
    body = {
        "messages": [{"role": "user", "content": f"timing probe {i}"}],
        "max_tokens": n,
        "ignore_eos": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    loop = asyncio.get_running_loop()
    times: list[float] = []
    sent = loop.time()
    async with client.stream("POST", url + "/chat/completions", json=body) as resp:
        async for line in resp.aiter_lines():
            if '"content":"' in line and '"role"' not in line:
                times.append(loop.time())
    return {
        "ttft": times[0] - sent,
        "gaps": [b - a for a, b in itertools.pairwise(times)],
        "chunks": len(times),
    }


def _measure(url: str, streams: int, n: int) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        limits = httpx.Limits(max_connections=streams + 4)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            return await asyncio.gather(*(_timed_stream(client, url, i, n) for i in range(streams)))

    return asyncio.run(run())


@pytest.mark.parametrize("streams", [1, 16])
def test_stream_timing_matches_latency_model(streams: int) -> None:
    ttft, itl, prefill, n = 0.05, 0.01, 0.0005, 40
    config = parse_spec(f"ttft={ttft},itl={itl},prefill_per_token={prefill}")
    with run_in_process(config) as sim:
        _measure(sim.url, 1, 3)  # warm the connection path
        sim.reset()
        results = _measure(sim.url, streams, n)
        stats = sim.stats()
    prompt_tokens = stats["prompt_tokens"] // streams
    expected_ttft = ttft + prefill * prompt_tokens
    ttfts = [r["ttft"] for r in results]
    gaps = [g for r in results for g in r["gaps"]]
    mean_ttft, mean_gap = statistics.fmean(ttfts), statistics.fmean(gaps)
    ttft_err = (mean_ttft - expected_ttft) * 1000
    print(
        f"\n{streams} streams: TTFT mean {mean_ttft * 1000:.1f} ms"
        f" (model {expected_ttft * 1000:.1f}, error {ttft_err:+.1f} ms);"
        f" ITL mean {mean_gap * 1000:.2f} ms (model {itl * 1000:.1f},"
        f" error {(mean_gap - itl) * 1000:+.2f} ms); server first-token lag mean"
        f" {stats['first_token_lag_mean_ms']:.1f} ms, write lag mean"
        f" {stats['write_lag_mean_ms']:.2f} ms, max {stats['write_lag_max_ms']:.1f} ms"
    )
    assert all(r["chunks"] == n for r in results)
    assert stats["completed"] == streams
    # absolute deadlines: the stream's total duration does not drift with n
    assert expected_ttft * 0.9 <= mean_ttft <= expected_ttft + 0.25
    assert itl * 0.8 <= mean_gap <= itl * 3
    total = statistics.fmean(r["ttft"] + sum(r["gaps"]) for r in results)
    assert total <= expected_ttft + (n - 1) * itl + 0.3
