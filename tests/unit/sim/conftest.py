"""Helpers for the simulator tests: a plain-httpx SSE reader (no pytest_qnext.client)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from pytest_qnext.sim import SimConfig, SimServer, run_in_thread


@dataclass
class StreamResult:
    status: int
    lines: list[str] = field(default_factory=list)  # the non-empty SSE lines, verbatim
    body: str = ""  # the body of a non-200 response

    @property
    def done(self) -> bool:
        return bool(self.lines) and self.lines[-1] == "data: [DONE]"

    @property
    def events(self) -> list[dict[str, Any]]:
        """The JSON payloads (raises on invalid JSON)."""
        return [json.loads(line[len("data: ") :]) for line in self.lines if line != "data: [DONE]"]

    def texts(self, field_name: str = "content") -> list[str]:
        out = []
        for event in self.events:
            for choice in event["choices"]:
                text = choice.get("delta", {}).get(field_name) if "delta" in choice else None
                if text is None and field_name == "content":
                    text = choice.get("text")
                if text:
                    out.append(text)
        return out


def stream(url: str, body: dict[str, Any], path: str = "/chat/completions") -> StreamResult:
    """POST with stream=True and collect every SSE line."""
    payload = {"stream": True, **body}
    with (
        httpx.Client(timeout=60) as client,
        client.stream("POST", url + path, json=payload) as resp,
    ):
        result = StreamResult(resp.status_code)
        if resp.status_code != 200:
            result.body = resp.read().decode()
            return result
        result.lines.extend(line for line in resp.iter_lines() if line)
    return result


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., SimServer]]:
    """Start thread simulators with given config fields; all are stopped at teardown."""
    servers: list[Any] = []

    def start(oracle: Any = None, **fields: Any) -> SimServer:
        cm = run_in_thread(SimConfig(**fields), oracle=oracle)
        server = cm.__enter__()
        servers.append(cm)
        return server

    yield start
    for cm in servers:
        cm.__exit__(None, None, None)


@pytest.fixture
def sim(sim_factory: Callable[..., SimServer]) -> SimServer:
    """A zero-latency echo simulator with the simple tokenizer."""
    return sim_factory()


StreamFn = Callable[..., StreamResult]


@pytest.fixture
def sse() -> StreamFn:
    """`sse(url, body, path="/chat/completions") -> StreamResult` (stream=True added)."""
    return stream
