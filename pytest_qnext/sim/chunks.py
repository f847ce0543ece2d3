"""Pre-encoded bytes of vLLM-shaped responses (SSE chunks and whole bodies).

Each request builds one `ChunkEncoder`, which turns its generation plan into the list of SSE
event bytes before streaming starts: the hot path then only sleeps and writes. Strings are
escaped with the C JSON string encoder; the rest of each event is a byte template.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

from pytest_qnext.sim.generation import CONTENT, REASONING, GenerationPlan

__all__ = ["DONE", "ChunkEncoder", "usage_dict"]

DONE = b"data: [DONE]\n\n"
MALFORMED = b'data: {"id": "broken", "choices": [{"index": 0, "delta": {"content": "\n\n'


def usage_dict(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
    }


def _q(value: str | None) -> str:
    if value is None:
        return "null"
    text = str(encode_basestring(value))
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate goes out as its JSON escape ("\ud800")
            text = str(encode_basestring_ascii(value))
    return text


class ChunkEncoder:
    """Byte templates for one request (`chat=True`: chat.completion.chunk, else text)."""

    def __init__(self, *, chat: bool, request_id: str, created: int, model: str) -> None:
        self.chat = chat
        self.request_id = request_id
        self.created = created
        self.model = model
        obj = "chat.completion.chunk" if chat else "text_completion"
        self._head = (
            f'data: {{"id":"{request_id}","object":"{obj}","created":{created},'
            f'"model":{_q(model)},"choices":['
        )

        self._memo: dict[tuple[int, str], bytes] = {}
        if chat:
            self._open = {
                CONTENT: (self._head + '{"index":0,"delta":{"content":').encode(),
                REASONING: (self._head + '{"index":0,"delta":{"reasoning_content":').encode(),
            }
            self._close = b'},"logprobs":null,"finish_reason":null}]}\n\n'
        else:
            opening = (self._head + '{"index":0,"text":').encode()
            self._open = {CONTENT: opening, REASONING: opening}
            self._close = b',"logprobs":null,"finish_reason":null}]}\n\n'

    def role(self) -> bytes:
        return (
            self._head + '{"index":0,"delta":{"role":"assistant","content":""},'
            '"logprobs":null,"finish_reason":null}]}\n\n'
        ).encode()

    def piece(self, kind: int, text: str) -> bytes:
        """The event of a token that does not end the stream (b"" for empty text)."""
        key = (kind, text)
        cached = self._memo.get(key)
        if cached is None:
            cached = self._open[kind] + _q(text).encode() + self._close if text else b""
            self._memo[key] = cached
        return cached

    def token(
        self, kind: int, text: str, finish: str | None = None, stop_reason: str | None = None
    ) -> bytes:
        """The event of one token; with `finish`, the last one (carries finish_reason)."""
        if finish is None:
            return self.piece(kind, text) or self._open[kind] + b'""' + self._close
        end = (
            f',"logprobs":null,"finish_reason":{_q(finish)},"stop_reason":{_q(stop_reason)}}}]}}'
            "\n\n"
        )
        closing = ("}" if self.chat else "") + end
        return self._open[kind] + _q(text).encode() + closing.encode()

    def event(self, plan: GenerationPlan, index: int) -> bytes:
        """Event bytes of token `index` of `plan` (see `stream`)."""
        tokens = plan.tokens
        if not tokens:
            return self.token(CONTENT, "", plan.finish_reason, plan.stop_reason)
        kind, text = tokens[index]
        if index == len(tokens) - 1:
            return self.token(kind, text, plan.finish_reason, plan.stop_reason)
        return self.piece(kind, text)

    def usage(self, prompt_tokens: int, completion_tokens: int) -> bytes:
        body = json.dumps(usage_dict(prompt_tokens, completion_tokens), separators=(",", ":"))
        return (self._head + '],"usage":' + body + "}\n\n").encode()

    def stream(self, plan: GenerationPlan) -> list[bytes]:
        """One entry per generated token (b"" for a token with no visible text); the last
        entry carries finish_reason. A plan without tokens gives one empty finish chunk."""
        return [self.event(plan, i) for i in range(max(1, plan.completion_tokens))]

    def body(self, plan: GenerationPlan, prompt_tokens: int) -> dict[str, Any]:
        """The non-streaming response object."""
        choice: dict[str, Any]
        if self.chat:
            message: dict[str, Any] = {"role": "assistant", "content": plan.content}
            if plan.reasoning:
                message["reasoning_content"] = plan.reasoning
            message["tool_calls"] = []
            choice = {"index": 0, "message": message}
        else:
            choice = {"index": 0, "text": plan.content}
        choice.update(
            {"logprobs": None, "finish_reason": plan.finish_reason, "stop_reason": plan.stop_reason}
        )
        return {
            "id": self.request_id,
            "object": "chat.completion" if self.chat else "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [choice],
            "usage": usage_dict(prompt_tokens, plan.completion_tokens),
        }
