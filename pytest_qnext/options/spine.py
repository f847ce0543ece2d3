"""The spine's options: the server under test, its model and key, timeouts, the report dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_qnext.options.values import (
    Option,
    choice,
    integer,
    number,
    path,
    text,
    texts,
    usage_error,
)

__all__ = ["API_CHOICES", "SPINE"]

API_CHOICES = ("chat", "completions")


def _urls(flag: str, raw: Any) -> tuple[str, ...]:
    """Base URLs (normalised, duplicates dropped); the env var may list several with commas."""
    from pytest_qnext.client import normalize_base_url

    urls = []
    for item in texts(flag, raw):
        for url in (part.strip() for part in item.split(",") if part.strip()):
            try:
                urls.append(normalize_base_url(url))
            except ValueError as exc:
                raise usage_error(flag, str(exc)) from None
    return tuple(dict.fromkeys(urls))


def _sim_spec(flag: str, raw: Any) -> str:
    """A simulator spec, checked here ('default' = the default spec)."""
    spec = text(flag, raw)
    if spec != "default":
        from pytest_qnext.sim import parse_spec

        try:
            parse_spec(spec)
        except ValueError as exc:
            raise usage_error(flag, str(exc)) from None
    return spec


SPINE: tuple[Option, ...] = (
    Option(
        "--qnext-url",
        "Server to test: a base like http://127.0.0.1:8801/v1 or a full endpoint URL like "
        "http://127.0.0.1:8801/v1/chat/completions. Repeat for several replicas (each request "
        "goes to the one with the fewest in flight); the env var takes a comma-separated list.",
        _urls,
        default=(),
        default_text="none (see --qnext-sim and --qnext-serve)",
        env=("QNEXT_URL",),
        ini_type="args",
        action="append",
        metavar="URL",
    ),
    Option(
        "--qnext-model",
        "Model name sent in requests.",
        text,
        default_text="the first id listed by the server's /v1/models",
        env=("QNEXT_MODEL",),
        metavar="NAME",
    ),
    Option(
        "--qnext-api-key",
        "API key sent as a Bearer token; never printed or written anywhere.",
        text,
        env=("QNEXT_API_KEY", "OPENAI_API_KEY"),
        metavar="KEY",
    ),
    Option(
        "--qnext-api",
        f"Which OpenAI API to call: {', '.join(API_CHOICES)}.",
        choice(API_CHOICES),
        default="chat",
        env=("QNEXT_API",),
        metavar="API",
    ),
    Option(
        "--qnext-timeout",
        "Seconds one request may take (connect + whole response) before it counts as a timeout.",
        number(minimum=0.001),
        default=600.0,
        metavar="SECONDS",
    ),
    Option(
        "--qnext-retries",
        "Retries after the first try on connect errors, timeouts, 429 and 5xx (exponential "
        "backoff with jitter, honouring Retry-After); never on other 4xx.",
        integer(minimum=0),
        default=3,
        metavar="N",
    ),
    Option(
        "--qnext-sim",
        "Start the built-in simulated server in a subprocess and test it. SPEC is "
        "comma-separated key=value (e.g. 'ttft=0.05,itl=0.01,policy=oracle,p=0.7'; keys as in "
        "`python -m pytest_qnext.sim --help`).",
        _sim_spec,
        default_text="off; SPEC defaults to policy=oracle,p=0.7 with TTFT 50 ms, ITL 10 ms",
        env=("QNEXT_SIM",),
        nargs="?",
        const="default",
        metavar="SPEC",
    ),
    Option(
        "--qnext-serve",
        "Start this server command (e.g. 'vllm serve Qwen/Qwen3-8B --port 8801'), wait for its "
        "/health, test it, and stop it at the end. The URL comes from --qnext-url or the "
        "command's --host/--port.",
        text,
        default_text="off",
        env=("QNEXT_SERVE",),
        metavar="COMMAND",
    ),
    Option(
        "--qnext-serve-timeout",
        "Seconds to wait for the --qnext-serve server's /health.",
        number(minimum=1),
        default=900.0,
        metavar="SECONDS",
    ),
    Option(
        "--qnext-report-dir",
        "Directory for summary.json, samples.jsonl, junit.xml, report.html and perf files.",
        path,
        default=Path(".qnext_report"),
        env=("QNEXT_REPORT_DIR",),
        metavar="DIR",
    ),
)
