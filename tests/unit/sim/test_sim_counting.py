"""Prompt token counting off the event loop (counting.py) and the bounded echo.

The numbers these tests compare against come from the tokenizer's own chat template
(`apply_chat_template(tokenize=True)`), i.e. what vLLM reports for the same prompt.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_qnext.sim import SimServer
from pytest_qnext.sim.config import SimConfig
from pytest_qnext.sim.counting import PromptTokens, TokenWork, prompt_bound
from pytest_qnext.sim.requests import ECHO_CHARS, BadRequest, echo_cut, parse_request
from pytest_qnext.tokenizer import HFTokenCounter, SimpleTokenCounter, load_tokenizer

FIXTURE_CHECK = HealthCheck.function_scoped_fixture
TEXTS = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=0, max_size=300)


@pytest.fixture(scope="module")
def qwen3(qwen3_tokenizer_path: Path) -> HFTokenCounter:
    tok = load_tokenizer(str(qwen3_tokenizer_path))
    assert isinstance(tok, HFTokenCounter)
    return tok


def _count(work: TokenWork, messages: list[dict[str, Any]], **kwargs: Any) -> PromptTokens:
    async def run() -> PromptTokens:
        tokens = work.chat(messages, kwargs)
        await tokens.get()
        return tokens

    return asyncio.run(run())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(system=TEXTS, user=TEXTS, thinking=st.sampled_from([None, True, False]))
def test_offloaded_chat_count_equals_the_template_count(
    qwen3: HFTokenCounter, system: str, user: str, thinking: bool | None
) -> None:
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    kwargs = {} if thinking is None else {"enable_thinking": thinking}
    work = TokenWork(qwen3)
    assert work.offload
    try:
        tokens = _count(work, messages, **kwargs)
    finally:
        work.close()
    exact = qwen3.count_chat(messages, kwargs)
    assert tokens.known == exact
    assert tokens.bound >= exact  # the bound that lets the context check skip the wait


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_fast_pieces_equal_the_tokenizer_pieces(qwen3: HFTokenCounter, text: str) -> None:
    work = TokenWork(qwen3)
    assert work.pieces(text) == qwen3.pieces(text)
    assert "".join(work.pieces(text)) == text


@given(text=TEXTS)
def test_prompt_bound_is_an_upper_bound_for_the_simple_tokenizer(text: str) -> None:
    assert prompt_bound(text) >= len(SimpleTokenCounter().encode(text))


def test_completion_text_count_is_offloaded_and_exact(qwen3: HFTokenCounter) -> None:
    work = TokenWork(qwen3)

    async def run() -> int:
        tokens = work.text("The quick brown fox <|im_end|> jumps")
        assert tokens.known is None  # nothing counted before the job is started
        return await tokens.get()

    try:
        assert asyncio.run(run()) == len(qwen3.encode("The quick brown fox <|im_end|> jumps"))
    finally:
        work.close()


def test_simple_tokenizer_counts_inline() -> None:
    work = TokenWork(SimpleTokenCounter())
    assert not work.offload
    tokens = work.chat([{"role": "user", "content": "two words"}], {})
    assert tokens.known == SimpleTokenCounter().count_chat(
        [{"role": "user", "content": "two words"}]
    )


def test_echo_cut_is_bounded_and_prefers_a_space() -> None:
    short = "a short prompt"
    assert echo_cut(short) == short
    long = ("word " * 200).strip()
    cut = echo_cut(long)
    assert len(cut) <= ECHO_CHARS and long.startswith(cut) and not cut.endswith(" ")
    assert len(echo_cut("x" * 1000)) == ECHO_CHARS


def test_parse_request_without_work_counts_inline(qwen3: HFTokenCounter) -> None:
    messages = [{"role": "user", "content": "hello"}]
    body = {"messages": messages, "max_tokens": 4}
    req = parse_request(body, chat=True, config=SimConfig(), tokenizer=qwen3)
    assert req.prompt_tokens == qwen3.count_chat(messages)
    assert not req.count_pending
    with pytest.raises(BadRequest, match="maximum context length"):
        parse_request(body, chat=True, config=SimConfig(max_model_len=5), tokenizer=qwen3)


# -- through the server ---------------------------------------------------------------------


def _chat(server: SimServer, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.url + "/chat/completions", json=body, timeout=60)


def test_context_check_uses_the_exact_count_when_the_bound_is_not_enough(
    sim_factory: Callable[..., SimServer], qwen3: HFTokenCounter, qwen3_tokenizer_path: Path
) -> None:
    messages = [{"role": "user", "content": "Ünïcødé 文字 " * 20}]
    exact = qwen3.count_chat(messages)
    assert prompt_bound("Ünïcødé 文字 " * 20) > exact + 8  # the bound alone would refuse
    server = sim_factory(tokenizer=str(qwen3_tokenizer_path), max_model_len=exact + 8)
    fits = _chat(server, {"messages": messages, "max_tokens": 8})
    assert fits.status_code == 200
    assert fits.json()["usage"]["prompt_tokens"] == exact
    too_long = _chat(server, {"messages": messages, "max_tokens": 9})
    assert too_long.status_code == 400
    message = too_long.json()["error"]["message"]
    assert f"{exact} in the messages" in message and "\n" not in message
    # without max_tokens the limit is the context left, which needs the exact count too
    rest = _chat(server, {"messages": messages, "ignore_eos": True})
    assert rest.json()["usage"]["completion_tokens"] == 8


def test_template_error_is_still_a_400_before_the_answer(
    sim_factory: Callable[..., SimServer], qwen3_tokenizer_path: Path
) -> None:
    server = sim_factory(tokenizer=str(qwen3_tokenizer_path))
    # template kwargs that clash with the simulator's own call make the template fail
    r = _chat(
        server,
        {
            "messages": [{"role": "user", "content": "hi"}],
            "chat_template_kwargs": {"add_generation_prompt": False},
        },
    )
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert "chat template" in message and "\n" not in message
    assert server.stats()["rejected"] == 1


def test_long_prompt_echo_is_a_bounded_prefix_then_filler(
    sim_factory: Callable[..., SimServer], qwen3: HFTokenCounter, qwen3_tokenizer_path: Path
) -> None:
    server = sim_factory(tokenizer=str(qwen3_tokenizer_path))
    prompt = "The history of the printing press begins in the fifteenth century. " * 30
    messages = [{"role": "user", "content": prompt}]
    body = {
        "messages": messages,
        "max_tokens": 64,
        "ignore_eos": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with httpx.stream("POST", server.url + "/chat/completions", json=body, timeout=60) as resp:
        lines = [line for line in resp.iter_lines() if line.startswith("data: {")]
    events = [json.loads(line[6:]) for line in lines]
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    usage = events[-1]["usage"]
    assert usage["completion_tokens"] == 64
    assert usage["prompt_tokens"] == qwen3.count_chat(messages)
    cut = echo_cut(prompt)
    assert text.startswith(cut) and len(cut) <= ECHO_CHARS
    assert set(text[len(cut) :].split()) <= {"the", "and", "a", "ok"}  # then only filler
    assert len(qwen3.encode(text)) == 64  # a client re-count agrees with usage
