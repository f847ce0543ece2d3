"""The server under test: start it when we own it (--qnext-sim, --qnext-serve), then pre-flight.

Pre-flight reaches `/v1/models` on every URL before any perf/capability item runs, so an
unreachable server, a refused key or an unknown model ends the session with one line instead of
thousands of per-item errors.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_qnext.serve import ManagedServer, url_from_command
from pytest_qnext.settings import Settings

__all__ = ["DEFAULT_SIM_SPEC", "ResolvedTarget", "TargetError", "TargetRunner", "preflight"]

# the plugin's simulator: a SPEC given to --qnext-sim changes only the keys it names
DEFAULT_SIM_SPEC = "ttft=0.05,itl=0.01,policy=oracle,p=0.7"
PREFLIGHT_TIMEOUT = 10.0


class TargetError(Exception):
    """The target could not be started or reached; the message is one line for the user."""


@dataclass(frozen=True)
class ResolvedTarget:
    """Where requests go and which model they name: plain values, safe to send to xdist workers."""

    urls: tuple[str, ...]
    model: str

    def to_json(self) -> dict[str, Any]:
        return {"urls": list(self.urls), "model": self.model}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResolvedTarget:
        return cls(urls=tuple(data["urls"]), model=str(data["model"]))


class TargetRunner:
    """Owns the simulator or managed server of a session (controller process only)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = contextlib.ExitStack()
        self.sim: Any = None  # the running simulator, when --qnext-sim
        self.server: ManagedServer | None = None  # the managed server, when --qnext-serve

    def start(self, oracle_file: Path | None = None, sim_extra: str = "") -> tuple[str, ...]:
        """Start what we own and return the URLs to test."""
        settings = self.settings
        if settings.sim_spec is not None:
            from pytest_qnext.sim import parse_spec, run_in_process

            given = "" if settings.sim_spec == "default" else settings.sim_spec
            try:
                config = parse_spec(f"{sim_extra},{given}", base=parse_spec(DEFAULT_SIM_SPEC))
                self.sim = self._stack.enter_context(
                    run_in_process(config, oracle_file=oracle_file)
                )
            except (OSError, RuntimeError, ValueError) as exc:
                raise TargetError(f"--qnext-sim: could not start the simulator ({exc})") from None
            return (str(self.sim.url),)
        if settings.serve:
            from pytest_qnext.serve import ServeError

            try:
                url = settings.urls[0] if settings.urls else url_from_command(settings.serve)
                server = ManagedServer(settings.serve, url, timeout=settings.serve_timeout)
                server.start()
            except ServeError as exc:
                raise TargetError(str(exc)) from None
            self._stack.callback(server.stop)
            self.server = server
            return (url,)
        return settings.urls

    def stop(self) -> None:
        self._stack.close()

    def notes(self) -> list[str]:
        """What the user should know after the run (e.g. where a crashed server's log is)."""
        note = getattr(self.server, "note", None)
        return [note] if note else []


def preflight(settings: Settings, urls: tuple[str, ...]) -> ResolvedTarget:
    """Reach /v1/models on every URL; return the model to use or raise TargetError (one line)."""
    return asyncio.run(_preflight(settings, urls))


async def _preflight(settings: Settings, urls: tuple[str, ...]) -> ResolvedTarget:
    from pytest_qnext.client import ClientError, OpenAIClient

    model = settings.model
    for url in urls:
        async with OpenAIClient(
            [url],
            api_key=settings.api_key,
            timeout=min(settings.timeout, PREFLIGHT_TIMEOUT),
            retries=0,
        ) as client:
            try:
                models = await client.list_models()
            except ClientError as exc:
                raise TargetError(f"pytest-qnext: {exc}") from None
        if model is None:
            model = models[0]
        elif model not in models:
            raise TargetError(
                f"{url}: model {model!r} is not served (it lists: {', '.join(models[:10])}); "
                "fix --qnext-model or leave it out to use the first listed"
            )
    if model is None:
        raise TargetError("no server URL to test")
    return ResolvedTarget(urls=urls, model=model)
