"""End to end (pytest in a subprocess, simulator over real sockets): request keys the plugin owns
in --qnext-gen-config / --qnext-extra-args end the session with one line before any request;
other generation parameters reach the server in every body."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pytest_qnext.sim import SimConfig, SimServer, run_in_thread

TEST_FILE = """
import pytest
pytestmark = pytest.mark.capability

def test_sample(qnext_sample):
    qnext_sample.check()
"""
ROWS = [
    {"id": str(i), "question": f"Which letter is first, {i}?", "choices": ["a", "b"], "answer": "A"}
    for i in range(3)
]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    pytester.makepyfile(test_capability=TEST_FILE)
    lines = "".join(json.dumps(row) + "\n" for row in ROWS)
    pytester.path.joinpath("mcq.jsonl").write_text(lines, encoding="utf-8")
    return pytester


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with run_in_thread(SimConfig(policy="fixed", text="ANSWER: A")) as server:
        yield server


def capability_args(sim: SimServer, *extra: str) -> list[str]:
    return [
        "-p",
        "no:cacheprovider",
        "-m",
        "capability",
        "--qnext-url",
        sim.url,
        "--qnext-datasets",
        "general_mcq",
        "--qnext-dataset-args",
        json.dumps({"general_mcq": {"local_path": "mcq.jsonl"}}),
        "--qnext-cache",
        "off",
        *extra,
    ]


def one_error_line(result: pytest.RunResult) -> str:
    lines = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(lines) == 1, result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    return lines[0]


@pytest.mark.parametrize(
    ("flag", "params", "instead"),
    [
        ("--qnext-gen-config", '{"stream": false}', "--qnext-stream / --qnext-no-stream"),
        ("--qnext-gen-config", '{"temperature": 0, "model": "other"}', "--qnext-model"),
        ("--qnext-extra-args", '{"ignore_eos": true, "stream": false}', "--qnext-stream"),
    ],
)
def test_owned_keys_end_the_session_before_any_request(
    project: pytest.Pytester, sim: SimServer, flag: str, params: str, instead: str
) -> None:
    result = project.runpytest_subprocess(*capability_args(sim, flag, params))
    line = one_error_line(result)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    key = next(k for k in json.loads(params) if k in ("stream", "model", "stream_options"))
    assert line.startswith(f"ERROR: {flag}: '{key}' is set by pytest-qnext") and instead in line
    stats = sim.stats()
    assert (stats["received"], stats["rejected"], sim.requests()) == (0, 0, [])
    print(f"exit {result.ret}: {line}")


def test_other_generation_parameters_reach_the_server(
    project: pytest.Pytester, sim: SimServer
) -> None:
    """The control: the same command with a plain generation config asks every sample."""
    gen = {"temperature": 0, "max_tokens": 16, "seed": 7}
    result = project.runpytest_subprocess(
        *capability_args(sim, "--qnext-gen-config", json.dumps(gen))
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    bodies = sim.requests()
    assert sim.stats()["received"] == len(bodies) == len(ROWS)
    for body in bodies:
        assert {k: body[k] for k in gen} == gen
        assert body["model"] == "qnext-sim" and body["stream"] is True
        assert body["stream_options"] == {"include_usage": True}
