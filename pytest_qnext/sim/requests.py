"""Validation of chat/completions request bodies into the few fields the simulator uses.

Errors become `BadRequest` with vLLM-like status codes and a one-line message. The prompt's
token count may still be in progress when `parse_request` returns (see counting.py): the
context-length check is then done here only when a cheap bound already settles it, else by
the caller with `check_context` once the count is in (`ParsedRequest.count_pending`).

The echo policy repeats at most `ECHO_CHARS` characters of the prompt (cut at a space when
one is near), then filler: tokenising a long prompt's echo on the event loop would delay
every stream that shares the loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_qnext.sim.config import SimConfig
from pytest_qnext.sim.counting import PromptTokens, TokenWork
from pytest_qnext.sim.policy import prompt_key
from pytest_qnext.tokenizer import TokenCounter, TokenizerError, message_text

__all__ = ["ECHO_CHARS", "BadRequest", "ParsedRequest", "check_context", "parse_request"]

ECHO_CHARS = 128  # the echo policy repeats at most this many characters of the prompt
_ECHO_IDS = 64  # token-id prompts: ids decoded for the echo (>= ECHO_CHARS chars mostly)


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400, kind: str = "BadRequestError") -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


@dataclass(frozen=True)
class ParsedRequest:
    chat: bool
    key: str  # prompt_key of the request
    echo_text: str  # what the echo policy repeats (at most ECHO_CHARS characters)
    prompt: PromptTokens  # the prompt's token count (maybe still being computed)
    stream: bool = False
    include_usage: bool = False
    max_tokens: int | None = None
    min_tokens: int = 0
    ignore_eos: bool = False
    stop: tuple[str, ...] = ()
    enable_thinking: bool | None = None
    count_pending: bool = False  # context check needs the exact count: `check_context` it

    @property
    def prompt_tokens(self) -> int:
        """The exact prompt token count; only once `prompt.get()` was awaited (or inline)."""
        known = self.prompt.known
        if known is None:
            raise RuntimeError("prompt token count not ready: await req.prompt.get() first")
        return known


def echo_cut(text: str) -> str:
    """The echo policy's text: `text`, or its first ECHO_CHARS characters (at a space if one
    is in the last quarter)."""
    if len(text) <= ECHO_CHARS:
        return text
    space = text.rfind(" ", 3 * ECHO_CHARS // 4, ECHO_CHARS)
    return text[: space if space > 0 else ECHO_CHARS]


def _int(body: Mapping[str, Any], name: str, minimum: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BadRequest(f"'{name}' must be an integer >= {minimum}, got {value!r}")
    return value


def _bool(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false, got {value!r}")
    return value


def _stop(body: Mapping[str, Any]) -> tuple[str, ...]:
    value = body.get("stop")
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return tuple(value)
    raise BadRequest(f"'stop' must be a string or a list of strings, got {value!r}")


def _chat_prompt(
    body: Mapping[str, Any], work: TokenWork, template_kwargs: Mapping[str, Any]
) -> tuple[str, str, PromptTokens]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list of {role, content} objects")
    for m in messages:
        if not isinstance(m, Mapping) or not isinstance(m.get("role"), str):
            raise BadRequest("every message must be an object with a string 'role'")
    last_user = ""
    for m in reversed(messages):
        if m.get("role") == "user":
            last_user = message_text(m.get("content"))
            break
    try:
        count = work.chat(messages, template_kwargs)
    except TokenizerError as exc:
        raise BadRequest(str(exc)) from None
    return prompt_key(messages), echo_cut(last_user), count


def _completion_prompt(body: Mapping[str, Any], work: TokenWork) -> tuple[str, str, PromptTokens]:
    tokenizer = work.tokenizer
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], (str, list)):
        prompt = prompt[0]  # a batch of one
    if isinstance(prompt, str):
        return prompt_key(prompt), echo_cut(prompt), work.text(prompt)
    if (
        isinstance(prompt, list)
        and prompt
        and all(isinstance(t, int) and not isinstance(t, bool) for t in prompt)
    ):
        ids: Sequence[int] = prompt
        if min(ids) < 0 or max(ids) >= tokenizer.vocab_size:
            raise BadRequest(f"'prompt' token ids must be in 0..{tokenizer.vocab_size - 1}")
        try:
            text = tokenizer.decode(ids[:_ECHO_IDS])
        except Exception:  # a tokenizer that cannot decode some id: echo nothing special
            text = ""
        count = PromptTokens(len(ids), exact=len(ids), ids=list(ids))
        return prompt_key(list(ids)), echo_cut(text.rstrip("\ufffd")), count
    raise BadRequest(
        "'prompt' must be a string or a non-empty list of token ids (batches of several "
        "prompts are not supported by the simulator)"
    )


def check_context(prompt_tokens: int, max_tokens: int | None, limit: int) -> None:
    """BadRequest (vLLM's message) when prompt + requested output exceed the context."""
    if prompt_tokens + (max_tokens or 1) > limit:
        raise BadRequest(
            f"This model's maximum context length is {limit} tokens. However, you requested "
            f"{prompt_tokens + (max_tokens or 0)} tokens ({prompt_tokens} in the messages, "
            f"{max_tokens or 0} in the completion). Please reduce the length of the messages "
            "or completion."
        )


def parse_request(
    body: Any,
    *,
    chat: bool,
    config: SimConfig,
    tokenizer: TokenCounter | None = None,
    work: TokenWork | None = None,
) -> ParsedRequest:
    """Check a request body; raises BadRequest (one line) on anything the server refuses.

    With `work` (a running loop's TokenWork) the prompt may still be counted in the background:
    if `count_pending` is set, await `prompt.get()` and call `check_context` before answering.
    Without it, `tokenizer` counts inline."""
    if work is None:
        if tokenizer is None:
            raise TypeError("parse_request needs a tokenizer or a TokenWork")
        work = TokenWork(tokenizer, offload=False)
    if not isinstance(body, Mapping):
        raise BadRequest("request body must be a JSON object")
    model = body.get("model")
    if model is not None and model != config.model:
        raise BadRequest(f"The model `{model}` does not exist.", 404, "NotFoundError")
    n = body.get("n", 1)
    if n not in (1, None):
        raise BadRequest(f"'n' must be 1 for the simulator, got {n!r}")
    template_kwargs = body.get("chat_template_kwargs") or {}
    if not isinstance(template_kwargs, Mapping):
        raise BadRequest("'chat_template_kwargs' must be an object")
    if chat:
        key, echo_text, prompt = _chat_prompt(body, work, template_kwargs)
    else:
        key, echo_text, prompt = _completion_prompt(body, work)
    max_tokens = _int(body, "max_completion_tokens", 1)
    if max_tokens is None:
        max_tokens = _int(body, "max_tokens", 1)
    limit = config.max_model_len
    known = prompt.known
    pending = False
    if known is not None:
        check_context(known, max_tokens, limit)
    elif prompt.bound + (max_tokens or 1) > limit:
        pending = True  # the bound does not prove that it fits: the exact count decides
    stream = _bool(body, "stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, Mapping):
        raise BadRequest("'stream_options' must be an object")
    thinking = template_kwargs.get("enable_thinking")
    return ParsedRequest(
        chat=chat,
        key=key,
        echo_text=echo_text,
        prompt=prompt,
        stream=stream,
        include_usage=stream and bool(options.get("include_usage")),
        max_tokens=max_tokens,
        min_tokens=_int(body, "min_tokens", 0) or 0,
        ignore_eos=_bool(body, "ignore_eos"),
        stop=_stop(body),
        enable_thinking=thinking if isinstance(thinking, bool) else None,
        count_pending=pending,
    )
