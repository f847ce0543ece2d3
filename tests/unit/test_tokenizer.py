"""TokenCounter: the simple built-in tokenizer and the transformers wrapper (real Qwen3 files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.tokenizer import (
    HFTokenCounter,
    SimpleTokenCounter,
    TokenCounter,
    TokenizerError,
    load_tokenizer,
)

MESSAGES = [
    {"role": "system", "content": "You are a careful assistant."},
    {"role": "user", "content": "What is the capital of France? Answer in one word."},
]


@given(st.text())
def test_simple_round_trip(text: str) -> None:
    tok = SimpleTokenCounter()
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert "".join(tok.pieces(text)) == text
    assert len(tok.pieces(text)) == len(ids)
    assert all(256 <= i < tok.vocab_size for i in ids)


def test_simple_ids_are_stable_across_instances_and_processes() -> None:
    text = "Hello, world! 123 naïve café"
    ids = SimpleTokenCounter().encode(text)
    assert ids == SimpleTokenCounter().encode(text)
    code = (
        "from pytest_qnext.tokenizer import SimpleTokenCounter;"
        f"print(SimpleTokenCounter().encode({text!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(ids)
    assert SimpleTokenCounter().pieces("Hello, world!") == ["Hello", ",", " world", "!"]


def test_simple_decodes_unknown_ids_deterministically() -> None:
    a, b = SimpleTokenCounter(), SimpleTokenCounter()
    ids = [300, 4000, 123456]
    assert a.decode(ids) == b.decode(ids)
    assert len(a.pieces(a.decode(ids))) == len(ids)  # one synthetic word per id
    with pytest.raises(TokenizerError, match="outside"):
        a.decode([a.vocab_size])


def test_simple_count_chat_is_chatml_like() -> None:
    tok = SimpleTokenCounter()
    content = sum(len(tok.encode(m["content"])) for m in MESSAGES)
    assert tok.count_chat(MESSAGES) == content + 5 * len(MESSAGES) + 3
    parts = [{"role": "user", "content": [{"type": "text", "text": MESSAGES[1]["content"]}]}]
    assert tok.count_chat(parts) == tok.count_chat(MESSAGES[1:])


def test_load_none_gives_simple() -> None:
    assert isinstance(load_tokenizer(None), SimpleTokenCounter)
    assert isinstance(load_tokenizer(None), TokenCounter)


def test_load_bad_path_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(TokenizerError) as info:
        load_tokenizer(str(tmp_path / "nope"))
    assert "\n" not in str(info.value)
    assert "nope" in str(info.value)


@pytest.fixture(scope="module")
def qwen3(qwen3_tokenizer_path: Path) -> HFTokenCounter:
    tok = load_tokenizer(str(qwen3_tokenizer_path))
    assert isinstance(tok, HFTokenCounter)
    return tok


@pytest.fixture(scope="module")
def raw_qwen3(qwen3_tokenizer_path: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(qwen3_tokenizer_path))


def _template_ids(raw: Any, messages: Any, **kwargs: Any) -> list[int]:
    out = raw.apply_chat_template(messages, tokenize=True, add_generation_prompt=True, **kwargs)
    return list(out["input_ids"] if hasattr(out, "keys") else out)


def test_qwen3_known_ids(qwen3: HFTokenCounter) -> None:
    assert qwen3.encode("Hello world") == [9707, 1879]  # figures from shared/data/README.md
    assert qwen3.decode([9707, 1879]) == "Hello world"
    assert qwen3.vocab_size == 151669
    assert isinstance(qwen3, TokenCounter)


def test_qwen3_count_chat_matches_chat_template(qwen3: HFTokenCounter, raw_qwen3: Any) -> None:
    expected = len(_template_ids(raw_qwen3, MESSAGES))
    assert qwen3.count_chat(MESSAGES) == expected
    off = {"enable_thinking": False}
    expected_off = len(_template_ids(raw_qwen3, MESSAGES, **off))
    assert qwen3.count_chat(MESSAGES, off) == expected_off
    assert expected_off > expected  # the empty <think></think> block is added


@pytest.mark.parametrize(
    "text",
    ["Hello world", "Hello wörld 你好 😀 the the.", "def f(x):\n    return x**2  # ok", ""],
)
def test_qwen3_pieces_are_one_per_token(qwen3: HFTokenCounter, text: str) -> None:
    pieces = qwen3.pieces(text)
    assert "".join(pieces) == text
    assert len(pieces) == len(qwen3.encode(text))


def test_transformers_import_is_quiet(qwen3_tokenizer_path: Path) -> None:
    code = (
        "from pytest_qnext.tokenizer import load_tokenizer;"
        f"t = load_tokenizer({str(qwen3_tokenizer_path)!r}); print(len(t.encode('hi')))"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "1"
    assert "PyTorch" not in out.stderr
    assert out.stderr.strip() == ""
