"""Prompt token counts off the simulator's event loop.

With the real Qwen3 tokenizer, counting a 1024-token chat prompt costs ~5-9 ms of CPU, nearly
all of it in the Rust encoder. On the event loop, a burst of 32 requests would hold every
stream (and every first token) back by up to ~0.3 s. The count is only needed for the usage
chunk at the end of a stream, for the prefill term of the first token's deadline and for the
context-length check, so:

- the chat template is rendered on the loop (~0.2 ms; a template error is still a 400 before
  any byte of the answer); the encode runs in one worker thread (the fast tokenizer's batch
  encode releases the GIL) at a raised nice value, and a stream starts it only once its first
  token is out (`PromptTokens.start()`), so a burst of arrivals never competes with its own
  first tokens for the CPU;
- the context-length check uses a cheap upper bound (`prompt_bound`: UTF-8 bytes of the
  rendered prompt) and awaits the exact count only when that bound does not already prove
  that the request fits;
- `PromptTokens.get()` is awaited where the exact number is needed (see app.py).

The simple built-in tokenizer and tokenizers of unknown type are counted inline, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pytest_qnext.tokenizer import HFTokenCounter, TokenCounter, TokenizerError, message_text

__all__ = ["COUNT_THREAD_NICE", "PromptTokens", "TokenWork", "prompt_bound"]

# Nice value of the counting thread (Linux): its results are needed only at a stream's end.
COUNT_THREAD_NICE = 5
_BOUND_SLACK = 8


def prompt_bound(text: str) -> int:
    """An upper bound of the token count of `text` (a rendered chat prompt or a completions
    prompt) that costs no tokenisation: byte-level BPE makes at most one token per UTF-8 byte
    (a special token's text is longer than its one token); the slack covers tokenizers that
    add a prefix token."""
    return len(text.encode("utf-8")) + _BOUND_SLACK


def _lower_priority() -> None:
    """Thread initializer: raise this thread's nice value (Linux; a no-op elsewhere)."""
    setpriority = getattr(os, "setpriority", None)
    if setpriority is None:
        return
    with contextlib.suppress(OSError):
        setpriority(os.PRIO_PROCESS, threading.get_native_id(), COUNT_THREAD_NICE)


class PromptTokens:
    """A prompt's token count: known now, or computed by a job in a worker (`start()`, then
    await `get()`; `get()` starts the job if nobody did)."""

    def __init__(
        self,
        bound: int,
        exact: int | None = None,
        job: Callable[[], int | list[int]] | None = None,
        pool: Callable[[], ThreadPoolExecutor] | None = None,
        ids: Sequence[int] | None = None,
    ) -> None:
        if exact is None and (job is None or pool is None):
            raise ValueError("PromptTokens needs an exact count or a job and its pool")
        self.bound = exact if exact is not None else bound
        self._exact = exact
        self._job = job
        self._pool = pool
        self._future: asyncio.Future[int] | None = None
        # the prompt's token ids, once counted (the prefix cache hashes them: prefix.py)
        self.ids: Sequence[int] | None = ids

    def _run_job(self) -> int:
        assert self._job is not None
        result: Any = self._job()
        if isinstance(result, list):
            self.ids = result
            return len(result)
        return int(result)

    def start(self) -> None:
        """Submit the counting job (once; needs the running loop)."""
        if self._exact is None and self._future is None:
            assert self._job is not None and self._pool is not None
            loop = asyncio.get_running_loop()
            self._future = loop.run_in_executor(self._pool(), self._run_job)

    @property
    def known(self) -> int | None:
        """The exact count if it is known already (never waits)."""
        future = self._future
        if (
            self._exact is None
            and future is not None
            and future.done()
            and not future.cancelled()
            and future.exception() is None
        ):
            self._exact = future.result()
        return self._exact

    async def get(self) -> int:
        """The exact count (TokenizerError if counting failed)."""
        if self._exact is None:
            self.start()
            assert self._future is not None
            self._exact = await self._future
        return self._exact

    def discard(self) -> None:
        """Drop a count that will not be awaited (no 'exception never retrieved' logs)."""
        future = self._future
        self._job = None
        if future is None:
            return
        if not future.done():
            future.cancel()
        elif not future.cancelled():
            future.exception()


class TokenWork:
    """Prompt token counting for one simulator: inline, or encode in a worker thread."""

    def __init__(self, tokenizer: TokenCounter, *, offload: bool = True) -> None:
        self.tokenizer = tokenizer
        raw = tokenizer.hf if isinstance(tokenizer, HFTokenCounter) else None
        raw = raw if offload else None
        # offload only where the template can be rendered apart from the encode
        self._raw: Any = raw if callable(getattr(raw, "apply_chat_template", None)) else None
        backend = getattr(self._raw, "backend_tokenizer", None)
        self._backend: Any = backend if hasattr(backend, "encode_batch") else None
        self._pool: ThreadPoolExecutor | None = None

    @property
    def offload(self) -> bool:
        return self._raw is not None

    def warm_up(self) -> None:
        """Do once, before serving, what the first request would otherwise pay for on the event
        loop: compiling the chat template (measured 40-75 ms for Qwen3's: the first request's
        first token went out 15-25 ms late) and the first encode; the counting thread starts."""
        if self._raw is None:
            return
        with contextlib.suppress(TokenizerError):  # a broken template fails the first request
            self._render([{"role": "user", "content": "warm-up"}], {})
        self.pieces("warm-up")
        self._executor().submit(self._encode_len, "warm-up").result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="qnext-sim-count", initializer=_lower_priority
            )
        return self._pool

    def _submit(self, bound: int, job: Callable[[], int | list[int]]) -> PromptTokens:
        return PromptTokens(bound, job=job, pool=self._executor)

    def _encode_len(self, text: str) -> int:
        """Token count of `text` (special tokens in it recognised), as the tokenizer's own
        `__call__` counts it; the batch encode releases the GIL while it runs."""
        return len(self._encode_ids(text))

    def _encode_ids(self, text: str) -> list[int]:
        """The token ids of `text` (see `_encode_len`)."""
        if self._backend is not None:
            return list(self._backend.encode_batch([text], add_special_tokens=False)[0].ids)
        return list(self._raw([text], add_special_tokens=False)["input_ids"][0])

    def pieces(self, text: str) -> list[str]:
        """`tokenizer.pieces(text)`, from the Rust encoder's offsets when there is one (about
        half the cost of going through `transformers`)."""
        if self._backend is None or not text:
            return self.tokenizer.pieces(text)
        encoding = self._backend.encode_batch([text], add_special_tokens=False)[0]
        out: list[str] = []
        pos = 0
        size = len(text)
        for _start, end in encoding.offsets:
            end = max(pos, min(int(end), size))
            out.append(text[pos:end])
            pos = end
        if out and pos < size:
            out[-1] += text[pos:]
        return out

    def _render(self, messages: Sequence[Mapping[str, Any]], kwargs: Mapping[str, Any]) -> str:
        plain = [{**dict(m), "content": message_text(m.get("content"))} for m in messages]
        try:
            rendered = self._raw.apply_chat_template(
                plain, tokenize=False, add_generation_prompt=True, **dict(kwargs)
            )
        except Exception as exc:  # jinja errors, missing template, ...
            name = getattr(self.tokenizer, "name", "?")
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise TokenizerError(
                f"chat template of tokenizer {name!r} failed: {type(exc).__name__}: {first}"
            ) from exc
        return str(rendered)

    def chat(
        self, messages: Sequence[Mapping[str, Any]], template_kwargs: Mapping[str, Any]
    ) -> PromptTokens:
        """Start counting a chat prompt (template with the generation prompt, as vLLM does).

        A template that fails raises TokenizerError at once."""
        if self._raw is None:
            count = self.tokenizer.count_chat(messages, template_kwargs)
            ids = self._simple_chat_ids(messages)
            return PromptTokens(count, exact=count, ids=ids if len(ids) == count else None)
        rendered = self._render(messages, template_kwargs)
        return self._submit(prompt_bound(rendered), lambda: self._encode_ids(rendered))

    def _simple_chat_ids(self, messages: Sequence[Mapping[str, Any]]) -> list[int]:
        """Ids standing for a chat prompt of a tokenizer without a template (the simple one):
        each message's role marker, then its content's ids (for the prefix cache only)."""
        start, end, newline = 1, 2, 3  # ChatML's markers, as SimpleTokenCounter counts them

        def role(name: object) -> int:
            return 16 + zlib.crc32(str(name).encode("utf-8")) % 200

        ids: list[int] = []
        for m in messages:
            ids += [start, role(m.get("role")), newline]
            ids += self.tokenizer.encode(message_text(m.get("content")))
            ids += [end, newline]
        return [*ids, start, role("assistant"), newline]

    def text(self, prompt: str) -> PromptTokens:
        """Start counting a completions prompt string."""
        if self._raw is None:
            ids = self.tokenizer.encode(prompt)
            return PromptTokens(len(ids), exact=len(ids), ids=ids)
        return self._submit(prompt_bound(prompt), lambda: self._encode_ids(prompt))
