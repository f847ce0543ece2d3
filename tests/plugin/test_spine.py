"""The plugin's spine end to end: options, settings precedence, header, pre-flight, targets."""

from __future__ import annotations

import socket
import sys

import pytest

ITEM = """
import pytest

@pytest.mark.capability
def test_needs_a_server(qnext_target):
    assert qnext_target.urls
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    pytester.makepyfile(test_item=ITEM)
    return pytester


def _one_error_line(result: pytest.RunResult) -> str:
    lines = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(lines) == 1, result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    return lines[0]


def test_help_lists_every_option_with_its_default(project: pytest.Pytester) -> None:
    result = project.runpytest("--help")
    text = " ".join(result.stdout.str().split())
    for flag in (
        "--qnext-url",
        "--qnext-sim",
        "--qnext-serve",
        "--qnext-api-key",
        "--qnext-datasets",
        "--qnext-gate",
        "--qnext-parallel",
        "--qnext-slo",
    ):
        assert flag in text
    assert text.count("Default:") >= 40


def test_no_target_is_one_line_naming_the_three_ways(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-m", "capability")
    line = _one_error_line(result)
    for way in ("--qnext-url", "--qnext-serve", "--qnext-sim"):
        assert way in line
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_unreachable_server_ends_with_one_line(project: pytest.Pytester) -> None:
    """(That it ends within seconds: tests/timing/test_timing_plugin.py.)"""
    url = f"http://127.0.0.1:{_free_port()}/v1"
    result = project.runpytest_subprocess("-m", "capability", "--qnext-url", url)
    line = _one_error_line(result)
    assert url in line and "connect" in line
    assert result.ret == pytest.ExitCode.USAGE_ERROR


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--qnext-api", "foo"], "--qnext-api: 'foo' is not valid; use one of: chat, completions"),
        (["--qnext-retries", "-1"], "--qnext-retries: '-1' must be >= 0"),
        (["--qnext-timeout", "soon"], "--qnext-timeout: 'soon' is not a number"),
        (["--qnext-sim", "ttft=fast"], "--qnext-sim:"),
        (["--qnext-url", "ftp://x/v1"], "--qnext-url:"),
        (["--qnext-sim", "--qnext-serve", "true"], "give one of them, not both"),
    ],
)
def test_bad_values_are_one_line_usage_errors(
    project: pytest.Pytester, args: list[str], message: str
) -> None:
    result = project.runpytest_subprocess(*args)
    assert message in _one_error_line(result)
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_cli_beats_ini_beats_env(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    project.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nqnext_timeout = 7\n"
        "qnext_api = completions\n"
    )
    monkeypatch.setenv("QNEXT_API", "chat")
    monkeypatch.setenv("QNEXT_MODEL", "from-env")
    result = project.runpytest_subprocess("--co", "--qnext-timeout", "9")
    header = result.stdout.str()
    assert "timeout 9s" in header  # CLI over ini
    assert "api completions" in header  # ini over env
    assert "model from-env" in header  # env over default


def test_header_never_shows_the_api_key(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QNEXT_API_KEY", "sk-very-secret-1234")
    result = project.runpytest_subprocess("--co", "--qnext-sim")
    out = result.stdout.str() + result.stderr.str()
    assert "api key set" in out
    assert "sk-very-secret-1234" not in out


def test_simulator_target_runs_items(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-m", "capability", "--qnext-sim", "ttft=0.001,itl=0")
    result.assert_outcomes(passed=1)


def test_refused_key_is_one_line(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_qnext.sim import parse_spec, run_in_process

    with run_in_process(parse_spec("api_key=right-key")) as sim:
        monkeypatch.setenv("QNEXT_API_KEY", "wrong-key")
        result = project.runpytest_subprocess("-m", "capability", "--qnext-url", str(sim.url))
    line = _one_error_line(result)
    assert "401" in line and str(sim.url) in line
    assert "wrong-key" not in result.stdout.str() + result.stderr.str()


def test_managed_server_starts_and_stops(project: pytest.Pytester) -> None:
    port = _free_port()
    command = f"{sys.executable} -m pytest_qnext.sim --port {port} --ttft 0.001 --itl 0"
    result = project.runpytest_subprocess("-m", "capability", "--qnext-serve", command)
    result.assert_outcomes(passed=1)
    with socket.socket() as s:  # stopped at the end: the port is free again
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_managed_server_failed_start_shows_its_log(project: pytest.Pytester) -> None:
    command = f"{sys.executable} -c \"print('model weights missing'); raise SystemExit(3)\""
    result = project.runpytest_subprocess("-m", "capability", "--qnext-serve", command)
    err = result.stderr.str()
    assert "exited with status 3" in err
    assert "model weights missing" in err  # the log's last lines
    assert result.ret == pytest.ExitCode.USAGE_ERROR
