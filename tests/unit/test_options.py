"""The option table: one record per option, resolution CLI > ini > env > default, one-line
errors naming the flag, dataclass defaults from the table, and a header without the API key."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.options import TABLE, default, option
from pytest_qnext.perf.options import PerfSettings
from pytest_qnext.plugin import STATE_KEY
from pytest_qnext.settings import Settings

SECRET = "sk-qnext-never-shown-4711"
BASE_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(BASE_INI)


def settings_of(pytester: pytest.Pytester, *args: str) -> Settings:
    config = pytester.parseconfigure(*args)
    return config.stash[STATE_KEY].settings


def test_each_option_is_declared_once_and_its_help_ends_with_its_default() -> None:
    flags = [opt.flag for opt in TABLE] + [o.negation.flag for o in TABLE if o.negation]
    assert len(flags) == len(set(flags)) and all(f.startswith("--qnext-") for f in flags)
    assert len({opt.dest for opt in TABLE}) == len(TABLE)
    for opt in TABLE:
        assert opt.full_help.endswith(f" Default: {opt.shown_default}."), opt.flag
        assert opt.shown_default, opt.flag


def test_nothing_given_resolves_to_the_dataclass_defaults(pytester: pytest.Pytester) -> None:
    """The resolvers and the settings dataclasses read the same defaults (the table's)."""
    settings = settings_of(pytester)
    assert settings.capability == CapabilitySettings()
    assert settings.perf == PerfSettings()
    assert (settings.timeout, settings.retries) == (
        default("--qnext-timeout"),
        default("--qnext-retries"),
    )
    assert settings.perf.max_tokens == default("--qnext-max-tokens")
    assert settings.capability.batch_size == default("--qnext-batch-size")


def test_dataclass_defaults_are_fresh_copies() -> None:
    one, two = CapabilitySettings(), CapabilitySettings()
    assert one.gen_config == {} and one.gen_config is not two.gen_config
    assert PerfSettings().extra_args is not PerfSettings().extra_args
    fields = {f.name for f in dataclasses.fields(PerfSettings)}
    assert "max_regression" in fields and PerfSettings().max_regression == 0.1


def test_cli_beats_ini_beats_env_beats_default(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings_of(pytester).capability.cache == default("--qnext-cache") == "on"
    monkeypatch.setenv("QNEXT_CACHE", "off")
    assert settings_of(pytester).capability.cache == "off"
    pytester.makeini(BASE_INI + "qnext_cache = refresh\nqnext_max_tokens = 100\n")
    assert settings_of(pytester).capability.cache == "refresh"
    settings = settings_of(pytester, "--qnext-cache", "on", "--qnext-max-tokens", "120")
    assert settings.capability.cache == "on" and settings.perf.max_tokens == 120
    assert settings_of(pytester).perf.max_tokens == 100


@pytest.mark.parametrize(
    ("ini", "args", "stream"),
    [
        ("", (), True),
        ("", ("--qnext-no-stream",), False),
        ("qnext_stream = false", (), False),
        ("qnext_stream = false", ("--qnext-stream",), True),
    ],
)
def test_stream_and_its_negation(
    pytester: pytest.Pytester, ini: str, args: tuple[str, ...], stream: bool
) -> None:
    pytester.makeini(f"{BASE_INI}{ini}\n")
    assert settings_of(pytester, *args).capability.stream is stream


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--qnext-batch-size", "0"), "--qnext-batch-size: '0' must be >= 1"),
        (("--qnext-parallel", "4", "x"), "--qnext-parallel: 'x' is not an integer"),
        (("--qnext-max-regression", "lots"), "--qnext-max-regression: 'lots' is not a fraction"),
        (("--qnext-slo", "speed<=1"), "--qnext-slo:"),
        (("--qnext-cache", "maybe"), "--qnext-cache: 'maybe' is not valid; use one of: on, off"),
        (("--qnext-gen-config", "[1]"), "--qnext-gen-config: expected a JSON object"),
        (("--qnext-perf-dataset-path", "nope.txt"), "--qnext-perf-dataset-path: nope.txt is not"),
        (("--qnext-min-tokens", "10", "--qnext-max-tokens", "5"), "--qnext-max-tokens: 5 is below"),
        (("--qnext-perf-dataset", "openqa"), "the openqa dataset needs a prompt file"),
        (
            ("--qnext-datasets", "ifeval", "--qnext-dataset-args", '{"mmlu_pro": {}}'),
            "'mmlu_pro' is not among --qnext-datasets",
        ),
        (
            ("--qnext-gen-config", '{"stream": false}'),
            "--qnext-gen-config: 'stream' is set by pytest-qnext "
            "(use --qnext-stream / --qnext-no-stream;",
        ),
        (
            ("--qnext-gen-config", '{"model": "other", "temperature": 0}'),
            "--qnext-gen-config: 'model' is set by pytest-qnext (use --qnext-model)",
        ),
        (
            ("--qnext-extra-args", '{"ignore_eos": true, "stream_options": {}}'),
            "--qnext-extra-args: 'stream_options' is set by pytest-qnext",
        ),
    ],
)
def test_bad_values_are_one_line_naming_the_flag(
    pytester: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(pytest.UsageError) as info:
        settings_of(pytester, *args)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("source", ["cli", "ini", "QNEXT_API_KEY", "OPENAI_API_KEY"])
def test_report_header_never_prints_the_api_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    for var in option("--qnext-api-key").env:
        monkeypatch.delenv(var, raising=False)
    args: list[str] = ["--qnext-url", "http://127.0.0.1:9/v1", "--qnext-gen-config", "{}"]
    if source == "cli":
        args += ["--qnext-api-key", SECRET]
    elif source == "ini":
        pytester.makeini(f"{BASE_INI}qnext_api_key = {SECRET}\n")
    else:
        monkeypatch.setenv(source, SECRET)
    config = pytester.parseconfigure(*args)
    settings: Settings = config.stash[STATE_KEY].settings
    assert settings.api_key == SECRET
    header: list[Any] = config.hook.pytest_report_header(config=config, start_path=pytester.path)
    text = "\n".join(str(line) for lines in header for line in lines)
    assert "api key set" in text and SECRET not in text
    assert SECRET not in repr(settings)
