"""The subprocess runner and the CLI.

(Stream timing against the configured latency model: tests/timing/test_timing_sim.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pytest_qnext.sim import SimConfig, SimStartError, prompt_key, run_in_process
from pytest_qnext.sim.__main__ import ORACLE_WITHOUT_FILE, main
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


def test_standalone_oracle_without_a_file_warns(closed_port: int) -> None:
    """`python -m pytest_qnext.sim --policy oracle` with no --oracle would echo every request:
    it says so on stderr (and still serves)."""
    argv = ["-m", "pytest_qnext.sim", "--port", str(closed_port), "--policy", "oracle"]
    proc = subprocess.Popen(
        [sys.executable, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("serving on ")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert ORACLE_WITHOUT_FILE in err
