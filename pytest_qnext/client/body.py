"""The one request builder: every body pytest-qnext sends is made by `build_body`.

The capability client, the perf stream sender and the response cache key all start from the
dict it returns, so what is hashed is exactly what is sent. The keys it owns (`OWNED_KEYS`)
cannot come from a user's generation config: the plugin refuses them at start-up and the
builder refuses them too, rather than letting a config silently replace the model or turn
streaming off behind the client's back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_qnext.client.errors import ClientConfigError

__all__ = ["OWNED_KEYS", "PATHS", "build_body", "encode_body", "owned_keys_problem"]

# api -> endpoint path under the base URL
PATHS: Mapping[str, str] = {"chat": "/chat/completions", "completions": "/completions"}

# key -> where its value comes from instead (shown to the user who tried to set it)
OWNED_KEYS: Mapping[str, str] = {
    "model": "--qnext-model",
    "messages": "the benchmark or perf prompt source",
    "prompt": "the benchmark or perf prompt source",
    "stream": "--qnext-stream / --qnext-no-stream; perf requests always stream",
    "stream_options": "--qnext-stream / --qnext-no-stream; a stream always asks for usage",
}


def owned_keys_problem(gen_config: Mapping[str, Any]) -> str | None:
    """One line naming the owned keys `gen_config` sets (None when it sets none)."""
    clashes = [key for key in OWNED_KEYS if key in gen_config]
    if not clashes:
        return None
    parts = "; ".join(f"{key!r} is set by pytest-qnext (use {OWNED_KEYS[key]})" for key in clashes)
    return f"{parts}; remove it from the JSON"


def build_body(
    api: str,
    model: str,
    *,
    messages: Sequence[Mapping[str, Any]] | None = None,
    prompt: str | Sequence[int] | None = None,
    gen_config: Mapping[str, Any],
    stream: bool,
) -> dict[str, Any]:
    """The JSON body of one request to `/chat/completions` (api "chat": `messages`) or
    `/completions` (api "completions": `prompt`, text or token ids).

    `gen_config` is passed through (max_tokens, temperature, chat_template_kwargs, ...); a
    streamed request asks for the usage chunk (`stream_options.include_usage`), which perf
    metrics and the output-token checks read. Raises `ClientConfigError` (one line) for a
    missing model, the wrong prompt kind for the API, or an owned key in `gen_config`.
    """
    if not model:
        raise ClientConfigError(
            "no model set: give a model name (the server's /v1/models lists what it serves)"
        )
    body: dict[str, Any] = {"model": model}
    if api == "chat":
        if messages is None or prompt is not None:
            raise ClientConfigError("a chat request sends messages, not a prompt")
        body["messages"] = [dict(m) for m in messages]
    elif api == "completions":
        if prompt is None or messages is not None:
            raise ClientConfigError("a completions request sends a prompt, not messages")
        body["prompt"] = prompt if isinstance(prompt, str) else list(prompt)
    else:
        raise ClientConfigError(f"api must be one of {', '.join(PATHS)}, got {api!r}")
    problem = owned_keys_problem(gen_config)
    if problem is not None:
        raise ClientConfigError(f"generation config: {problem}")
    body.update(gen_config)
    body["stream"] = stream
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The bytes sent for `body` (UTF-8 JSON, as the server receives it). Text that UTF-8
    cannot carry (a lone surrogate in a dataset's question) goes as a JSON `\\uXXXX` escape."""
    text = json.dumps(body, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, ensure_ascii=True).encode("ascii")
