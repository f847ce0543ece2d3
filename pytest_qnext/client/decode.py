"""Turning what a server sent into RequestRecord fields (runs after the bytes arrived).

`StreamAccumulator` consumes parsed SSE events in batches (the client hands them over when the
stream ends, or every few hundred KiB), so no JSON is parsed while chunks are being timed.
`apply_body` does the same for a non-streaming answer; `error_text` / `one_line` turn error
bodies and exceptions into the one-line, key-free messages records carry.

Text from a server is untrusted, and this is where it becomes valid: invalid UTF-8 bytes were
already replaced when the SSE lines were decoded, and `valid_text` turns what JSON escapes can
still smuggle in (a lone surrogate such as `"\ud800"`, which no UTF-8 writer accepts) into
U+FFFD, keeping an escaped pair split over two chunks as the one character it stands for.
Every string a record carries (content, reasoning, chunk texts, finish_reason, usage, error
messages) goes through it.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pytest_qnext.client.records import ErrorKind, RequestRecord
from pytest_qnext.client.sse import DONE, SSEEvent

__all__ = [
    "Api",
    "StreamAccumulator",
    "apply_body",
    "error_text",
    "one_line",
    "valid_json",
    "valid_text",
]

Api = Literal["chat", "completions"]

_SPACES = re.compile(r"\s+")
_MAX_MESSAGE = 300
REDACTED = "<redacted>"


def valid_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (surrogate pairs become the
    character they encode); `text` itself when it is valid (the usual, fast case)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _make_valid(rec: RequestRecord) -> None:
    """`valid_text` on the record's content and reasoning, counting the lone surrogates it
    replaced in `rec.invalid_text` (the perf `invalid_text` metric)."""
    raw = rec.content, rec.reasoning
    rec.content, rec.reasoning = valid_text(raw[0]), valid_text(raw[1])
    if rec.content is not raw[0] or rec.reasoning is not raw[1]:
        before = raw[0].count("\ufffd") + raw[1].count("\ufffd")
        rec.invalid_text = rec.content.count("\ufffd") + rec.reasoning.count("\ufffd") - before


def valid_json(value: Any) -> Any:
    """A parsed JSON value with `valid_text` applied to every string in it (keys too)."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_text(str(k)): valid_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [valid_json(v) for v in value]
    return value


def one_line(text: str, secret: str | None = None, limit: int = _MAX_MESSAGE) -> str:
    """Collapse whitespace, remove `secret` (the API key) and cut to `limit` characters."""
    text = valid_text(text)
    if secret:
        text = text.replace(secret, REDACTED)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if secret and secret in text:  # whitespace collapsing cannot create it, but be sure
        text = text.replace(secret, REDACTED)
    return text


def _message_of(obj: Any) -> str | None:
    """The human message inside an OpenAI/vLLM/FastAPI error object, if there is one."""
    if isinstance(obj, dict):
        for key in ("error", "message", "detail"):
            value = obj.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, (dict, list)) and value:
                found = _message_of(value)
                if found:
                    return found
    elif isinstance(obj, list) and obj:
        parts = [m for m in (_message_of(item) for item in obj[:3]) if m]
        return "; ".join(parts) or None
    elif isinstance(obj, str) and obj:
        return obj
    return None


def error_text(body: bytes | str) -> str:
    """The message of an error body (JSON error object or plain text), not yet one-lined."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        obj = json.loads(text)
    except ValueError:
        return text.strip() or "(empty body)"
    return valid_text(_message_of(obj) or text.strip())


def _is_error_payload(obj: dict[str, Any]) -> bool:
    return obj.get("error") is not None or obj.get("object") == "error"


def _first_choice(obj: dict[str, Any]) -> dict[str, Any] | None:
    choices = obj.get("choices")
    if not choices or not isinstance(choices, list):
        return None
    for choice in choices:
        if isinstance(choice, dict) and choice.get("index", 0) == 0:
            return choice
    return None


def _reasoning_of(part: dict[str, Any]) -> str:
    # vLLM has used both names for the reasoning parser's output
    value = part.get("reasoning_content") or part.get("reasoning")
    return value if isinstance(value, str) else ""


class StreamAccumulator:
    """Collects content, reasoning, chunk times/texts, finish_reason and usage from events."""

    __slots__ = (
        "api",
        "chunk_texts",
        "chunk_times",
        "content",
        "done",
        "error",
        "error_kind",
        "finish_reason",
        "reasoning",
        "usage",
    )

    def __init__(self, api: Api) -> None:
        self.api = api
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.chunk_times: list[float] = []
        self.chunk_texts: list[str] = []
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.done = False
        self.error_kind: ErrorKind | None = None
        self.error: str | None = None

    def consume(self, events: list[SSEEvent]) -> None:
        """Process a batch of events; stops at [DONE] or at the first error."""
        chat = self.api == "chat"
        loads = json.loads
        for when, kind, data in events:
            if self.done or self.error_kind is not None:
                return
            if data == DONE:
                self.done = True
                return
            if kind == "error":
                self._fail("server_error_event", f"server sent an error event: {error_text(data)}")
                return
            try:
                obj = loads(data)
            except ValueError:
                self._fail("malformed", f"a stream event is not valid JSON: {data[:120]!r}")
                return
            if not isinstance(obj, dict):
                self._fail("malformed", f"a stream event is not a JSON object: {data[:120]!r}")
                return
            if _is_error_payload(obj):
                self._fail("server_error_event", f"server sent an error event: {error_text(data)}")
                return
            usage = obj.get("usage")
            if usage is not None:
                self.usage = valid_json(usage)
            choice = _first_choice(obj)
            if choice is None:
                continue
            if chat:
                delta = choice.get("delta") or {}
                text = delta.get("content") or ""
                thought = _reasoning_of(delta)
            else:
                text = choice.get("text") or ""
                thought = ""
            if text or thought:
                if not isinstance(text, str):
                    self._fail("malformed", f"a stream event has non-text content: {data[:120]!r}")
                    return
                if thought:
                    self.reasoning.append(thought)
                if text:
                    self.content.append(text)
                self.chunk_times.append(when)
                self.chunk_texts.append(valid_text(thought + text))
            reason = choice.get("finish_reason")
            if reason is not None:
                self.finish_reason = valid_text(str(reason))

    def _fail(self, kind: ErrorKind, message: str) -> None:
        self.error_kind = kind
        self.error = message

    def fill(self, rec: RequestRecord) -> None:
        """Write what was collected into `rec` (errors included, if any)."""
        rec.content, rec.reasoning = "".join(self.content), "".join(self.reasoning)
        _make_valid(rec)
        rec.chunk_times = self.chunk_times
        rec.chunk_texts = self.chunk_texts
        rec.first_token_time = self.chunk_times[0] if self.chunk_times else None
        rec.finish_reason = self.finish_reason
        rec.usage = self.usage
        if self.error_kind is not None:
            rec.error_kind = self.error_kind
            rec.error = self.error


def apply_body(rec: RequestRecord, body: bytes, api: Api) -> None:
    """Fill `rec` from a non-streaming JSON answer; sets `malformed` when it is not one."""
    try:
        obj = json.loads(body)
    except ValueError:
        rec.error_kind = "malformed"
        rec.error = f"the answer is not valid JSON: {body[:120]!r}"
        return
    if not isinstance(obj, dict):
        rec.error_kind = "malformed"
        rec.error = f"the answer is not a JSON object: {body[:120]!r}"
        return
    if _is_error_payload(obj):
        rec.error_kind = "server_error_event"
        rec.error = f"server answered with an error: {error_text(body)}"
        return
    usage = obj.get("usage")
    if usage is not None:
        rec.usage = valid_json(usage)
    choice = _first_choice(obj)
    if choice is None:
        rec.error_kind = "malformed"
        rec.error = f"the answer has no choices: {body[:120]!r}"
        return
    if api == "chat":
        message = choice.get("message") or {}
        rec.content = message.get("content") or ""
        rec.reasoning = _reasoning_of(message)
    else:
        rec.content = choice.get("text") or ""
    if not isinstance(rec.content, str):
        rec.error_kind = "malformed"
        rec.error = f"the answer's content is not text: {body[:120]!r}"
        rec.content = ""
        return
    _make_valid(rec)
    reason = choice.get("finish_reason")
    rec.finish_reason = None if reason is None else valid_text(str(reason))
