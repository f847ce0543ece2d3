"""The settings in effect: one frozen, validated object built once per session.

Resolution order for every option: CLI > ini (`qnext_*`) > env > default (see options.py).
The capability and perf areas declare their own options (capability/options.py, perf/options.py) and
their frozen settings hang off this object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from pytest_qnext.capability import options as capability_options
from pytest_qnext.options import add_option, parse_choice, parse_float, parse_int, resolve
from pytest_qnext.perf import options as perf_options

__all__ = ["API_KEY_ENV", "Settings", "add_options"]

API_CHOICES = ("chat", "completions")
API_KEY_ENV = ("QNEXT_API_KEY", "OPENAI_API_KEY")


def add_options(parser: pytest.Parser) -> None:
    """Declare every `--qnext-*` option (spine, capability, perf)."""
    add_option(
        parser,
        "--qnext-url",
        "Server to test: a base like http://127.0.0.1:8801/v1 or a full endpoint URL like "
        "http://127.0.0.1:8801/v1/chat/completions. Repeat for several replicas (each request "
        "goes to the one with the fewest in flight); the env var takes a comma-separated list.",
        default_text="none (see --qnext-sim and --qnext-serve)",
        env=("QNEXT_URL",),
        ini_type="args",
        action="append",
        metavar="URL",
    )
    add_option(
        parser,
        "--qnext-model",
        "Model name sent in requests.",
        default_text="the first id listed by the server's /v1/models",
        env=("QNEXT_MODEL",),
        metavar="NAME",
    )
    add_option(
        parser,
        "--qnext-api-key",
        "API key sent as a Bearer token; never printed or written anywhere.",
        default_text="none",
        env=API_KEY_ENV,
        metavar="KEY",
    )
    add_option(
        parser,
        "--qnext-api",
        f"Which OpenAI API to call: {', '.join(API_CHOICES)}.",
        default_text="chat",
        env=("QNEXT_API",),
        metavar="API",
    )
    add_option(
        parser,
        "--qnext-timeout",
        "Seconds one request may take (connect + whole response) before it counts as a timeout.",
        default_text="600",
        metavar="SECONDS",
    )
    add_option(
        parser,
        "--qnext-retries",
        "Retries after the first try on connect errors, timeouts, 429 and 5xx (exponential "
        "backoff with jitter, honouring Retry-After); never on other 4xx.",
        default_text="3",
        metavar="N",
    )
    add_option(
        parser,
        "--qnext-sim",
        "Start the built-in simulated server in a subprocess and test it. SPEC is "
        "comma-separated key=value (e.g. 'ttft=0.05,itl=0.01,policy=oracle,p=0.7'; keys as in "
        "`python -m pytest_qnext.sim --help`).",
        default_text="off; SPEC defaults to policy=oracle,p=0.7 with TTFT 50 ms, ITL 10 ms",
        env=("QNEXT_SIM",),
        nargs="?",
        const="default",
        metavar="SPEC",
    )
    add_option(
        parser,
        "--qnext-serve",
        "Start this server command (e.g. 'vllm serve Qwen/Qwen3-8B --port 8801'), wait for its "
        "/health, test it, and stop it at the end. The URL comes from --qnext-url or the "
        "command's --host/--port.",
        default_text="off",
        env=("QNEXT_SERVE",),
        metavar="COMMAND",
    )
    add_option(
        parser,
        "--qnext-serve-timeout",
        "Seconds to wait for the --qnext-serve server's /health.",
        default_text="900",
        metavar="SECONDS",
    )
    add_option(
        parser,
        "--qnext-report-dir",
        "Directory for summary.json, samples.jsonl, junit.xml, report.html and perf files.",
        default_text=".qnext_report",
        env=("QNEXT_REPORT_DIR",),
        metavar="DIR",
    )
    capability_options.add_options(parser)
    perf_options.add_options(parser)


def _urls(value: object) -> tuple[str, ...]:
    raw: list[str] = []
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        raw.extend(part.strip() for part in str(item).split(",") if part.strip())
    if not raw:
        return ()
    from pytest_qnext.client import normalize_base_url

    urls = []
    for url in raw:
        try:
            urls.append(normalize_base_url(url))
        except ValueError as exc:
            raise pytest.UsageError(f"--qnext-url: {exc}") from None
    return tuple(dict.fromkeys(urls))


@dataclass(frozen=True)
class Settings:
    """Everything the plugin was asked to do, validated. `api_key` never appears in repr."""

    urls: tuple[str, ...]
    model: str | None
    api: Literal["chat", "completions"]
    timeout: float
    retries: int
    sim_spec: str | None  # None = no simulator; "default" = the default spec
    serve: str | None
    serve_timeout: float
    report_dir: Path
    capability: capability_options.CapabilitySettings
    perf: perf_options.PerfSettings
    api_key: str | None = field(default=None, repr=False)

    @property
    def has_target(self) -> bool:
        return bool(self.urls or self.sim_spec is not None or self.serve)

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        api = parse_choice(
            "--qnext-api", resolve(config, "--qnext-api", default="chat"), API_CHOICES
        )
        sim_spec = resolve(config, "--qnext-sim", env=("QNEXT_SIM",))
        serve = resolve(config, "--qnext-serve", env=("QNEXT_SERVE",))
        if sim_spec is not None and serve:
            raise pytest.UsageError("--qnext-sim and --qnext-serve: give one of them, not both")
        if sim_spec is not None:
            _check_sim_spec(str(sim_spec))
        report_dir = resolve(config, "--qnext-report-dir", env=("QNEXT_REPORT_DIR",))
        return cls(
            urls=_urls(resolve(config, "--qnext-url", env=("QNEXT_URL",), default=[])),
            model=resolve(config, "--qnext-model", env=("QNEXT_MODEL",)),
            api=api,  # type: ignore[arg-type]
            timeout=parse_float(
                "--qnext-timeout", resolve(config, "--qnext-timeout", default=600), minimum=0.001
            ),
            retries=parse_int(
                "--qnext-retries", resolve(config, "--qnext-retries", default=3), minimum=0
            ),
            sim_spec=None if sim_spec is None else str(sim_spec),
            serve=str(serve) if serve else None,
            serve_timeout=parse_float(
                "--qnext-serve-timeout",
                resolve(config, "--qnext-serve-timeout", default=900),
                minimum=1,
            ),
            report_dir=Path(report_dir or ".qnext_report"),
            capability=capability_options.from_config(config),
            perf=perf_options.from_config(config),
            api_key=resolve(config, "--qnext-api-key", env=API_KEY_ENV),
        )

    def header_lines(self, *, perf: bool = True) -> list[str]:
        """What pytest_report_header prints: the settings in effect, never the API key.
        `perf`: include the perf sweep's lines (only when perf items are selected)."""
        if self.sim_spec is not None:
            target = f"simulator ({self.sim_spec})"
        elif self.serve:
            target = f"managed server `{self.serve}`" + (
                f" at {', '.join(self.urls)}" if self.urls else ""
            )
        elif self.urls:
            target = ", ".join(self.urls)
        else:
            target = "none"
        key = "set" if self.api_key else "none"
        lines = [
            f"qnext: target {target}; model {self.model or '(from /v1/models)'}; api {self.api}; "
            f"api key {key}",
            f"qnext: timeout {self.timeout:g}s, retries {self.retries}, "
            f"report dir {self.report_dir}",
        ]
        lines.extend(self.capability.header_lines())
        if perf:
            lines.extend(self.perf.header_lines())
        return lines


def _check_sim_spec(spec: str) -> None:
    from pytest_qnext.sim import parse_spec

    if spec == "default":
        return
    try:
        parse_spec(spec)
    except ValueError as exc:
        raise pytest.UsageError(f"--qnext-sim: {exc}") from None
