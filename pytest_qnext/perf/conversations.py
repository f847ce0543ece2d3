"""Building the jobs of the multi_turn and trace workloads (workloads.py has their formats).

Both are prepared before the measurement window, like every prompt: the turns of a synthetic
conversation are random prompts of the prompt length (unique from their first token), a file's
turns are sent as written; a trace request's prompt is its hash ids' blocks (the same tokens
for the same id throughout the run) followed by unique tokens up to its input length.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from pytest_qnext.perf.arrivals import trace_offsets
from pytest_qnext.perf.workloads import (
    Conversation,
    TraceRow,
    WorkloadError,
    block_layout,
    read_conversations,
    read_trace,
)

if TYPE_CHECKING:
    from pytest_qnext.perf.prompts import PerfRequest, PromptBuilder

__all__ = ["build_conversations", "build_trace"]


def _error(exc: WorkloadError) -> Exception:
    from pytest_qnext.perf.prompts import PromptError

    return PromptError(str(exc))


def build_conversations(
    builder: PromptBuilder, indexes: range, rng: random.Random
) -> list[Conversation]:
    """One conversation per index: from the file (cycling), or synthetic."""
    from pytest_qnext.perf.prompts import PromptError

    settings = builder.settings
    if builder.api != "chat":
        raise PromptError(
            "--qnext-perf-dataset multi_turn sends chat histories; use --qnext-api chat"
        )
    out: list[Conversation] = []
    if settings.dataset_path is not None:
        try:
            stored = builder.cache(
                "conversations", lambda: read_conversations(settings.dataset_path)
            )
        except WorkloadError as exc:
            raise _error(exc) from None
        for i in indexes:
            turns = stored[i % len(stored)]
            requests = [
                builder.request(i * len(turns) + k, None, messages=[{"role": "user", "content": t}])
                for k, t in enumerate(turns)
            ]
            out.append(Conversation(i, tuple(requests)))
        return out
    k = settings.turns
    for i in indexes:
        turns = builder.random_requests(range(i * k, i * k + k), rng)
        out.append(Conversation(i, tuple(turns)))
    return out


def _block_ids(builder: PromptBuilder, hash_id: int, size: int) -> list[int]:
    return builder.random_ids(random.Random(f"{builder.nonce}:block:{hash_id}"), size)


def build_trace(
    builder: PromptBuilder, count: int, start: int, rng: random.Random
) -> tuple[list[PerfRequest], list[float]]:
    """The first `count` rows of the trace as requests, and their send offsets (seconds)."""
    settings = builder.settings
    path = settings.dataset_path
    if path is None:
        from pytest_qnext.perf.prompts import PromptError

        raise PromptError("--qnext-perf-dataset trace needs --qnext-perf-dataset-path FILE")
    try:
        rows: list[TraceRow] = builder.cache("trace", lambda: read_trace(path))
    except WorkloadError as exc:
        raise _error(exc) from None
    chosen = rows[:count]
    size = settings.trace_block_size
    requests: list[PerfRequest] = []
    for j, row in enumerate(chosen):
        hashes, tail = block_layout(row, size)
        ids = [t for h in hashes for t in _block_ids(builder, h, size)]
        unique = builder.unique_ids(start + j, rng, tail)
        gen = {
            **builder.gen_config,
            "max_tokens": row.output_length,
            "min_tokens": row.output_length,
        }
        gen["ignore_eos"] = True
        prompt_ids = ids + unique
        if builder.api == "completions":
            requests.append(
                builder.request(
                    start + j,
                    len(prompt_ids),
                    prompt=prompt_ids,
                    gen_config=gen,
                    completion=row.output_length,
                )
            )
            continue
        messages = [{"role": "user", "content": builder.tokenizer.decode(prompt_ids)}]
        requests.append(
            builder.request(
                start + j,
                builder.chat_count(messages),
                messages=messages,
                gen_config=gen,
                completion=row.output_length,
            )
        )
    offsets = trace_offsets([r.timestamp for r in chosen], settings.trace_speed)
    return requests, offsets
