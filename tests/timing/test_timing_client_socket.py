"""OpenAIClient over a real loopback socket (a tiny aiohttp server defined here): timestamps.

The server sleeps known gaps between chunks; the client's chunk timestamps must show those
gaps, i.e. they are taken when bytes arrive. Bounds are loose (the machine is shared and
noisy); the measured errors are printed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web

from pytest_qnext.client import OpenAIClient

pytestmark = pytest.mark.timing

FIRST_DELAY = 0.15  # before the first content chunk (after the role chunk)
GAP = 0.1  # between content chunks
WORDS = ["alpha", " beta", " gamma", " delta"]


def _event(payload: object) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _delta(delta: dict[str, str], finish: str | None = None) -> bytes:
    return _event(
        {
            "object": "chat.completion.chunk",
            "model": "tiny",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


async def _chat(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(_delta({"role": "assistant", "content": ""}))
    await asyncio.sleep(FIRST_DELAY)
    for number, word in enumerate(WORDS):
        if number:
            await response.write(b": keep-alive\r\n\r\n")
            await asyncio.sleep(GAP)
        await response.write(_delta({"content": word}))
    await response.write(_delta({}, "stop"))
    if body.get("stream_options", {}).get("include_usage"):
        usage = {"prompt_tokens": 3, "completion_tokens": len(WORDS), "total_tokens": 7}
        await response.write(_event({"choices": [], "usage": usage}))
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


async def _models(request: web.Request) -> web.Response:
    return web.json_response({"object": "list", "data": [{"id": "tiny", "object": "model"}]})


@pytest_asyncio.fixture
async def server_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", _chat)
    app.router.add_get("/v1/models", _models)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_chunk_times_reflect_arrival_over_a_real_socket(server_url: str) -> None:
    async with OpenAIClient([server_url], retries=0) as client:
        client.model = (await client.list_models())[0]
        records = [await client.chat([{"role": "user", "content": "go"}]) for _ in range(2)]
    for rec in records:
        assert rec.ok, rec.error
        assert rec.content == "".join(WORDS) and rec.chunk_texts == WORDS
        assert rec.usage is not None and rec.completion_tokens == len(WORDS)
        assert rec.ttft is not None
        gaps = [b - a for a, b in itertools.pairwise(rec.chunk_times)]
        tail = rec.end_time - rec.chunk_times[-1]
        print(
            f"ttft {rec.ttft * 1000:.1f} ms (server waits {FIRST_DELAY * 1000:.0f} ms), gaps "
            + ", ".join(f"{(g - GAP) * 1000:+.1f}" for g in gaps)
            + f" ms off {GAP * 1000:.0f} ms, tail {tail * 1000:.1f} ms"
        )
        # a timestamp can be late (busy loop) but never early, so TTFT has a strict lower
        # bound; one late chunk shortens the next gap, so gaps get loose bounds both ways
        assert rec.ttft >= FIRST_DELAY - 0.002
        assert all(GAP * 0.5 <= g < GAP + 0.5 for g in gaps)
        assert rec.ttft < FIRST_DELAY + 0.5
        assert 0 <= tail < 0.5
