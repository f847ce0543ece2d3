"""OpenAIClient against httpx.MockTransport: records, retries, routing, redaction."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_qnext.client import ClientConfigError, OpenAIClient, PreflightError
from pytest_qnext.client.body import build_body

KEY = "sk-test-Zq81-secret"
URL = "http://replica-a:8000/v1"
Handler = Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]]


# ---------------------------------------------------------------------------- server side


def chat_chunk(
    content: str | None = None,
    *,
    role: str | None = None,
    reasoning: str | None = None,
    reasoning_field: str = "reasoning_content",
    finish: str | None = None,
) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if role is not None:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta[reasoning_field] = reasoning
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "qwen",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


USAGE = {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}


def usage_chunk() -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [], "usage": USAGE}


def sse(*events: dict[str, Any] | str, eol: str = "\n") -> bytes:
    out = []
    for ev in events:
        data = ev if isinstance(ev, str) else json.dumps(ev)
        out.append(f"data: {data}{eol}{eol}")
    return "".join(out).encode()


def vllm_chat_stream(reasoning_field: str = "reasoning_content") -> bytes:
    """What vLLM sends for a reasoning model: role chunk, thinking, answer, stop, usage."""
    return sse(
        chat_chunk("", role="assistant"),
        chat_chunk(reasoning="Let me ", reasoning_field=reasoning_field),
        chat_chunk(reasoning="think.", reasoning_field=reasoning_field),
        chat_chunk("The answer"),
        chat_chunk(" is 4."),
        chat_chunk("", finish="stop"),
        usage_chunk(),
        "[DONE]",
    )


class Chunks(httpx.AsyncByteStream):
    """A response body delivered as the given reads, optionally failing; `handed_at` gets the
    perf_counter time just before each read is handed to the client."""

    def __init__(self, reads: list[bytes], *, fail: Exception | None = None) -> None:
        self.reads = reads
        self.fail = fail
        self.handed_at: list[float] = []

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for read in self.reads:
            self.handed_at.append(time.perf_counter())
            yield read
        if self.fail is not None:
            raise self.fail


def streaming(body: bytes | list[bytes], **kwargs: Any) -> httpx.Response:
    reads = body if isinstance(body, list) else [body]
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=Chunks(reads, **kwargs)
    )


def client_for(handler: Handler, urls: list[str] | None = None, **kwargs: Any) -> OpenAIClient:
    kwargs.setdefault("model", "qwen")
    kwargs.setdefault("backoff_base", 0.0)
    return OpenAIClient(urls or [URL], transport=httpx.MockTransport(handler), **kwargs)


class Recorder:
    """Answers with `responses` in turn (the last one repeats) and keeps the requests."""

    def __init__(self, *responses: Callable[[], httpx.Response] | Exception) -> None:
        self.responses = responses
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses[min(len(self.requests), len(self.responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer()

    def body(self, number: int = 0) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.requests[number].content)
        return result


def ok_stream() -> httpx.Response:
    return streaming(vllm_chat_stream())


# ---------------------------------------------------------------------------- streaming


@pytest.mark.asyncio
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_chat_stream_fills_the_record(field: str) -> None:
    server = Recorder(lambda: streaming(vllm_chat_stream(field)))
    async with client_for(server, api_key=KEY) as client:
        rec = await client.chat([{"role": "user", "content": "2+2?"}], max_tokens=9)
    assert rec.ok, rec.error
    assert (rec.content, rec.reasoning) == ("The answer is 4.", "Let me think.")
    assert rec.chunk_texts == ["Let me ", "think.", "The answer", " is 4."]
    assert len(rec.chunk_times) == 4
    assert rec.first_token_time == rec.chunk_times[0]
    assert rec.send_time <= rec.chunk_times[0] <= rec.chunk_times[-1] <= rec.end_time
    assert rec.chunk_times == sorted(rec.chunk_times)
    assert rec.finish_reason == "stop"
    assert rec.usage == USAGE and rec.completion_tokens == 5 and rec.prompt_tokens == 11
    assert (rec.status, rec.attempts, rec.url) == (200, 1, URL + "/chat/completions")
    sent = server.body()
    assert sent == {
        "messages": [{"role": "user", "content": "2+2?"}],
        "max_tokens": 9,
        "model": "qwen",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    request = server.requests[0]
    assert request.url == URL + "/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["accept"] == "text/event-stream"


@pytest.mark.asyncio
async def test_role_only_chunk_is_not_the_first_token() -> None:
    body = Chunks(
        [
            sse(chat_chunk("", role="assistant")),
            sse(chat_chunk("Hi")),
            sse(chat_chunk("", finish="stop"), usage_chunk(), "[DONE]"),
        ]
    )
    server = Recorder(
        lambda: httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)
    )
    async with client_for(server) as client:
        rec = await client.chat([{"role": "user", "content": "hi"}])
    assert rec.ok and rec.chunk_texts == ["Hi"]
    # the first token is stamped after the content read was handed over, never at the role read
    role_read, content_read, _ = body.handed_at
    assert rec.first_token_time is not None and rec.first_token_time >= content_read > role_read


@pytest.mark.asyncio
async def test_completions_stream_with_token_ids() -> None:
    def chunk(text: str, finish: str | None = None) -> dict[str, Any]:
        return {
            "object": "text_completion",
            "choices": [{"index": 0, "text": text, "finish_reason": finish}],
        }

    body = sse(
        chunk("4"),
        chunk(", obviously"),
        chunk("", "length"),
        {"choices": [], "usage": USAGE},
        "[DONE]",
    )
    server = Recorder(lambda: streaming(body))
    async with client_for(server, api="completions") as client:
        rec = await client.complete([1, 2, 3], max_tokens=3, ignore_eos=True)
        built = build_body("completions", "qwen", prompt="x", gen_config={}, stream=True)
        again = await client.send(built)
    assert rec.ok and rec.content == "4, obviously" and rec.chunk_texts == ["4", ", obviously"]
    assert rec.finish_reason == "length" and rec.usage == USAGE
    assert server.requests[0].url == URL + "/completions"
    assert server.body(0)["prompt"] == [1, 2, 3] and server.body(0)["ignore_eos"] is True
    assert again.ok and server.body(1)["prompt"] == "x" and server.body(1)["model"] == "qwen"
    assert server.body(1) == built  # send() posts a built body as it is


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(0), max_size=30), crlf=st.booleans())
def test_any_split_of_a_stream_gives_the_same_record(cuts: list[int], crlf: bool) -> None:
    data = vllm_chat_stream().replace(b"\n", b"\r\n") if crlf else vllm_chat_stream()
    points = sorted({c % len(data) for c in cuts} | {0, len(data)})
    reads = [data[a:b] for a, b in itertools.pairwise(points) if b > a]

    async def run() -> Any:
        async with client_for(Recorder(lambda: streaming(reads))) as client:
            return await client.chat([{"role": "user", "content": "x"}])

    rec = asyncio.run(run())
    assert rec.ok and rec.content == "The answer is 4." and rec.reasoning == "Let me think."
    assert rec.usage == USAGE and rec.finish_reason == "stop" and len(rec.chunk_times) == 4


@pytest.mark.asyncio
async def test_stream_without_done_but_with_finish_reason_is_complete() -> None:
    body = sse(chat_chunk("", role="assistant"), chat_chunk("ok"), chat_chunk("", finish="stop"))
    async with client_for(Recorder(lambda: streaming(body))) as client:
        rec = await client.chat([])
    assert rec.ok and rec.content == "ok" and rec.usage is None


@pytest.mark.asyncio
async def test_json_answer_to_a_stream_request_is_read_as_a_body() -> None:
    answer = {"choices": [{"index": 0, "message": {"content": "hey"}, "finish_reason": "stop"}]}
    async with client_for(Recorder(lambda: httpx.Response(200, json=answer))) as client:
        rec = await client.chat([])
    assert rec.ok and rec.content == "hey" and rec.chunk_times == []


# ---------------------------------------------------------------------------- non-streaming


@pytest.mark.asyncio
async def test_non_streaming_chat_and_completions() -> None:
    chat = {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "4", "reasoning_content": "2+2"},
                "finish_reason": "stop",
            }
        ],
        "usage": USAGE,
    }
    text = {"choices": [{"index": 0, "text": "four", "finish_reason": "length"}], "usage": USAGE}
    server = Recorder(
        lambda: httpx.Response(200, json=chat), lambda: httpx.Response(200, json=text)
    )
    async with client_for(server) as client:
        rec = await client.chat([{"role": "user", "content": "2+2"}], stream=False)
        comp = await client.complete("2+2=", stream=False)
    assert (rec.content, rec.reasoning, rec.finish_reason) == ("4", "2+2", "stop")
    assert (comp.content, comp.finish_reason, comp.usage) == ("four", "length", USAGE)
    assert not rec.stream and rec.chunk_times == [] and rec.first_token_time is None
    assert rec.end_time >= rec.send_time
    sent = server.body(0)
    assert sent["stream"] is False and "stream_options" not in sent


# ---------------------------------------------------------------------------- failures


@pytest.mark.asyncio
async def test_dropped_stream_is_retried_then_reported() -> None:
    cut = sse(chat_chunk("", role="assistant"), chat_chunk("par"))
    server = Recorder(lambda: streaming(cut), ok_stream)
    async with client_for(server, retries=2) as client:
        rec = await client.chat([])
        assert client.retry_counts["stream_dropped"] == 1
    assert rec.ok and rec.attempts == 2 and rec.retried_errors == ["stream_dropped"]
    assert rec.content == "The answer is 4."  # the final attempt's data only

    always = Recorder(lambda: streaming(cut + b'data: {"choices": [{"ind'))
    async with client_for(always, retries=1) as client:
        rec = await client.chat([])
    assert rec.error_kind == "stream_dropped" and rec.attempts == 2 and len(always.requests) == 2
    assert rec.content == "par" and "[DONE]" in (rec.error or "")


@pytest.mark.asyncio
async def test_connection_lost_mid_stream() -> None:
    cut = sse(chat_chunk("", role="assistant"), chat_chunk("par"))
    lost = httpx.RemoteProtocolError("peer closed connection")
    server = Recorder(lambda: streaming(cut, fail=lost))
    async with client_for(server, retries=0) as client:
        rec = await client.chat([])
    assert rec.error_kind == "stream_dropped" and "peer closed" in (rec.error or "")
    assert rec.content == "par" and rec.attempts == 1


@pytest.mark.asyncio
async def test_malformed_event_is_retried() -> None:
    bad = sse(chat_chunk("", role="assistant"), "{not json")
    server = Recorder(lambda: streaming(bad), ok_stream)
    async with client_for(server, retries=3) as client:
        rec = await client.chat([])
    assert rec.ok and rec.attempts == 2 and rec.retried_errors == ["malformed"]
    async with client_for(Recorder(lambda: streaming(bad)), retries=0) as client:
        rec = await client.chat([])
    assert rec.error_kind == "malformed" and "not valid JSON" in (rec.error or "")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        b'event: error\ndata: {"error": {"message": "engine died"}}\n\n',
        sse({"error": {"message": "engine died", "code": 500}}),
        sse({"object": "error", "message": "engine died", "code": 500}),
    ],
)
async def test_server_error_event_is_reported_not_retried(body: bytes) -> None:
    server = Recorder(lambda: streaming(sse(chat_chunk("", role="assistant")) + body))
    async with client_for(server, retries=3) as client:
        rec = await client.chat([])
    assert rec.error_kind == "server_error_event" and "engine died" in (rec.error or "")
    assert rec.attempts == 1 and len(server.requests) == 1


@pytest.mark.asyncio
async def test_5xx_retried_up_to_the_limit() -> None:
    server = Recorder(lambda: httpx.Response(503, json={"message": "overloaded"}))
    async with client_for(server, retries=3) as client:
        rec = await client.chat([])
        assert client.retry_counts["http_5xx"] == 3
    assert rec.error_kind == "http_5xx" and rec.status == 503 and rec.attempts == 4
    assert len(server.requests) == 4 and "overloaded" in (rec.error or "")
    assert rec.retried_errors == ["http_5xx"] * 3


@pytest.mark.asyncio
@pytest.mark.parametrize(("header", "slept"), [("0.01", 0.01), ("5", 0.02), ("nonsense", 0.0)])
async def test_429_honours_retry_after_capped_by_backoff_max(header: str, slept: float) -> None:
    server = Recorder(
        lambda: httpx.Response(429, headers={"retry-after": header}, json={"error": "slow down"}),
        ok_stream,
    )
    async with client_for(server, retries=1, backoff_max=0.02) as client:
        rec = await client.chat([])
    assert rec.ok and rec.attempts == 2 and rec.retried_errors == ["http_429"]
    # without a usable Retry-After the jitter with backoff_base=0 waits 0
    assert rec.backoff_s == pytest.approx(slept)


@pytest.mark.asyncio
async def test_429_after_retries_and_seeded_jitter() -> None:
    def limited() -> httpx.Response:
        return httpx.Response(429, json={"error": {"message": "rate limited"}})

    async def run() -> float:
        async with client_for(
            Recorder(limited), retries=2, backoff_base=0.004, backoff_max=1.0, seed=3
        ) as client:
            rec = await client.chat([])
        assert (
            rec.error_kind == "http_429"
            and rec.attempts == 3
            and "rate limited" in (rec.error or "")
        )
        assert 0 <= rec.backoff_s <= 0.004 + 0.008
        return rec.backoff_s

    assert await run() == await run()  # seeded: the same sleeps


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_other_4xx_not_retried(status: int) -> None:
    server = Recorder(
        lambda: httpx.Response(status, json={"object": "error", "message": "bad max_tokens"})
    )
    async with client_for(server, retries=3) as client:
        rec = await client.chat([])
    assert rec.error_kind == "http_4xx" and rec.status == status and rec.attempts == 1
    assert len(server.requests) == 1
    assert rec.error == f"HTTP {status} from {URL}/chat/completions: bad max_tokens"


@pytest.mark.asyncio
async def test_connect_errors_retry_on_another_replica() -> None:
    other = "http://replica-b:8000/v1"
    hosts: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        if request.url.host == "replica-a":
            raise httpx.ConnectError("connection refused")
        return ok_stream()

    async with client_for(handler, [URL, other], retries=2) as client:
        rec = await client.chat([])
        assert client.in_flight == {URL: 0, other: 0}
    assert hosts == ["replica-a", "replica-b"]
    assert rec.ok and rec.url == other + "/chat/completions" and rec.retried_errors == ["connect"]


@pytest.mark.asyncio
async def test_timeouts_are_retried_and_counted() -> None:
    server = Recorder(httpx.ReadTimeout("timed out"), httpx.ConnectTimeout("timed out"), ok_stream)
    async with client_for(server, retries=3, timeout=7) as client:
        rec = await client.chat([])
        counts = dict(client.retry_counts)
    assert rec.ok and rec.attempts == 3 and rec.retried_errors == ["timeout", "timeout"]
    assert counts == {"timeout": 2, "read_timeout": 1}

    async with client_for(Recorder(httpx.ReadTimeout("timed out")), retries=0, timeout=7) as c:
        rec = await c.chat([])
    assert rec.error_kind == "timeout" and rec.error == (
        f"read timeout: nothing received for 7s ({URL}/chat/completions)"
    )


@pytest.mark.asyncio
async def test_request_routes_to_least_loaded_replica() -> None:
    urls = ["http://a:1/v1", "http://b:1/v1", "http://c:1/v1"]
    gates = {host: asyncio.Event() for host in "abc"}
    arrived: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        arrived.append(host)
        await gates[host].wait()
        return ok_stream()

    async def settle(count: int) -> None:
        for _ in range(1000):
            if len(arrived) == count:
                return
            await asyncio.sleep(0)
        raise AssertionError(f"expected {count} requests at the server, got {arrived}")

    async with client_for(handler, urls) as client:
        tasks = []
        for number in range(4):  # equal loads: round robin a, b, c, a
            tasks.append(asyncio.create_task(client.chat([])))
            await settle(number + 1)
        assert arrived == ["a", "b", "c", "a"]
        assert client.in_flight == {urls[0]: 2, urls[1]: 1, urls[2]: 1}
        gates["a"].set()
        await asyncio.gather(tasks[0], tasks[3])
        assert client.in_flight == {urls[0]: 0, urls[1]: 1, urls[2]: 1}
        gates["a"].clear()
        for number in range(4, 7):  # a is idle: a, then a tie between all -> round robin
            tasks.append(asyncio.create_task(client.chat([])))
            await settle(number + 1)
        assert arrived[4:] == ["a", "b", "c"]
        for gate in gates.values():
            gate.set()
        records = await asyncio.gather(*tasks)
        assert all(rec.ok for rec in records)
        assert client.in_flight == dict.fromkeys(urls, 0)


@pytest.mark.asyncio
async def test_cancellation_propagates_and_frees_the_slot() -> None:
    started = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.sleep(30)
        return ok_stream()

    async with client_for(handler) as client:
        task = asyncio.create_task(client.chat([]))
        await started.wait()
        assert client.in_flight[URL] == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client.in_flight[URL] == 0


# ---------------------------------------------------------------------------- key, model, preflight


@pytest.mark.asyncio
async def test_api_key_never_in_errors_or_repr() -> None:
    echo = {"error": {"message": f"Incorrect API key provided: {KEY}. Check it."}}
    server = Recorder(lambda: httpx.Response(401, json=echo))
    client = client_for(server, api_key=KEY)
    assert KEY not in repr(client) and KEY not in str(client) and "<redacted>" in repr(client)
    async with client:
        rec = await client.chat([])
        with pytest.raises(PreflightError) as info:
            await client.list_models()
    assert rec.error is not None and KEY not in rec.error and "<redacted>" in rec.error
    assert KEY not in str(info.value) and "refused the API key" in str(info.value)
    assert KEY not in repr(rec)
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.asyncio
async def test_model_required_and_overridable() -> None:
    server = Recorder(ok_stream)
    async with client_for(server, model=None) as client:
        with pytest.raises(ClientConfigError, match="no model set"):
            await client.chat([])
        rec = await client.chat([], model="other")
        client.model = "qwen"
        await client.chat([])
        for owned in ({"stream_options": {"continuous_usage_stats": True}}, {"prompt": "x"}):
            with pytest.raises(ClientConfigError, match=f"'{next(iter(owned))}' is set by"):
                await client.chat([], **owned)
    assert rec.ok and server.body(0)["model"] == "other"
    assert server.body(1)["model"] == "qwen"
    assert server.body(1)["stream_options"] == {"include_usage": True}
    assert len(server.requests) == 2  # refused bodies are never sent


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"api": "embeddings"}, "api must be"),
        ({"timeout": 0}, "timeout"),
        ({"retries": -1}, "retries"),
        ({"max_connections": 0}, "max_connections"),
    ],
)
def test_bad_options_raise_one_line(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ClientConfigError, match=match):
        OpenAIClient([URL], **kwargs)
    with pytest.raises(ClientConfigError, match="no server URL"):
        OpenAIClient([])


def test_urls_are_normalised_and_deduplicated() -> None:
    client = OpenAIClient(["http://h:1", "http://h:1/v1/chat/completions", "http://g:1/v1/"])
    assert client.urls == ("http://h:1/v1", "http://g:1/v1")
    assert client.in_flight == {"http://h:1/v1": 0, "http://g:1/v1": 0}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda: httpx.Response(401, json={"error": "no"}), "no API key was sent"),
        (lambda: httpx.Response(404, text="not found"), "HTTP 404"),
        (lambda: httpx.Response(500, text="boom\ntrace"), "HTTP 500 for /models: boom trace"),
        (lambda: httpx.Response(200, text="<html>"), "not JSON"),
        (lambda: httpx.Response(200, json={"models": []}), "no 'data' list"),
        (lambda: httpx.Response(200, json={"object": "list", "data": []}), "lists no models"),
        (httpx.ConnectTimeout("slow"), "no answer within"),
    ],
)
async def test_list_models_failures_are_one_line(answer: Any, message: str) -> None:
    async with client_for(Recorder(answer)) as client:
        with pytest.raises(PreflightError, match=message) as info:
            await client.list_models()
    assert info.value.url == URL and "\n" not in str(info.value)


@pytest.mark.asyncio
async def test_list_models_reads_ids_from_the_first_url() -> None:
    listing = {"object": "list", "data": [{"id": "Qwen/Qwen3-Next", "object": "model"}]}
    server = Recorder(lambda: httpx.Response(200, json=listing))
    async with client_for(server, [URL, "http://replica-b:8000/v1"], api_key=KEY) as client:
        assert await client.list_models() == ["Qwen/Qwen3-Next"]
    assert server.requests[0].url == URL + "/models"
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.asyncio
async def test_long_stream_parsed_in_batches() -> None:
    words = [f" w{n}" for n in range(3000)]  # ~600 KiB: several batches of pending reads
    body = [sse(chat_chunk("", role="assistant"))]
    body += [sse(chat_chunk(word)) for word in words]
    body.append(sse(chat_chunk("", finish="length"), usage_chunk(), "[DONE]"))
    assert sum(map(len, body)) > 2 * 256 * 1024
    async with client_for(Recorder(lambda: streaming(body))) as client:
        rec = await client.chat([])
    assert rec.ok and rec.content == "".join(words) and rec.chunk_texts == words
    assert len(rec.chunk_times) == 3000 and rec.finish_reason == "length"

    broken = [*body[:2000], b"data: {oops\n\n", *body[2000:]]
    async with client_for(Recorder(lambda: streaming(broken)), retries=0) as client:
        rec = await client.chat([])
    assert rec.error_kind == "malformed" and rec.content == "".join(words[:1999])


@pytest.mark.asyncio
async def test_compressed_stream_is_decoded() -> None:
    import gzip

    def answer() -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        packed = gzip.compress(vllm_chat_stream())
        return httpx.Response(200, headers=headers, stream=Chunks([packed[:40], packed[40:]]))

    async with client_for(Recorder(answer)) as client:
        rec = await client.chat([])
    assert rec.ok and rec.content == "The answer is 4." and rec.usage == USAGE
