"""`OpenAIClient`: an httpx-based client for OpenAI-compatible servers (vLLM first).

One `httpx.AsyncClient` is shared by all requests. Requests never raise for server or network
failures: each returns a `RequestRecord` that carries the error (kind, HTTP status, one-line
message without the API key). Streaming reads time every read with `time.perf_counter()` as it
arrives and leave SSE framing and JSON parsing until the stream has ended (or a few hundred
KiB are pending), so per-chunk work on the event loop is two list appends.

`send_time` is taken when httpcore starts writing the request to the socket (its `trace`
extension), not when the request is handed to httpx: with many requests started together,
httpx's connection pool spends milliseconds per request assigning connections, and that
client-side queueing would otherwise be counted into the server's time to first token. With a
custom transport that does not trace, it is the moment the request was handed to httpx.

The connections are spread over several `httpx.AsyncClient` pools of at most `_SHARD_SIZE`
connections each (each request goes to the pool with the fewest requests in flight): httpcore
re-examines every connection of its pool, with a socket poll each, whenever a request starts
or ends (quadratic in the pool size), which at 32 streams in one pool cost milliseconds per
request and delayed the reads of the other streams.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

import httpx

from pytest_qnext.client.body import PATHS, build_body, encode_body
from pytest_qnext.client.decode import Api, StreamAccumulator, apply_body, error_text, one_line
from pytest_qnext.client.errors import ClientConfigError, PreflightError
from pytest_qnext.client.records import ErrorKind, RequestRecord
from pytest_qnext.client.retry import RETRYABLE, Backoff, parse_retry_after
from pytest_qnext.client.sse import SSEParser
from pytest_qnext.client.urls import normalize_base_url, redirect_message
from pytest_qnext.options import default

__all__ = ["OpenAIClient"]

_STREAM_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "text/event-stream",
    "Accept-Encoding": "identity",  # raw reads are the payload: no decompression step
}
_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_FLUSH_BYTES = 256 * 1024  # parse pending reads once this much is buffered (bounds memory)
_PREFLIGHT_TIMEOUT = 30.0
_SHARD_SIZE = 8  # connections per httpx pool (see the module docstring)


class OpenAIClient:
    """Async client for `/v1/chat/completions`, `/v1/completions` and `/v1/models`.

    `urls` are base URLs (normalised with `normalize_base_url`); each request goes to the one
    with the fewest requests in flight (ties: round robin), and a retry may go elsewhere.
    `retries=N` allows up to N retries after the first attempt, on connect errors, timeouts,
    429, 5xx and streams that drop or turn malformed mid-way; never on other 4xx.
    Use as `async with OpenAIClient(...) as client:` or call `aclose()`.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        api_key: str | None = None,
        model: str | None = None,
        api: Literal["chat", "completions"] = "chat",
        timeout: float = default("--qnext-timeout"),
        retries: int = default("--qnext-retries"),
        max_connections: int = 100,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
    ) -> None:
        if isinstance(urls, str):
            urls = [urls]
        bases = list(dict.fromkeys(normalize_base_url(u) for u in urls))
        if not bases:
            raise ClientConfigError("no server URL given (e.g. http://127.0.0.1:8000/v1)")
        if api not in PATHS:
            raise ClientConfigError(f"api must be 'chat' or 'completions', got {api!r}")
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ClientConfigError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        if not (isinstance(retries, int) and retries >= 0):
            raise ClientConfigError(f"retries must be an integer >= 0, got {retries!r}")
        if not (isinstance(max_connections, int) and max_connections >= 1):
            raise ClientConfigError(
                f"max_connections must be an integer >= 1, got {max_connections!r}"
            )
        self.urls: tuple[str, ...] = tuple(bases)
        self.api: Api = api
        self.timeout = float(timeout)
        self.retries = retries
        self.max_connections = max_connections
        self.in_flight: dict[str, int] = dict.fromkeys(bases, 0)
        # failed attempts that were retried, by error kind (+ "read_timeout" counted apart)
        self.retry_counts: Counter[str] = Counter()
        self._model = model or None
        self._api_key = api_key or None
        self._backoff = Backoff(backoff_base, backoff_max, seed)
        self._next = 0  # round-robin position among equally loaded replicas
        headers = {"User-Agent": "pytest-qnext"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        # a given transport owns its own connections: one pool in front of it
        shards = 1 if transport is not None else -(-max_connections // _SHARD_SIZE)
        sizes = [max_connections // shards + (i < max_connections % shards) for i in range(shards)]
        self._pools = tuple(
            httpx.AsyncClient(
                headers=headers,
                timeout=httpx.Timeout(self.timeout),
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
                transport=transport,
            )
            for size in sizes
        )
        self._pool_load = [0] * shards
        self._http = self._pools[0]

    # -- housekeeping -------------------------------------------------------------------------

    @property
    def model(self) -> str | None:
        """The model name sent with every request (the plugin sets it from /v1/models)."""
        return self._model

    @model.setter
    def model(self, value: str | None) -> None:
        self._model = value or None

    def __repr__(self) -> str:
        key = "<redacted>" if self._api_key else None
        return (
            f"OpenAIClient(urls={list(self.urls)!r}, model={self._model!r}, api={self.api!r}, "
            f"api_key={key!r})"
        )

    __str__ = __repr__

    async def __aenter__(self) -> OpenAIClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools."""
        for pool in self._pools:
            await pool.aclose()

    def _clean(self, text: str) -> str:
        return one_line(text, self._api_key)

    # -- pre-flight ---------------------------------------------------------------------------

    async def list_models(self, *, timeout: float | None = None) -> list[str]:
        """Model ids from `GET <first base>/models`; raises `PreflightError` (one line)."""
        base = self.urls[0]
        wait = min(self.timeout, _PREFLIGHT_TIMEOUT) if timeout is None else timeout
        try:
            response = await self._http.get(f"{base}/models", timeout=wait)
        except httpx.TimeoutException:
            raise PreflightError(
                base, f"no answer within {wait:g}s; is the server up and the address right?"
            ) from None
        except httpx.TransportError as exc:
            raise PreflightError(
                base,
                f"cannot connect ({self._clean(str(exc) or type(exc).__name__)}); "
                "is the server running at this address?",
            ) from None
        status = response.status_code
        if 300 <= status < 400:
            raise PreflightError(
                base, redirect_message(f"{base}/models", status, response.headers.get("location"))
            )
        if status in (401, 403):
            sent = "the API key sent" if self._api_key else "the request (no API key was sent)"
            raise PreflightError(
                base, f"the server refused {sent} (HTTP {status}); set the right key"
            )
        if status == 404:
            raise PreflightError(
                base, "HTTP 404 for /models; is this the OpenAI-compatible base URL (.../v1)?"
            )
        if status >= 400 or status < 200:
            detail = self._clean(error_text(response.content))
            raise PreflightError(base, f"HTTP {status} for /models: {detail}")
        try:
            obj = response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            raise PreflightError(
                base, f"the answer to GET /models is not JSON ({kind}); is this an OpenAI API?"
            ) from None
        data = obj.get("data") if isinstance(obj, dict) else None
        if not isinstance(data, list):
            raise PreflightError(
                base, "the answer to GET /models has no 'data' list; is this an OpenAI API?"
            )
        names = [m["id"] for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)]
        if not names:
            raise PreflightError(base, "the server lists no models; is a model loaded?")
        return names

    # -- requests -----------------------------------------------------------------------------

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        stream: bool = True,
        model: str | None = None,
        **gen_config: Any,
    ) -> RequestRecord:
        """POST /chat/completions with `messages` and generation parameters `gen_config`."""
        body = build_body(
            "chat", self._model_for(model), messages=messages, gen_config=gen_config, stream=stream
        )
        return await self._run("chat", body)

    async def complete(
        self,
        prompt: str | Sequence[int],
        *,
        stream: bool = True,
        model: str | None = None,
        **gen_config: Any,
    ) -> RequestRecord:
        """POST /completions with `prompt` (text or token ids) and parameters `gen_config`."""
        body = build_body(
            "completions",
            self._model_for(model),
            prompt=prompt,
            gen_config=gen_config,
            stream=stream,
        )
        return await self._run("completions", body)

    async def send(self, body: Mapping[str, Any]) -> RequestRecord:
        """POST a body made by `build_body` for this client's api, exactly as it is."""
        return await self._run(self.api, body)

    def _model_for(self, model: str | None) -> str:
        chosen = model or self._model
        if chosen is None:
            raise ClientConfigError(
                "no model set: pass model= to OpenAIClient or set client.model "
                "(list_models() tells what the server serves)"
            )
        return chosen

    def _pick(self, avoid: str | None) -> str:
        """The replica with the fewest requests in flight; ties round robin, `avoid` last."""
        urls = self.urls
        count = len(urls)
        if count == 1:
            return urls[0]
        loads = self.in_flight
        best = -1
        best_key: tuple[int, bool] | None = None
        for step in range(count):
            index = (self._next + step) % count
            url = urls[index]
            key = (loads[url], url == avoid)
            if best_key is None or key < best_key:
                best, best_key = index, key
        self._next = (best + 1) % count
        return urls[best]

    async def _run(self, api: Api, body: Mapping[str, Any]) -> RequestRecord:
        payload = encode_body(body)
        stream = body.get("stream") is True
        path = PATHS[api]
        failed: list[ErrorKind] = []
        slept = 0.0
        avoid: str | None = None
        attempt = 0
        while True:
            url = self._pick(avoid)
            self.in_flight[url] += 1
            try:
                rec, retry_after, read_timeout = await self._attempt(
                    url, path, api, payload, stream
                )
            finally:
                self.in_flight[url] -= 1
            attempt += 1
            kind = rec.error_kind
            if kind is None or kind not in RETRYABLE or attempt > self.retries:
                break
            failed.append(kind)
            self.retry_counts[kind] += 1
            if read_timeout:
                self.retry_counts["read_timeout"] += 1
            delay = self._backoff.delay(attempt - 1, retry_after)
            if delay > 0:
                await asyncio.sleep(delay)
                slept += delay
            avoid = url
        rec.attempts = attempt
        rec.retried_errors = failed
        rec.backoff_s = slept
        return rec

    async def _attempt(
        self, base: str, path: str, api: Api, payload: bytes, stream: bool
    ) -> tuple[RequestRecord, float | None, bool]:
        """One HTTP exchange -> (record, Retry-After seconds, whether it was a read timeout)."""
        rec = RequestRecord(url=base + path, stream=stream)
        perf = time.perf_counter
        sent: list[float] = []

        async def trace(event: str, info: dict[str, Any]) -> None:
            if not sent and event.endswith(".send_request_headers.started"):
                sent.append(perf())

        shard = min(range(len(self._pools)), key=self._pool_load.__getitem__)
        http = self._pools[shard]
        request = http.build_request(
            "POST",
            rec.url,
            content=payload,
            headers=_STREAM_HEADERS if stream else _JSON_HEADERS,
            extensions={"trace": trace},
        )
        response: httpx.Response | None = None
        retry_after: float | None = None
        read_timeout = False
        rec.send_time = perf()
        self._pool_load[shard] += 1
        try:
            response = await http.send(request, stream=True)
            if sent:
                rec.send_time = sent[0]
            status = rec.status = response.status_code
            if not 200 <= status < 300:
                body = await response.aread()
                rec.end_time = perf()
                rec.error_kind = _status_kind(status)
                if 300 <= status < 400:
                    where = response.headers.get("location")
                    rec.error = self._clean(redirect_message(rec.url, status, where))
                else:
                    rec.error = self._clean(f"HTTP {status} from {rec.url}: {error_text(body)}")
                if status == 429 or status >= 500:
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
            elif stream and response.headers.get("content-type", "").startswith(
                "text/event-stream"
            ):
                read_timeout = await self._read_stream(response, rec, api)
            else:
                body = await response.aread()
                rec.end_time = perf()
                apply_body(rec, body, api)
        except httpx.TransportError as exc:
            rec.end_time = perf()
            kind, message = _transport_error(exc, response is not None, self)
            rec.error_kind, rec.error = kind, self._clean(f"{message} ({rec.url})")
            read_timeout = isinstance(exc, httpx.ReadTimeout)
        finally:
            self._pool_load[shard] -= 1
            if response is not None:
                await response.aclose()
        if rec.error is not None:
            rec.error = self._clean(rec.error)
        return rec, retry_after, read_timeout

    async def _read_stream(self, response: httpx.Response, rec: RequestRecord, api: Api) -> bool:
        """Read an SSE body into `rec`; returns True when it ended in a read timeout."""
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        chunks = response.aiter_raw() if encoding in ("", "identity") else response.aiter_bytes()
        parser = SSEParser()
        acc = StreamAccumulator(api)
        perf = time.perf_counter
        times: list[float] = []
        reads: list[bytes] = []
        pending = 0
        last = 0.0
        failure: httpx.TransportError | None = None
        try:
            async for chunk in chunks:
                times.append(perf())
                reads.append(chunk)
                pending += len(chunk)
                if pending > _FLUSH_BYTES:
                    last = times[-1]
                    _flush(parser, acc, times, reads)
                    pending = 0
                    if acc.error_kind is not None:
                        break
        except httpx.TransportError as exc:
            failure = exc
        if times:
            last = times[-1]
        rec.end_time = last if last else perf()
        _flush(parser, acc, times, reads)
        parser.close(rec.end_time)
        acc.consume(parser.events)
        acc.fill(rec)
        if rec.error_kind is not None:
            return False
        if failure is not None and not acc.done:
            kind, message = _transport_error(failure, True, self)
            rec.error_kind, rec.error = kind, f"{message} ({rec.url})"
            return isinstance(failure, httpx.ReadTimeout)
        if not acc.done and acc.finish_reason is None:
            rec.error_kind = "stream_dropped"
            rec.error = (
                f"the stream from {rec.url} ended before [DONE] and without a finish_reason "
                f"({len(rec.chunk_times)} text chunks received)"
            )
        return False


def _flush(
    parser: SSEParser, acc: StreamAccumulator, times: list[float], reads: list[bytes]
) -> None:
    feed = parser.feed
    for when, chunk in zip(times, reads, strict=True):
        feed(chunk, when)
    times.clear()
    reads.clear()
    acc.consume(parser.events)
    parser.events.clear()


def _status_kind(status: int) -> ErrorKind:
    if status == 429:
        return "http_429"
    if status >= 500:
        return "http_5xx"
    return "http_4xx"


def _transport_error(
    exc: httpx.TransportError, responded: bool, client: OpenAIClient
) -> tuple[ErrorKind, str]:
    """(error kind, message) for an httpx transport exception."""
    detail = str(exc) or type(exc).__name__
    wait = f"{client.timeout:g}s"
    if isinstance(exc, httpx.ConnectTimeout):
        return "timeout", f"connect timeout after {wait}"
    if isinstance(exc, httpx.ReadTimeout):
        return "timeout", f"read timeout: nothing received for {wait}"
    if isinstance(exc, httpx.WriteTimeout):
        return "timeout", f"write timeout after {wait}"
    if isinstance(exc, httpx.PoolTimeout):
        return "timeout", (
            f"no free connection within {wait} (max_connections={client.max_connections})"
        )
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", f"timeout: {detail}"
    if isinstance(exc, httpx.DecodingError):
        return "malformed", f"cannot decode the answer: {detail}"
    if isinstance(exc, httpx.ConnectError):
        return "connect", f"cannot connect: {detail}"
    if responded:
        return "stream_dropped", f"connection lost mid-answer: {detail}"
    return "connect", f"connection closed before an answer: {detail}"
