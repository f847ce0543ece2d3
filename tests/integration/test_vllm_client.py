"""The client against a real vLLM: wire format, usage, token-id prompts, TTFT semantics."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pytest_qnext.client import OpenAIClient
from pytest_qnext.client.records import RequestRecord

pytestmark = pytest.mark.integration


def _run(url: str, model: str, coro_factory, **client_kwargs) -> RequestRecord:  # type: ignore[no-untyped-def]
    async def main() -> RequestRecord:
        async with OpenAIClient([url], model=model, timeout=120, **client_kwargs) as client:
            return await coro_factory(client)  # type: ignore[no-any-return]

    return asyncio.run(main())


def test_streaming_chat_reports_usage_and_skips_role_chunk(vllm_url: str, vllm_model: str) -> None:
    record = _run(
        vllm_url,
        vllm_model,
        lambda c: c.chat([{"role": "user", "content": "Say hi"}], max_tokens=16, ignore_eos=True),
    )
    assert record.ok, record.error
    assert record.usage is not None and record.usage["completion_tokens"] == 16
    assert record.finish_reason == "length"
    # the role-only first chunk carries no text and must not be the first token
    assert record.chunk_texts and all(record.chunk_texts)
    assert record.first_token_time == record.chunk_times[0]
    assert record.send_time < record.first_token_time <= record.end_time
    assert "".join(record.chunk_texts) == record.content


def test_ignore_eos_gives_exactly_256_tokens(vllm_url: str, vllm_model: str) -> None:
    record = _run(
        vllm_url,
        vllm_model,
        lambda c: c.chat([{"role": "user", "content": "Write"}], max_tokens=256, ignore_eos=True),
    )
    assert record.ok, record.error
    assert record.usage is not None
    assert record.usage["completion_tokens"] == 256
    # vLLM does not always send one token per chunk: tokens come from usage, not chunk counts
    assert 0 < len(record.chunk_times) <= 256


def test_completions_with_token_id_prompt(vllm_url: str, vllm_model: str) -> None:
    ids = [9707, 1879, 11, 1052, 374, 264, 1273]
    record = _run(
        vllm_url,
        vllm_model,
        lambda c: c.complete(ids, max_tokens=8, ignore_eos=True),
        api="completions",
    )
    assert record.ok, record.error
    assert record.usage is not None
    assert record.usage["prompt_tokens"] == len(ids)
    assert record.usage["completion_tokens"] == 8


def test_chat_prompt_tokens_match_the_real_chat_template(
    vllm_url: str, vllm_model: str, qwen3_tokenizer_path: Path
) -> None:
    from transformers import AutoTokenizer

    messages = [{"role": "user", "content": "How many tokens is this prompt, exactly?"}]
    tokenizer = AutoTokenizer.from_pretrained(str(qwen3_tokenizer_path))
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    expected = len(tokenizer(text, add_special_tokens=False)["input_ids"])
    record = _run(vllm_url, vllm_model, lambda c: c.chat(messages, max_tokens=2, ignore_eos=True))
    assert record.ok, record.error
    assert record.usage is not None
    assert record.usage["prompt_tokens"] == expected


def test_non_streaming_chat(vllm_url: str, vllm_model: str) -> None:
    record = _run(
        vllm_url,
        vllm_model,
        lambda c: c.chat(
            [{"role": "user", "content": "hi"}], stream=False, max_tokens=4, ignore_eos=True
        ),
    )
    assert record.ok, record.error
    assert record.usage is not None and record.usage["completion_tokens"] == 4
    assert record.content


def test_concurrent_streams(vllm_url: str, vllm_model: str) -> None:
    async def main() -> list[RequestRecord]:
        async with OpenAIClient([vllm_url], model=vllm_model, timeout=120) as client:
            return await asyncio.gather(
                *(
                    client.chat(
                        [{"role": "user", "content": f"n{i}"}], max_tokens=32, ignore_eos=True
                    )
                    for i in range(8)
                )
            )

    records = asyncio.run(main())
    assert all(r.ok for r in records), [r.error for r in records if not r.ok]
    assert [r.usage["completion_tokens"] for r in records if r.usage] == [32] * 8
