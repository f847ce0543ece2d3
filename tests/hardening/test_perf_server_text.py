"""Perf against servers that send what they should not (issue #11 items 2, 12): a lone surrogate
in the streamed text, a redirect, usage that disagrees with the streamed text. A small aiohttp
server on loopback plays the server (the simulator cannot misbehave this way); the perf suite
runs in a pytest subprocess against it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from pytest_qnext.client import OpenAIClient
from pytest_qnext.sim.runner import SimServer, serve_app_in_thread

REPO = Path(__file__).resolve().parents[2]
SWEEP = (REPO / "benchmarks" / "test_perf.py").read_text(encoding="utf-8")
LONE = "x \\ud800 y"  # a JSON escape of a lone UTF-16 surrogate


def _chunk(delta: dict[str, str], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()


def make_app(mode: str) -> web.Application:
    """`surrogate`: every answer holds a lone surrogate; `usage`: usage says 99 output tokens
    for a 3-word answer; `redirect`: chat completions answer 307 to another path."""

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "bad", "object": "model"}]})

    async def chat(request: web.Request) -> web.StreamResponse:
        if mode == "redirect":
            raise web.HTTPTemporaryRedirect("/elsewhere/v1/chat/completions")
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(_chunk({"role": "assistant", "content": ""}))
        if mode == "surrogate":
            text = (
                b'data: {"choices":[{"index":0,"delta":{"content":"' + LONE.encode() + b'"}}]}\n\n'
            )
            await resp.write(text)
        else:
            await resp.write(_chunk({"content": "one two three"}))
        await resp.write(_chunk({}, "stop"))
        usage = {"prompt_tokens": 24, "completion_tokens": 99 if mode == "usage" else 3}
        await resp.write(f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        return resp

    app = web.Application()
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat)
    return app


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[SimServer]:
    running = serve_app_in_thread(make_app(request.param))
    try:
        yield running
    finally:
        running.stop()


def run_suite(pytester: pytest.Pytester, url: str, *args: str) -> pytest.RunResult:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    pytester.makepyfile(test_qnext_perf_suite=SWEEP)
    return pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-m",
        "perf",
        "--qnext-url",
        url,
        "--qnext-metrics-url",
        "off",
        "--qnext-parallel",
        "2",
        "--qnext-number",
        "6",
        "--qnext-min-prompt-length",
        "24",
        "--qnext-max-prompt-length",
        "24",
        "--qnext-min-tokens",
        "0",
        "--qnext-max-tokens",
        "200",
        "--qnext-report-dir",
        str(pytester.path / "report"),
        *args,
    )


@pytest.mark.parametrize("server", ["surrogate"], indirect=True)
def test_lone_surrogate_is_replaced_and_counted(
    pytester: pytest.Pytester, server: SimServer
) -> None:
    result = run_suite(pytester, server.url)
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text and "UnicodeEncodeError" not in text
    result.assert_outcomes(passed=1)
    (point,) = json.loads((pytester.path / "report" / "summary.json").read_text())["perf"]
    assert point["invalid_text"] == 6 and point["completed"] == 6
    rows = (pytester.path / "report" / "perf.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(json.loads(row)["invalid_text"] == 1 for row in rows)
    result.stdout.fnmatch_lines(["*6 responses held invalid text (lone surrogates)*"])


@pytest.mark.parametrize("server", ["usage"], indirect=True)
def test_recount_mismatches_are_one_line_per_point(
    pytester: pytest.Pytester, server: SimServer
) -> None:
    result = run_suite(pytester, server.url, "--qnext-parallel", "1", "2", "--qnext-number", "5")
    result.assert_outcomes(passed=2)
    lines = [line for line in result.stdout.lines if "token-count mismatches" in line]
    # one line per point (two points), each naming the kinds and at most 3 examples
    assert len(lines) == 2, lines
    for line in lines:
        assert "recount 5" in line and line.count("'kind'") == 3


@pytest.mark.parametrize("server", ["redirect"], indirect=True)
def test_perf_refuses_redirects_with_the_final_url(
    pytester: pytest.Pytester, server: SimServer
) -> None:
    result = run_suite(pytester, server.url)
    result.assert_outcomes(failed=1)
    final = server.base + "/elsewhere/v1/chat/completions"
    result.stdout.fnmatch_lines(
        [f"*HTTP 307 from {server.url}/chat/completions: redirect to {final}; give the final URL*"]
    )


@pytest.mark.parametrize("server", ["redirect"], indirect=True)
def test_capability_client_refuses_redirects_the_same_way(server: SimServer) -> None:
    async def ask() -> str | None:
        async with OpenAIClient([server.url], model="bad", retries=0) as client:
            record = await client.chat([{"role": "user", "content": "hi"}], max_tokens=4)
        return record.error

    error = asyncio.run(ask())
    final = server.base + "/elsewhere/v1/chat/completions"
    assert error is not None and f"redirect to {final}; give the final URL" in error
