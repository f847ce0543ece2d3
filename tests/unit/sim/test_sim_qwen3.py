"""The simulator with the real Qwen3 tokenizer: usage counts match the chat template."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_qnext.sim import SimServer

MESSAGES = [
    {"role": "system", "content": "Answer with a single letter."},
    {"role": "user", "content": "Which planet is largest? (A) Mars (B) Jupiter (C) Venus"},
]


@pytest.fixture(scope="module")
def raw_qwen3(qwen3_tokenizer_path: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(qwen3_tokenizer_path))


def _template_len(raw: Any, messages: Any, **kwargs: Any) -> int:
    out = raw.apply_chat_template(messages, tokenize=True, add_generation_prompt=True, **kwargs)
    return len(out["input_ids"] if hasattr(out, "keys") else out)


def test_prompt_tokens_match_chat_template(
    sim_factory: Callable[..., SimServer], sse: Any, qwen3_tokenizer_path: Path, raw_qwen3: Any
) -> None:
    server = sim_factory(tokenizer=str(qwen3_tokenizer_path))
    result = sse(
        server.url,
        {
            "messages": MESSAGES,
            "max_tokens": 16,
            "ignore_eos": True,
            "stream_options": {"include_usage": True},
        },
    )
    usage = result.events[-1]["usage"]
    assert usage["prompt_tokens"] == _template_len(raw_qwen3, MESSAGES)
    assert usage["completion_tokens"] == 16
    # the client's re-count of the streamed text agrees with usage (one chunk per token)
    text = "".join(result.texts())
    assert len(raw_qwen3.encode(text, add_special_tokens=False)) == 16
    off = httpx.post(
        server.url + "/chat/completions",
        json={"messages": MESSAGES, "chat_template_kwargs": {"enable_thinking": False}},
    ).json()
    assert off["usage"]["prompt_tokens"] == _template_len(
        raw_qwen3, MESSAGES, enable_thinking=False
    )
    comp = httpx.post(server.url + "/completions", json={"prompt": "Hello world"}).json()
    assert comp["usage"]["prompt_tokens"] == 2
