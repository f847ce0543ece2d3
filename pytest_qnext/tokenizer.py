"""Token counting for the simulator and the perf tools.

`load_tokenizer(path)` wraps a real Hugging Face tokenizer (`transformers.AutoTokenizer`), so
prompt token counts match what vLLM reports for the same model; `load_tokenizer(None)` gives a
small deterministic word-piece tokenizer that needs nothing and is fast.

Both implement `TokenCounter`:

- `encode(text)` -> token ids (no special tokens), `decode(ids)` -> text;
- `pieces(text)` -> the text cut into one string per token (concatenation == text), which the
  simulator streams one chunk at a time;
- `count_chat(messages)` -> prompt tokens after the chat template with the generation prompt,
  i.e. the `usage.prompt_tokens` vLLM reports for a chat request;
- `vocab_size`.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "HFTokenCounter",
    "SimpleTokenCounter",
    "TokenCounter",
    "TokenizerError",
    "load_tokenizer",
    "message_text",
]


class TokenizerError(Exception):
    """A tokenizer could not be loaded or used; the message is one line saying what to do."""


@runtime_checkable
class TokenCounter(Protocol):
    """What the simulator and perf code need from a tokenizer."""

    @property
    def vocab_size(self) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def pieces(self, text: str) -> list[str]: ...

    def count_chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> int: ...


def message_text(content: Any) -> str:
    """The text of an OpenAI message `content` (a string or a list of content parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts: list[str] = []
        for part in content:
            if isinstance(part, Mapping) and part.get("type", "text") == "text":
                parts.append(str(part.get("text", "")))
            elif isinstance(part, str):
                parts.append(part)
        return "".join(parts)
    return str(content)


# GPT-2 style pre-tokenisation: a word or a punctuation run keeps one leading space.
_PIECE_RE = re.compile(r" ?[^\W_]+| ?[^\s\w]+| ?_+|\s+(?!\S)|\s+")
_SIMPLE_VOCAB = 1 << 24
_SIMPLE_BASE = 256  # ids below this are reserved (never produced by encode)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class SimpleTokenCounter:
    """A deterministic, dependency-free word-piece tokenizer.

    A piece is a word or punctuation run with its leading space (like byte-level BPE
    pre-tokenisation); its id is a stable hash, the same in every process. `decode` inverts
    `encode` exactly for ids this instance has produced; any other id in range decodes to a
    made-up lower-case word (so random-id prompts still decode deterministically).
    Chat templates are modelled on ChatML: 5 tokens per message plus 3 for the generation
    prompt.
    """

    per_message_tokens = 5  # <|im_start|> role \n ... <|im_end|> \n
    generation_prompt_tokens = 3  # <|im_start|> assistant \n

    def __init__(self) -> None:
        self._by_id: dict[int, str] = {}

    @property
    def vocab_size(self) -> int:
        return _SIMPLE_VOCAB

    def pieces(self, text: str) -> list[str]:
        return _PIECE_RE.findall(text)

    def _id(self, piece: str) -> int:
        digest = hashlib.blake2b(piece.encode("utf-8"), digest_size=8).digest()
        return _SIMPLE_BASE + int.from_bytes(digest, "big") % (_SIMPLE_VOCAB - _SIMPLE_BASE)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in self.pieces(text):
            tid = self._id(piece)
            self._by_id.setdefault(tid, piece)
            ids.append(tid)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        out: list[str] = []
        for tid in ids:
            if not 0 <= tid < _SIMPLE_VOCAB:
                raise TokenizerError(
                    f"token id {tid} is outside the simple tokenizer's range 0..{_SIMPLE_VOCAB - 1}"
                )
            piece = self._by_id.get(tid)
            if piece is None:
                piece = " " + _synthetic_word(tid)
            out.append(piece)
        return "".join(out)

    def count_chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> int:
        total = self.generation_prompt_tokens
        for message in messages:
            total += self.per_message_tokens + len(
                self.pieces(message_text(message.get("content")))
            )
        return total


def _synthetic_word(tid: int) -> str:
    letters = []
    n = tid
    for _ in range(3):
        n, r = divmod(n, 26)
        letters.append(_LETTERS[r])
    return "".join(letters)


class HFTokenCounter:
    """A `transformers` tokenizer behind the `TokenCounter` protocol."""

    def __init__(self, tokenizer: Any, name: str) -> None:
        self._tok = tokenizer
        self.name = name

    @property
    def hf(self) -> Any:
        """The wrapped `transformers` tokenizer."""
        return self._tok

    @property
    def vocab_size(self) -> int:
        return len(self._tok)

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        return str(self._tok.decode(list(ids), skip_special_tokens=False))

    def pieces(self, text: str) -> list[str]:
        """One string per token; a character split over several tokens goes with the first."""
        if not text:
            return []
        try:
            enc = self._tok(text, add_special_tokens=False, return_offsets_mapping=True)
            offsets = enc["offset_mapping"]
        except (NotImplementedError, ValueError, TypeError):  # slow tokenizer: no offsets
            return [self._tok.decode([tid]) for tid in self.encode(text)]
        out: list[str] = []
        pos = 0
        for _start, end in offsets:
            end = max(pos, min(int(end), len(text)))
            out.append(text[pos:end])
            pos = end
        if out and pos < len(text):
            out[-1] += text[pos:]
        return out

    def count_chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> int:
        plain = [{**dict(m), "content": message_text(m.get("content"))} for m in messages]
        try:
            result = self._tok.apply_chat_template(
                plain,
                tokenize=True,
                add_generation_prompt=True,
                **dict(chat_template_kwargs or {}),
            )
        except Exception as exc:  # jinja errors, missing template, ...
            raise TokenizerError(
                f"chat template of tokenizer {self.name!r} failed: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            ) from exc
        if isinstance(result, Mapping) or hasattr(result, "keys"):
            result = result["input_ids"]
        return len(result)


def _import_auto_tokenizer() -> Any:
    """Import transformers lazily, without its 'PyTorch was not found' advice."""
    previous = os.environ.get("TRANSFORMERS_NO_ADVISORY_WARNINGS")
    os.environ["TRANSFORMERS_NO_ADVISORY_WARNINGS"] = "1"
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*PyTorch.*")
            from transformers import AutoTokenizer
    finally:
        if previous is None:
            os.environ.pop("TRANSFORMERS_NO_ADVISORY_WARNINGS", None)
        else:
            os.environ["TRANSFORMERS_NO_ADVISORY_WARNINGS"] = previous
    return AutoTokenizer


def load_tokenizer(path_or_id: str | os.PathLike[str] | None) -> TokenCounter:
    """A real tokenizer from a local folder or hub id, or the simple one for None/""."""
    if path_or_id is None or str(path_or_id) in ("", "simple"):
        return SimpleTokenCounter()
    name = str(path_or_id)
    auto = _import_auto_tokenizer()
    local = Path(name).expanduser()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tok = auto.from_pretrained(str(local) if local.exists() else name)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TokenizerError(
            f"could not load tokenizer {name!r} ({first}); pass a local folder holding "
            "tokenizer.json / tokenizer_config.json, or omit it to use the simple tokenizer"
        ) from exc
    return HFTokenCounter(tok, name)
