"""Perf prompt sources: random token prompts of exact length, prompt files, custom messages.

`PromptBuilder(settings, api, tokenizer).build(count, start)` -> `PerfRequest`s, prepared before
a measurement window opens (no tokenizer work while requests are timed).

`random` draws token ids uniformly from the tokenizer's ordinary vocabulary (no special or added
tokens). Every prompt starts with a few tokens drawn from a per-run nonce and its own index, so
no two requests (and no two runs, even with the same --qnext-seed) start with the same tokens.
For the completions API the ids are sent as they are; for chat the text is adjusted until the
chat template applied to it (with the request's `chat_template_kwargs`) has exactly the target
length, i.e. what vLLM reports as `usage.prompt_tokens`.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_qnext.perf.options import PerfSettings
from pytest_qnext.tokenizer import (
    HFTokenCounter,
    SimpleTokenCounter,
    TokenCounter,
    TokenizerError,
)

__all__ = ["PerfRequest", "PromptBuilder", "PromptError", "load_perf_tokenizer"]

_SIMPLE_FIRST_ID = 256  # SimpleTokenCounter never produces ids below this
_FIT_TRIES = 12
_PREFIX_TOKENS = 4


class PromptError(Exception):
    """A prompt source cannot produce prompts; the message is one line saying how to fix it."""


@dataclass(frozen=True)
class PerfRequest:
    """One request's prompt (`messages` for chat, `prompt` for completions) and generation
    parameters, and the token counts it should produce. The body is built from these by the
    sender (`StreamSender.payload`, which adds model and stream) before the window opens."""

    index: int
    gen_config: Mapping[str, Any]  # shared by every request of a builder
    expected_prompt_tokens: int | None
    expected_completion_tokens: int | None  # exact count when ignore_eos or min == max
    min_completion_tokens: int = 0
    max_completion_tokens: int | None = None
    messages: list[dict[str, Any]] | None = None
    prompt: str | list[int] | None = None
    conversation: int | None = None  # multi_turn: the conversation and turn (0-based)
    turn: int | None = None


def load_perf_tokenizer(path_or_id: str | None) -> tuple[TokenCounter, Any]:
    """(TokenCounter, underlying transformers tokenizer or None) for --qnext-tokenizer."""
    if not path_or_id:
        return SimpleTokenCounter(), None
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from transformers import AutoTokenizer

    local = Path(path_or_id).expanduser()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if local.exists():
                tok = AutoTokenizer.from_pretrained(str(local))
            else:  # a hub id: only from the local cache, never a download (options/perf.py)
                tok = AutoTokenizer.from_pretrained(path_or_id, local_files_only=True)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise PromptError(
            f"--qnext-tokenizer: could not load {path_or_id!r} ({first}); give a local folder "
            "with tokenizer.json / tokenizer_config.json or a reachable hub id"
        ) from None
    return HFTokenCounter(tok, path_or_id), tok


class PromptBuilder:
    """Builds the requests of a sweep point from the configured source."""

    def __init__(
        self,
        settings: PerfSettings,
        api: str,
        tokenizer: TokenCounter,
        hf_tokenizer: Any = None,
        *,
        nonce: str | None = None,
    ) -> None:
        self.settings = settings
        self.api = api
        self.tokenizer = tokenizer
        self.hf = hf_tokenizer
        self.nonce = nonce or secrets.token_hex(4)  # differs per run on purpose: no cache hits
        extra = dict(settings.extra_args)
        kwargs = extra.get("chat_template_kwargs") or {}
        self.template_kwargs: Mapping[str, Any] = kwargs if isinstance(kwargs, Mapping) else {}
        self._valid: dict[int, bool] = {}
        if hf_tokenizer is not None:
            self._special = set(getattr(hf_tokenizer, "all_special_ids", []) or [])
            self._id_range = (0, int(getattr(hf_tokenizer, "vocab_size", 0) or len(hf_tokenizer)))
        else:
            self._special = set()
            self._id_range = (_SIMPLE_FIRST_ID, min(tokenizer.vocab_size, 1 << 20))
        self._file_items: list[Any] | None = None
        self._shared: list[int] | None = None
        self._cached: dict[str, Any] = {}
        self.gen_config, self._exact = self._limits()
        if settings.dataset == "custom" and api != "chat":
            raise PromptError(
                "--qnext-perf-dataset custom holds chat messages; use it with --qnext-api chat"
            )

    # -- shared -------------------------------------------------------------------------------

    def _limits(self) -> tuple[dict[str, Any], int | None]:
        """(generation parameters of every request, exact output tokens when known)."""
        s = self.settings
        gen = s.gen_config
        exact = s.max_tokens if (s.ignore_eos or s.min_tokens == s.max_tokens) else None
        return gen, exact

    def _finish(
        self,
        index: int,
        expected: int | None,
        *,
        messages: list[dict[str, Any]] | None = None,
        prompt: str | list[int] | None = None,
    ) -> PerfRequest:
        return self.request(index, expected, messages=messages, prompt=prompt)

    def request(
        self,
        index: int,
        expected: int | None,
        *,
        messages: list[dict[str, Any]] | None = None,
        prompt: str | list[int] | None = None,
        gen_config: Mapping[str, Any] | None = None,
        completion: int | None = None,
    ) -> PerfRequest:
        """A request of this builder (its generation parameters unless `gen_config` is
        given; `completion`: the exact output length it asks for)."""
        exact = completion if completion is not None else self._exact
        return PerfRequest(
            index=index,
            gen_config=self.gen_config if gen_config is None else gen_config,
            expected_prompt_tokens=expected,
            expected_completion_tokens=exact,
            min_completion_tokens=completion or self.settings.min_tokens,
            max_completion_tokens=completion or self.settings.max_tokens,
            messages=messages,
            prompt=prompt,
        )

    def cache(self, key: str, load: Any) -> Any:
        """`load()` once per builder (workload files)."""
        if key not in self._cached:
            self._cached[key] = load()
        return self._cached[key]

    def random_requests(self, indexes: range, rng: random.Random) -> list[PerfRequest]:
        """Random prompts of the prompt length, unique from their first token."""
        return self._random_batch(indexes, rng)

    def random_ids(self, rng: random.Random, n: int) -> list[int]:
        return self._random_ids(rng, n)

    def unique_ids(self, index: int, rng: random.Random, n: int) -> list[int]:
        """`n` ids that start with request `index`'s own tokens (no prefix-cache hit)."""
        return (self._prefix_ids(index) + self._random_ids(rng, n))[:n] if n > 0 else []

    def chat_count(self, messages: list[dict[str, Any]]) -> int:
        try:
            return self.tokenizer.count_chat(messages, self.template_kwargs)
        except TokenizerError as exc:
            raise PromptError(f"--qnext-tokenizer: {exc}") from None

    def build(self, count: int, start: int = 0, seed_salt: int = 0) -> list[Any]:
        """`count` jobs with indexes start..start+count-1 (deterministic given the seed):
        requests, or conversations (multi_turn), or trace requests (see `trace_build`)."""
        rng = random.Random(f"{self.settings.seed}:{seed_salt}:{start}")
        kind = self.settings.dataset
        if kind == "random":
            return self._random_batch(range(start, start + count), rng)
        if kind == "multi_turn":
            from pytest_qnext.perf.conversations import build_conversations

            return build_conversations(self, range(start, start + count), rng)
        if kind == "trace":
            from pytest_qnext.perf.conversations import build_trace

            return build_trace(self, count, start, rng)[0]
        return [self._from_file(start + i) for i in range(count)]

    # -- random -------------------------------------------------------------------------------

    def _clean(self, ids: list[int]) -> list[int]:
        """The ids among `ids` that decode alone to whole characters (checked once per id)."""
        valid = self._valid
        unknown = [i for i in dict.fromkeys(ids) if i not in valid]
        if unknown and self.hf is not None:
            backend = getattr(self.hf, "backend_tokenizer", None)
            singles = [[i] for i in unknown]
            texts = (
                backend.decode_batch(singles, skip_special_tokens=False)
                if backend is not None
                else self.hf.batch_decode(singles)
            )
            for i, text in zip(unknown, texts, strict=False):
                valid[i] = bool(text) and "\ufffd" not in text and i not in self._special
        elif unknown:
            valid.update(dict.fromkeys(unknown, True))
        return [i for i in ids if valid[i]]

    def _random_ids(self, rng: random.Random, n: int) -> list[int]:
        """`n` ids drawn uniformly from the ordinary (round-tripping) vocabulary."""
        out: list[int] = []
        low, high = self._id_range
        while len(out) < n:
            need = n - len(out)
            out += self._clean([rng.randrange(low, high) for _ in range(need + need // 8 + 1)])
        return out[:n] if n > 0 else []

    def _prefix_ids(self, index: int) -> list[int]:
        """A few tokens drawn from (run nonce, index): unique from the first token on."""
        return self._random_ids(random.Random(f"{self.nonce}:{index}"), _PREFIX_TOKENS)

    def _prefix(self, index: int) -> str:
        return self.tokenizer.decode(self._prefix_ids(index)) + "\n"

    def shared_prefix(self) -> list[int]:
        """The ids every random prompt starts with (--qnext-prefix-length; drawn once per run,
        from the run's nonce): N ids that encode back to exactly N, the last one a newline, so
        the unique part after it starts a new token."""
        if self._shared is None:
            n = self.settings.prefix_length
            self._shared = []
            if n > 0:
                rng = random.Random(f"{self.nonce}:shared")
                newline = self.tokenizer.encode("\n")
                body = self._random_ids(rng, max(0, n - len(newline)))
                text, _ = self._fit_text(self.tokenizer.decode(body).strip(), n - len(newline), rng)
                self._shared = (self.tokenizer.encode(text) + newline)[:n]
        return self._shared

    def _fit_text(self, text: str, target: int, rng: random.Random) -> tuple[str, int]:
        """`text` adjusted until it encodes to `target` tokens alone (or tries run out)."""
        count = len(self.tokenizer.encode(text))
        for _ in range(_FIT_TRIES):
            if count == target or target <= 0:
                break
            ids = self.tokenizer.encode(text)
            ids = ids[:target] if count > target else ids + self._random_ids(rng, target - count)
            text = self.tokenizer.decode(ids).strip()
            count = len(self.tokenizer.encode(text))
        return text, count

    def _random_batch(self, indexes: range, rng: random.Random) -> list[PerfRequest]:
        s = self.settings
        targets = [rng.randint(s.min_prompt_length, s.max_prompt_length) for _ in indexes]
        shared = self.shared_prefix()
        if shared:
            targets = [t + len(shared) for t in targets]
        prefixes = [shared + self._prefix_ids(i) for i in indexes]
        if self.api == "completions":
            return [
                self._finish(i, len(ids), prompt=ids)
                for i, t, p in zip(indexes, targets, prefixes, strict=False)
                for ids in [(p + self._random_ids(rng, t - len(p)))[:t]]
            ]
        overhead = self._chat_count("")
        starts = []
        for t, p in zip(targets, prefixes, strict=False):
            want = max(1, t - overhead)
            starts.append((p + self._random_ids(rng, want - len(p)))[:want])
        texts = self._decode_many(starts)
        fast = self._fast_overhead(texts[0]) if texts else None
        if fast is not None:
            texts, counts = self._fit_many(texts, targets, rng, fast)
        else:
            fitted = [
                self._fit_chat(t, target, rng, None)
                for t, target in zip(texts, targets, strict=False)
            ]
            texts, counts = [f[0] for f in fitted], [f[1] for f in fitted]
        return [
            self._finish(i, c, messages=[{"role": "user", "content": t}])
            for i, t, c in zip(indexes, texts, counts, strict=False)
        ]

    def _fit_many(
        self, texts: list[str], targets: list[int], rng: random.Random, overhead: int
    ) -> tuple[list[str], list[int]]:
        """`_fit_chat` for a batch with a fixed template overhead (batched tokenizer calls)."""
        texts = list(texts)
        encoded = self._encode_many(texts)
        counts = [overhead + len(e) for e in encoded]
        for _ in range(_FIT_TRIES):
            off = [k for k, (c, t) in enumerate(zip(counts, targets, strict=False)) if c != t]
            if not off:
                break
            changed: list[list[int]] = []
            for k in off:
                ids, diff = encoded[k], counts[k] - targets[k]
                changed.append(
                    ids[: max(1, len(ids) - diff)]
                    if diff > 0
                    else ids + self._random_ids(rng, -diff)
                )
            new_texts = self._decode_many(changed)
            for k, text, enc in zip(off, new_texts, self._encode_many(new_texts), strict=False):
                texts[k], encoded[k], counts[k] = text, enc, overhead + len(enc)
        # Content that starts or ends with whitespace can merge with the template's own tokens
        # (e.g. "user\n" + "   ..."), so "overhead + content tokens" is not exact there: fit
        # those few prompts against the full chat template instead.
        for k, text in enumerate(texts):
            if text[:1].isspace() or text[-1:].isspace():
                texts[k], counts[k] = self._fit_chat(text, targets[k], rng, None)
        return texts, counts

    def _fast_overhead(self, text: str) -> int | None:
        """Template tokens around the content, when content tokens simply add to them."""
        overhead = self._chat_count(text) - len(self.tokenizer.encode(text))
        return overhead if overhead == self._chat_count("") else None

    def _decode_many(self, ids: list[list[int]]) -> list[str]:
        if self.hf is not None:
            return [str(t) for t in self.hf.batch_decode(ids)]
        return [self.tokenizer.decode(i) for i in ids]

    def _encode_many(self, texts: list[str]) -> list[list[int]]:
        if self.hf is not None:
            return [list(e) for e in self.hf(texts, add_special_tokens=False)["input_ids"]]
        return [self.tokenizer.encode(t) for t in texts]

    def _chat_count(self, text: str) -> int:
        try:
            return self.tokenizer.count_chat(
                [{"role": "user", "content": text}], self.template_kwargs
            )
        except TokenizerError as exc:
            raise PromptError(f"--qnext-tokenizer: {exc}") from None

    def _count(self, text: str, overhead: int | None) -> int:
        if overhead is None:
            return self._chat_count(text)
        return overhead + len(self.tokenizer.encode(text))

    def _fit_chat(
        self, text: str, target: int, rng: random.Random, overhead: int | None
    ) -> tuple[str, int]:
        """Adjust `text` until its chat-templated length is `target` (or tries run out).

        With `overhead` the count is template overhead + content tokens (true for ChatML
        templates, whose special tokens cut tokenization at the content's edges; checked on
        the first prompt of each batch); without it the full template is applied each time.
        """
        count = self._count(text, overhead)
        for _ in range(_FIT_TRIES):
            if count == target:
                break
            ids = self.tokenizer.encode(text)
            if count > target:
                ids = ids[: max(1, len(ids) - (count - target))]
            else:
                ids = ids + self._random_ids(rng, target - count)
            text = self.tokenizer.decode(ids)
            count = self._count(text, overhead)
        return text, count

    # -- files --------------------------------------------------------------------------------

    def _items(self) -> list[Any]:
        if self._file_items is None:
            self._file_items = read_prompt_file(self.settings.dataset, self.settings.dataset_path)
        return self._file_items

    def _from_file(self, index: int) -> PerfRequest:
        items = self._items()
        item = items[index % len(items)]
        if self.settings.dataset == "custom":
            messages = item
        else:
            # a unique prefix keeps repeated prompts from hitting the server's prefix cache
            text = self._prefix(index) + str(item)
            if self.api == "completions":
                count = len(self.tokenizer.encode(text))
                return self._finish(index, count, prompt=text)
            messages = [{"role": "user", "content": text}]
        try:
            count = self.tokenizer.count_chat(messages, self.template_kwargs)
        except TokenizerError as exc:
            raise PromptError(f"--qnext-tokenizer: {exc}") from None
        return self._finish(index, count, messages=messages)


def read_prompt_file(kind: str, path: Path | None) -> list[Any]:
    """Prompts (str) for openqa/line_by_line, message lists for custom; PromptError if none."""
    if path is None:
        raise PromptError(f"--qnext-perf-dataset {kind} needs --qnext-perf-dataset-path FILE")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"--qnext-perf-dataset-path: cannot read {path} ({exc})") from None
    items: list[Any] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if kind == "line_by_line" and not line.lstrip().startswith("{"):
            items.append(line)
            continue
        try:
            row = json.loads(line)
        except ValueError:
            if kind == "line_by_line":
                items.append(line)
                continue
            raise PromptError(
                f"{path}:{number}: not a JSON object; one JSON object per line"
            ) from None
        if kind == "custom":
            messages = row.get("messages") if isinstance(row, dict) else None
            if (
                not isinstance(messages, list)
                or not messages
                or not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages)
            ):
                raise PromptError(
                    f'{path}:{number}: needs "messages": a non-empty list of '
                    '{"role", "content"} objects'
                )
            items.append(messages)
            continue
        text = None
        if isinstance(row, dict):
            text = next(
                (row[k] for k in ("question", "prompt", "text") if isinstance(row.get(k), str)),
                None,
            )
        elif isinstance(row, str):
            text = row
        if text is None:
            raise PromptError(
                f'{path}:{number}: no prompt; give a "question", "prompt" or "text" string'
            )
        items.append(text)
    if not items:
        raise PromptError(f"--qnext-perf-dataset-path: {path} holds no prompts")
    return items
