"""The one request builder: body shapes, streaming fields, owned keys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_qnext.client import ClientConfigError
from pytest_qnext.client.body import OWNED_KEYS, build_body, encode_body, owned_keys_problem

MESSAGES = [{"role": "user", "content": "Was ist 2+2? ünïcødé"}]


def test_chat_body_streams_with_usage() -> None:
    gen = {"max_tokens": 8, "temperature": 0.6, "chat_template_kwargs": {"enable_thinking": True}}
    body = build_body("chat", "qwen", messages=MESSAGES, gen_config=gen, stream=True)
    assert body == {
        "model": "qwen",
        "messages": MESSAGES,
        "max_tokens": 8,
        "temperature": 0.6,
        "chat_template_kwargs": {"enable_thinking": True},
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert body["messages"] is not MESSAGES  # the caller's list is never shared or changed


def test_whole_response_body_has_no_stream_options() -> None:
    body = build_body("completions", "qwen", prompt=[1, 2, 3], gen_config={}, stream=False)
    assert body == {"model": "qwen", "prompt": [1, 2, 3], "stream": False}


def test_encoded_body_decodes_to_the_body() -> None:
    body = build_body("chat", "qwen", messages=MESSAGES, gen_config={"seed": 1}, stream=True)
    payload = encode_body(body)
    assert json.loads(payload) == body
    assert "ünïcødé".encode() in payload  # UTF-8 as is, not \\u escapes


@pytest.mark.parametrize("key", list(OWNED_KEYS))
def test_owned_keys_are_refused_naming_where_they_come_from(key: str) -> None:
    gen: dict[str, Any] = {"temperature": 0, key: "x"}
    problem = owned_keys_problem(gen)
    assert problem is not None and repr(key) in problem and OWNED_KEYS[key] in problem
    with pytest.raises(ClientConfigError, match=f"'{key}' is set by pytest-qnext"):
        build_body("chat", "qwen", messages=MESSAGES, gen_config=gen, stream=True)
    assert owned_keys_problem({"temperature": 0, "max_tokens": 5}) is None


def test_stream_and_model_name_the_options_to_use() -> None:
    problem = owned_keys_problem({"stream": False, "model": "x"})
    assert problem is not None
    assert "--qnext-stream / --qnext-no-stream" in problem and "--qnext-model" in problem


@pytest.mark.parametrize(
    ("api", "kwargs", "match"),
    [
        ("chat", {"prompt": "x"}, "sends messages"),
        ("chat", {"messages": MESSAGES, "prompt": "x"}, "sends messages"),
        ("completions", {"messages": MESSAGES}, "sends a prompt"),
        ("embeddings", {"messages": MESSAGES}, "api must be one of chat, completions"),
    ],
)
def test_prompt_kind_must_match_the_api(api: str, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ClientConfigError, match=match):
        build_body(api, "qwen", gen_config={}, stream=True, **kwargs)


def test_a_model_is_required() -> None:
    with pytest.raises(ClientConfigError, match="no model set"):
        build_body("chat", "", messages=MESSAGES, gen_config={}, stream=True)
