"""Target start-up (target.py, serve.py): real processes on loopback ports, settings built by
pytest from the command line, no stand-ins for what starts, waits for or stops a server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from pytest_qnext.settings import Settings
from pytest_qnext.sim import parse_spec, run_in_process
from pytest_qnext.target import TargetError, TargetRunner, preflight

PY = sys.executable


def _settings(pytester: pytest.Pytester, *args: str) -> Settings:
    """The settings pytest resolves from these `--qnext-*` arguments (the plugin's own path)."""
    return Settings.from_config(pytester.parseconfig(*args))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_simulator_starts_answers_preflight_and_stops(pytester: pytest.Pytester) -> None:
    settings = _settings(pytester, "--qnext-sim", "ttft=0,itl=0")
    runner = TargetRunner(settings)
    try:
        urls = runner.start()
        process = runner.sim.process
        assert process is not None and process.poll() is None  # its own process
        target = preflight(settings, urls)
        assert target.urls == urls and target.model == "qnext-sim"
        health = urls[0].removesuffix("/v1") + "/health"
        assert httpx.get(health).status_code == 200
    finally:
        runner.stop()
    assert process.poll() is not None
    with pytest.raises(httpx.ConnectError):
        httpx.get(health)


def test_simulator_that_cannot_start_is_one_line(pytester: pytest.Pytester, tmp_path: Path) -> None:
    missing = tmp_path / "missing-oracle.jsonl"
    settings = _settings(pytester, "--qnext-sim", f"policy=oracle,oracle={missing}")
    runner = TargetRunner(settings)
    with pytest.raises(TargetError) as info:
        runner.start()
    runner.stop()
    message = str(info.value)
    assert message.startswith("--qnext-sim: could not start the simulator (")
    assert str(missing) in message and "\n" not in message


def test_managed_server_starts_answers_preflight_and_stops(
    pytester: pytest.Pytester, closed_port: int
) -> None:
    command = f"{PY} -m pytest_qnext.sim --port {closed_port} --ttft 0 --itl 0"
    settings = _settings(pytester, "--qnext-serve", command, "--qnext-serve-timeout", "60")
    runner = TargetRunner(settings)
    try:
        urls = runner.start()  # the URL comes from the command's --port
        assert urls == (f"http://127.0.0.1:{closed_port}/v1",)
        assert preflight(settings, urls).model == "qnext-sim"
        log = runner.server.log_path if runner.server else None
        assert log is not None and log.is_file()
    finally:
        runner.stop()
    with pytest.raises(httpx.ConnectError):  # stopped: nothing listens there any more
        httpx.get(f"http://127.0.0.1:{closed_port}/health")
    assert not log.exists() and runner.notes() == []  # a normal run leaves no log behind


def test_managed_server_that_exits_early_shows_why_and_its_log(
    pytester: pytest.Pytester, closed_port: int
) -> None:
    command = f"{PY} -c \"print('model weights missing'); raise SystemExit(3)\""
    settings = _settings(
        pytester,
        "--qnext-serve",
        command,
        "--qnext-url",
        f"http://127.0.0.1:{closed_port}/v1",
        "--qnext-serve-timeout",
        "60",
    )
    runner = TargetRunner(settings)
    with pytest.raises(TargetError) as info:
        runner.start()
    runner.stop()
    first, *tail = str(info.value).splitlines()
    assert first == "--qnext-serve: the server exited with status 3 before it was healthy"
    assert "model weights missing" in tail  # the last lines of its log follow
    log = Path(tail[0].split(" of ", 1)[1].removesuffix(" ---"))
    assert log.name.startswith("qnext-serve-") and "model weights missing" in log.read_text()
    log.unlink()  # kept for the user: the failure names it


def test_a_server_that_dies_during_the_run_keeps_its_log(
    pytester: pytest.Pytester, closed_port: int
) -> None:
    command = f"{PY} -m pytest_qnext.sim --port {closed_port} --ttft 0 --itl 0"
    runner = TargetRunner(_settings(pytester, "--qnext-serve", command))
    runner.start()
    server = runner.server
    assert server is not None and server.process is not None and server.log_path is not None
    server.process.kill()
    server.process.wait(10)
    runner.stop()
    (note,) = runner.notes()
    assert note == (
        f"--qnext-serve: the server exited by itself (status -9) before the end of the run; its "
        f"log is kept at {server.log_path}"
    )
    assert server.log_path.is_file()
    server.log_path.unlink()


def test_an_unparsable_serve_command_is_one_line(pytester: pytest.Pytester) -> None:
    settings = _settings(pytester, "--qnext-serve", "vllm serve 'unclosed")
    with pytest.raises(TargetError, match=r"^--qnext-serve: cannot parse the command \(No "):
        TargetRunner(settings).start()


def test_a_sim_spec_changes_only_the_keys_it_names(pytester: pytest.Pytester) -> None:
    """--qnext-sim "ttft=..,itl=.." keeps the plugin's default oracle policy (one default)."""
    runner = TargetRunner(_settings(pytester, "--qnext-sim", "ttft=0,itl=0.001"))
    try:
        runner.start()
        argv = " ".join(runner.sim.process.args)  # the simulator as it was started
        assert "--policy oracle --p 0.7" in argv and "--itl 0.001" in argv
        assert "--ttft" not in argv  # 0 is the simulator's own default: the spec's value won
    finally:
        runner.stop()


def test_managed_server_never_healthy_is_stopped(
    pytester: pytest.Pytester, closed_port: int, tmp_path: Path
) -> None:
    """A command that runs but never answers /health: after --qnext-serve-timeout it is
    stopped (its process is gone) and the message says what to raise."""
    pid_file = tmp_path / "pid"
    script = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    )
    settings = _settings(
        pytester,
        "--qnext-serve",
        f'{PY} -c "{script}"',
        "--qnext-url",
        f"http://127.0.0.1:{closed_port}/v1",
        "--qnext-serve-timeout",
        "3",  # the command has written its pid long before (it does that first)
    )
    runner = TargetRunner(settings)
    with pytest.raises(TargetError) as info:
        runner.start()
    runner.stop()
    message = str(info.value)
    assert message.startswith(
        f"--qnext-serve: http://127.0.0.1:{closed_port}/health not healthy after 3s "
        "(raise --qnext-serve-timeout"
    )
    assert "\n" not in message  # the command wrote nothing: no log lines to show
    assert pid_file.read_text() and _gone(int(pid_file.read_text()))


def test_managed_server_command_not_found_is_one_line(pytester: pytest.Pytester) -> None:
    settings = _settings(pytester, "--qnext-serve", "/nonexistent/qnext-server --port 9")
    with pytest.raises(TargetError) as info:
        TargetRunner(settings).start()
    message = str(info.value)
    assert message.startswith("--qnext-serve: cannot start '/nonexistent/qnext-server' (")
    assert "\n" not in message


def test_preflight_on_a_closed_port_is_one_line(
    pytester: pytest.Pytester, closed_port: int
) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    settings = _settings(pytester, "--qnext-url", url)
    urls = TargetRunner(settings).start()  # nothing to start: the URL as given
    assert urls == (url,)
    with pytest.raises(TargetError) as info:
        preflight(settings, urls)
    message = str(info.value)
    assert url in message and "connect" in message and "\n" not in message


@pytest.mark.parametrize(
    ("spec", "args", "expected"),
    [
        (
            "model=served-model",
            ["--qnext-model", "other-model"],
            "model 'other-model' is not served (it lists: served-model); fix --qnext-model",
        ),
        (
            "api_key=right-key",
            ["--qnext-api-key", "wrong-key-42"],
            "refused the API key sent (HTTP 401)",
        ),
    ],
    ids=["unknown-model", "refused-key"],
)
def test_preflight_refusals_are_one_line_naming_the_server(
    pytester: pytest.Pytester, spec: str, args: list[str], expected: str
) -> None:
    with run_in_process(parse_spec(spec)) as sim:
        settings = _settings(pytester, "--qnext-url", sim.url, *args)
        with pytest.raises(TargetError) as info:
            preflight(settings, (sim.url,))
    message = str(info.value)
    assert expected in message and sim.url in message
    assert "\n" not in message and "wrong-key-42" not in message  # the key is never shown
