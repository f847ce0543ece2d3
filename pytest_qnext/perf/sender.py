"""A lean streaming sender for timed perf requests (aiohttp; one shared connection pool).

While a request streams, the event loop does two list appends per read: the
`time.perf_counter()` of the read and its bytes. SSE framing and JSON decoding happen after
the measurement window (`decode_pending()`), with the client package's own `SSEParser` /
`StreamAccumulator`, so the records are exactly what `OpenAIClient` would produce. Decoding a
finished stream right away would block the loop for milliseconds exactly when a closed loop's
next wave of requests is sent and their first chunks arrive, inflating their TTFT. Measured on
this project's machine this keeps the loop lag (and so TTFT/ITL inflation) far lower than an
httpx client at 32+ streams.

`send_time` is taken when the request's bytes are handed to the socket (an aiohttp trace
callback right before the write), not when `send()` is called: a closed loop starts a whole
wave of requests at once, and building 32 requests takes the client a few milliseconds that
would otherwise be counted into the later requests' TTFT.

Timed requests are not retried: a retry would hide an error and stretch the latency of the
request it replaces. Errors are counted by kind instead (`RequestRecord.error_kind`).
Redirects are not followed (the same rule as the capability client: `redirect_message`).

Text from the server is untrusted: a lone UTF-16 surrogate (e.g. a `\ud800` escape) cannot be
encoded, and a tokenizer re-count or a report writer would raise on it. The client's decoding
(`client/decode.py`, shared with the capability client) replaces each one with U+FFFD and counts
them in `RequestRecord.invalid_text` (the `invalid_text` metric).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from types import SimpleNamespace, TracebackType
from typing import Any

import aiohttp

from pytest_qnext.client import ErrorKind, RequestRecord, SSEParser, normalize_base_url
from pytest_qnext.client.body import PATHS, build_body, encode_body
from pytest_qnext.client.decode import StreamAccumulator, error_text, one_line
from pytest_qnext.client.urls import redirect_message
from pytest_qnext.options import default

__all__ = ["StreamSender"]

_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "text/event-stream",
    "Accept-Encoding": "identity",
}


class _Sent:
    """Per-request holder for the moment its bytes went to the socket."""

    __slots__ = ("time",)

    def __init__(self) -> None:
        self.time = 0.0


async def _on_chunk_sent(
    session: aiohttp.ClientSession,
    context: SimpleNamespace,
    params: aiohttp.TraceRequestChunkSentParams,
) -> None:
    """Trace callback: runs right before aiohttp writes the request (headers + body)."""
    holder = context.trace_request_ctx
    if isinstance(holder, _Sent) and holder.time == 0.0:
        holder.time = time.perf_counter()


class StreamSender:
    """`await sender.send(sender.payload(...))` -> RequestRecord; use as
    `async with StreamSender(...)`. Build every payload before the measurement window."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        model: str,
        api: str = "chat",
        api_key: str | None = None,
        timeout: float = default("--qnext-timeout"),
        max_connections: int = 100,
    ) -> None:
        self.urls = tuple(normalize_base_url(u) for u in urls)
        self.model = model
        self.api = api
        self.path = PATHS[api]
        self.timeout = timeout
        self._key = api_key or None
        self._max = max(1, max_connections)
        self._session: aiohttp.ClientSession | None = None
        self._next = 0
        self.in_flight = dict.fromkeys(self.urls, 0)
        self._pending: list[tuple[RequestRecord, list[float], list[bytes]]] = []

    async def __aenter__(self) -> StreamSender:
        headers = {"User-Agent": "pytest-qnext"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        trace = aiohttp.TraceConfig()
        trace.on_request_chunk_sent.append(_on_chunk_sent)
        self._session = aiohttp.ClientSession(
            headers=headers,
            trace_configs=[trace],
            connector=aiohttp.TCPConnector(limit=self._max, limit_per_host=0),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            auto_decompress=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    def _pick(self) -> str:
        if len(self.urls) == 1:
            return self.urls[0]
        loads = self.in_flight
        order = [self.urls[(self._next + i) % len(self.urls)] for i in range(len(self.urls))]
        best = min(order, key=lambda u: loads[u])
        self._next = (self.urls.index(best) + 1) % len(self.urls)
        return best

    def payload(
        self,
        *,
        messages: Sequence[Mapping[str, Any]] | None = None,
        prompt: str | Sequence[int] | None = None,
        gen_config: Mapping[str, Any],
    ) -> bytes:
        """The encoded streaming body of one request (`build_body` with this sender's model
        and api); build them before the measurement window, `send` only writes them."""
        body = build_body(
            self.api,
            self.model,
            messages=messages,
            prompt=prompt,
            gen_config=gen_config,
            stream=True,
        )
        return encode_body(body)

    async def send(self, payload: bytes, *, defer_decode: bool = False) -> RequestRecord:
        """Stream one request (`payload` from `payload()`). With `defer_decode` the record's
        text, usage and chunk fields are filled only by `decode_pending()` (call it after the
        measurement window)."""
        assert self._session is not None, "use `async with StreamSender(...)`"
        base = self._pick()
        rec = RequestRecord(url=base + self.path, stream=True, attempts=1)
        perf = time.perf_counter
        times: list[float] = []
        reads: list[bytes] = []
        responded = False
        sent = _Sent()
        self.in_flight[base] += 1
        rec.send_time = perf()
        try:
            async with self._session.post(
                rec.url,
                data=payload,
                headers=_HEADERS,
                trace_request_ctx=sent,
                allow_redirects=False,
            ) as resp:
                responded = True
                if sent.time:
                    rec.send_time = sent.time
                rec.status = resp.status
                if not 200 <= resp.status < 300:
                    text = await resp.read()
                    rec.end_time = perf()
                    rec.error_kind = (
                        "http_429"
                        if resp.status == 429
                        else "http_5xx"
                        if resp.status >= 500
                        else "http_4xx"
                    )
                    rec.error = (
                        redirect_message(rec.url, resp.status, resp.headers.get("Location"))
                        if 300 <= resp.status < 400
                        else f"HTTP {resp.status} from {rec.url}: {error_text(text)}"
                    )
                else:
                    async for chunk in resp.content.iter_any():
                        times.append(perf())
                        reads.append(chunk)
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            rec.error_kind, rec.error = "timeout", f"no complete answer within {self.timeout:g}s"
        except aiohttp.ClientConnectorError as exc:
            rec.error_kind, rec.error = "connect", f"cannot connect: {exc}"
        except aiohttp.ClientError as exc:
            kind: ErrorKind = "stream_dropped" if responded else "connect"
            rec.error_kind, rec.error = kind, f"connection lost: {type(exc).__name__}: {exc}"
        finally:
            self.in_flight[base] -= 1
        if rec.end_time == 0.0:
            rec.end_time = times[-1] if times else perf()
        if rec.error is not None:
            rec.error = one_line(rec.error, self._key)
        if rec.error_kind is None or times:
            if defer_decode:
                self._pending.append((rec, times, reads))
            else:
                self._finish(rec, times, reads)
        return rec

    def decode_pending(self) -> None:
        """Decode every stream sent with `defer_decode=True` (off the timed window)."""
        pending, self._pending = self._pending, []
        for rec, times, reads in pending:
            self._finish(rec, times, reads)

    def _finish(self, rec: RequestRecord, times: list[float], reads: list[bytes]) -> None:
        _decode(rec, times, reads, self.api)
        if rec.error is not None:
            rec.error = one_line(rec.error, self._key)


def _decode(rec: RequestRecord, times: list[float], reads: list[bytes], api: str) -> None:
    """SSE framing + JSON of a finished stream into `rec` (after the timing is over)."""
    parser = SSEParser()
    for when, chunk in zip(times, reads, strict=True):
        parser.feed(chunk, when)
    parser.close(rec.end_time)
    acc = StreamAccumulator(api)  # type: ignore[arg-type]
    acc.consume(parser.events)
    had_error = rec.error_kind is not None
    acc.fill(rec)  # also makes the text valid and counts what it replaced
    if had_error or rec.error_kind is not None:
        return
    if not acc.done and acc.finish_reason is None:
        rec.error_kind = "stream_dropped"
        rec.error = (
            f"the stream from {rec.url} ended before [DONE] and without a finish_reason "
            f"({len(rec.chunk_times)} text chunks received)"
        )
