"""Prompt sources against the real Qwen3 tokenizer from ../shared/data."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.perf.options import PerfSettings
from pytest_qnext.perf.prompts import PerfRequest, PromptBuilder, PromptError, load_perf_tokenizer
from pytest_qnext.perf.sender import StreamSender
from pytest_qnext.tokenizer import SimpleTokenCounter


@pytest.fixture(scope="module")
def qwen3(qwen3_tokenizer_path: Path) -> tuple[Any, Any]:
    return load_perf_tokenizer(str(qwen3_tokenizer_path))


def _template_length(hf: Any, messages: list[dict[str, Any]], **kwargs: Any) -> int:
    """Independent count: the tokenizer's own chat template, as vLLM applies it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ids = hf.apply_chat_template(messages, tokenize=True, add_generation_prompt=True, **kwargs)
    if hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return len(ids)


def test_random_chat_prompts_hit_the_target_with_the_template(qwen3: tuple[Any, Any]) -> None:
    counter, hf = qwen3
    settings = PerfSettings(min_prompt_length=200, max_prompt_length=260, seed=3)
    requests = PromptBuilder(settings, "chat", counter, hf).build(12)
    lengths = [r.expected_prompt_tokens for r in requests]
    assert all(200 <= n <= 260 for n in lengths)  # type: ignore[operator]
    assert len(set(lengths)) > 1  # drawn, not fixed
    for r in requests:
        assert _template_length(hf, r.messages) == r.expected_prompt_tokens


def test_content_with_edge_whitespace_is_fitted_against_the_full_template(
    qwen3: tuple[Any, Any],
) -> None:
    """The batched fast path counts template overhead + content tokens; content that starts or
    ends with whitespace merges with the template's own tokens ("user\\n" + "   ..."), where that
    sum is off by one. Such prompts must still land on the target exactly."""
    import random

    counter, hf = qwen3
    builder = PromptBuilder(
        PerfSettings(min_prompt_length=64, max_prompt_length=64), "chat", counter, hf
    )
    overhead = builder._fast_overhead("hello world")
    assert overhead is not None
    texts = ["            \n leading spaces " + "word " * 50, "\n\n" + "word " * 50]
    fitted, counts = builder._fit_many(texts, [64, 64], random.Random(0), overhead)
    for text, count in zip(fitted, counts, strict=True):
        assert count == 64
        assert _template_length(hf, [{"role": "user", "content": text}]) == 64


def test_template_kwargs_are_accounted_for(qwen3: tuple[Any, Any]) -> None:
    counter, hf = qwen3
    kwargs = {"enable_thinking": False}
    settings = PerfSettings(
        min_prompt_length=128, max_prompt_length=128, extra_args={"chat_template_kwargs": kwargs}
    )
    requests = PromptBuilder(settings, "chat", counter, hf).build(4)
    for r in requests:
        assert r.gen_config["chat_template_kwargs"] == kwargs
        assert _template_length(hf, r.messages, **kwargs) == 128


def test_completions_send_exact_token_ids_without_special_tokens(qwen3: tuple[Any, Any]) -> None:
    counter, hf = qwen3
    settings = PerfSettings(min_prompt_length=300, max_prompt_length=300)
    requests = PromptBuilder(settings, "completions", counter, hf).build(5)
    special = set(hf.all_special_ids)
    for r in requests:
        ids = r.prompt
        assert len(ids) == 300 == r.expected_prompt_tokens
        assert not special.intersection(ids)
        assert all(0 <= i < hf.vocab_size for i in ids)


def test_prefixes_are_unique_within_and_across_runs(qwen3: tuple[Any, Any]) -> None:
    counter, hf = qwen3
    settings = PerfSettings(min_prompt_length=64, max_prompt_length=64, seed=0)
    first = PromptBuilder(settings, "completions", counter, hf).build(20)
    second = PromptBuilder(settings, "completions", counter, hf).build(20)  # same seed
    heads = [tuple(r.prompt[:8]) for r in first + second]
    assert len(set(heads)) == len(heads)  # no two requests share their first 8 tokens


def test_output_limits_and_extra_args_are_in_the_body() -> None:
    settings = PerfSettings(
        min_prompt_length=20,
        max_prompt_length=20,
        min_tokens=256,
        max_tokens=256,
        extra_args={"ignore_eos": True, "temperature": 0},
    )
    (r,) = PromptBuilder(settings, "chat", SimpleTokenCounter()).build(1)
    body = sent_body(r)
    assert body["max_tokens"] == body["min_tokens"] == 256
    assert body["ignore_eos"] is True and body["temperature"] == 0
    assert body["messages"] == r.messages and body["model"] == "m"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert r.expected_completion_tokens == 256
    loose = PerfSettings(min_prompt_length=20, max_prompt_length=20, min_tokens=0, max_tokens=64)
    (r,) = PromptBuilder(loose, "chat", SimpleTokenCounter()).build(1)
    assert "min_tokens" not in sent_body(r) and r.expected_completion_tokens is None


def sent_body(request: PerfRequest) -> dict[str, Any]:
    """The body the perf sender sends for `request` (as the server decodes it)."""
    sender = StreamSender(["http://127.0.0.1:9/v1"], model="m", api="chat")
    payload = sender.payload(
        messages=request.messages, prompt=request.prompt, gen_config=request.gen_config
    )
    body: dict[str, Any] = json.loads(payload)
    return body


def test_file_sources(tmp_path: Path, qwen3: tuple[Any, Any]) -> None:
    counter, hf = qwen3
    lines = tmp_path / "prompts.txt"
    lines.write_text("What is 2+2?\n\nName a colour.\n", encoding="utf-8")
    settings = PerfSettings(dataset="line_by_line", dataset_path=lines)
    requests = PromptBuilder(settings, "chat", counter, hf).build(3)
    texts = [r.messages[0]["content"] for r in requests]
    assert texts[0].endswith("What is 2+2?") and texts[2].endswith("What is 2+2?")
    assert texts[0] != texts[2]  # unique prefix even when prompts repeat
    for r in requests:
        assert _template_length(hf, r.messages) == r.expected_prompt_tokens

    openqa = tmp_path / "openqa.jsonl"
    openqa.write_text(json.dumps({"question": "Why is the sky blue?"}) + "\n", encoding="utf-8")
    settings = PerfSettings(dataset="openqa", dataset_path=openqa)
    (r,) = PromptBuilder(settings, "completions", counter, hf).build(1)
    assert r.prompt.endswith("Why is the sky blue?")

    custom = tmp_path / "custom.jsonl"
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    custom.write_text(json.dumps({"messages": messages}) + "\n", encoding="utf-8")
    settings = PerfSettings(dataset="custom", dataset_path=custom)
    (r,) = PromptBuilder(settings, "chat", counter, hf).build(1)
    assert r.messages == messages
    assert r.expected_prompt_tokens == _template_length(hf, messages)


@pytest.mark.parametrize(
    ("kind", "content", "api", "match"),
    [
        ("custom", '{"messages": "hi"}\n', "chat", "non-empty list"),
        ("openqa", '{"answer": 1}\n', "chat", "no prompt"),
        ("openqa", "not json\n", "chat", "not a JSON object"),
        ("line_by_line", "\n\n", "chat", "holds no prompts"),
        ("custom", '{"messages": [{"role": "user", "content": "x"}]}\n', "completions", "chat"),
    ],
)
def test_bad_files_give_one_line(
    tmp_path: Path, kind: str, content: str, api: str, match: str
) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(content, encoding="utf-8")
    settings = PerfSettings(dataset=kind, dataset_path=path)
    with pytest.raises(PromptError, match=match) as info:
        PromptBuilder(settings, api, SimpleTokenCounter()).build(1)
    assert "\n" not in str(info.value)


def test_unloadable_tokenizer_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="--qnext-tokenizer") as info:
        load_perf_tokenizer(str(tmp_path / "missing-tokenizer"))
    assert "\n" not in str(info.value)
