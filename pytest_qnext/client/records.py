"""The record of one request, as the client measured it.

Every timestamp is `time.perf_counter()` seconds taken in the client process. Chunk times are
taken when the bytes of a chunk arrive, before any JSON parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ErrorKind", "RequestRecord"]

ErrorKind = Literal[
    "connect",  # could not connect / connection reset before a response
    "timeout",  # read/connect/pool timeout
    "http_4xx",  # non-retryable client error (400, 401, 404, ...)
    "http_429",  # rate limited, after retries
    "http_5xx",  # server error, after retries
    "stream_dropped",  # the stream ended before [DONE] / finish_reason
    "malformed",  # a chunk that is not valid JSON, or an unexpected body
    "server_error_event",  # an SSE error event sent by the server
    "cancelled",
]


@dataclass
class RequestRecord:
    """What happened to one request (after retries: the last attempt's timings)."""

    url: str = ""
    stream: bool = True
    send_time: float = 0.0  # perf_counter when the request was handed to the transport
    end_time: float = 0.0  # perf_counter when the last byte arrived (or the error happened)
    # one entry per SSE data event that carried content or reasoning text (not the role chunk)
    chunk_times: list[float] = field(default_factory=list)
    chunk_texts: list[str] = field(default_factory=list)  # text of each of those chunks
    first_token_time: float | None = None  # == chunk_times[0] when any
    content: str = ""
    reasoning: str = ""  # vLLM's `reasoning_content` / `reasoning`
    invalid_text: int = 0  # lone surrogates in content/reasoning replaced by U+FFFD (decode.py)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None  # the server's `usage` object, verbatim
    status: int | None = None  # HTTP status of the last attempt
    error_kind: ErrorKind | None = None
    error: str | None = None  # one line, never containing the API key
    attempts: int = 0
    # error kinds of the earlier attempts that were retried (empty when the first one counted)
    retried_errors: list[ErrorKind] = field(default_factory=list)
    backoff_s: float = 0.0  # seconds slept between attempts (backoff / Retry-After)

    @property
    def ok(self) -> bool:
        return self.error_kind is None

    @property
    def ttft(self) -> float | None:
        if self.first_token_time is None:
            return None
        return self.first_token_time - self.send_time

    @property
    def latency(self) -> float:
        return self.end_time - self.send_time

    @property
    def prompt_tokens(self) -> int | None:
        return None if self.usage is None else self.usage.get("prompt_tokens")

    @property
    def completion_tokens(self) -> int | None:
        return None if self.usage is None else self.usage.get("completion_tokens")
