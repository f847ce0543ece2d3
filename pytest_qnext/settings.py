"""The settings in effect: one frozen, validated object built once per session.

Every option is declared once in the option table (options.py) and resolved from it:
CLI > ini (`qnext_*`) > env > default. The capability and perf settings (capability/options.py,
perf/options.py) hang off this object; the checks that involve several options live in the
resolvers, one line each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from pytest_qnext.capability import options as capability_options
from pytest_qnext.options import add_options, option, value
from pytest_qnext.perf import options as perf_options

__all__ = ["API_KEY_ENV", "Settings", "add_options"]

API_KEY_ENV = option("--qnext-api-key").env


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
        sim_spec = value(config, "--qnext-sim")
        serve = value(config, "--qnext-serve")
        urls = value(config, "--qnext-url")
        if sim_spec is not None and serve:
            raise pytest.UsageError("--qnext-sim and --qnext-serve: give one of them, not both")
        if sim_spec is not None and urls:
            raise pytest.UsageError(
                f"--qnext-sim and --qnext-url ({', '.join(urls)}): the simulator is the server "
                "under test, so the URL would be ignored; give one of them (QNEXT_URL counts too)"
            )
        return cls(
            urls=urls,
            model=value(config, "--qnext-model") or None,
            api=value(config, "--qnext-api"),
            timeout=value(config, "--qnext-timeout"),
            retries=value(config, "--qnext-retries"),
            sim_spec=sim_spec,
            serve=serve or None,
            serve_timeout=value(config, "--qnext-serve-timeout"),
            report_dir=value(config, "--qnext-report-dir"),
            capability=capability_options.from_config(config),
            perf=perf_options.from_config(config),
            api_key=value(config, "--qnext-api-key") or None,
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
