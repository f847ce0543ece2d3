"""What a request generates, decided before the first byte is sent.

`plan_generation` turns the policy's answer (already cut into one string per token) and the
request's sampling limits into the exact token sequence the server will stream, vLLM style:

- without `ignore_eos`: the answer's tokens (padded with filler up to `min_tokens`), finish
  "stop"; cut at `max_tokens` -> finish "length" (also when the answer fills `max_tokens`
  exactly: EOS would be one more token). The EOS token itself is not counted in usage;
- with `ignore_eos`: exactly `max_tokens` tokens (answer, then filler), finish "length";
- `stop` strings (checked on the content text, not on reasoning): output ends right before the
  first occurrence, finish "stop"; the token that completed the stop string is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CONTENT", "REASONING", "GenerationPlan", "plan_generation"]

REASONING = 0
CONTENT = 1


@dataclass(frozen=True)
class GenerationPlan:
    tokens: tuple[tuple[int, str], ...]  # (REASONING|CONTENT, text) per generated token
    finish_reason: str  # "stop" | "length"
    stop_reason: str | None = None  # the stop string that ended generation, if any

    @property
    def completion_tokens(self) -> int:
        return len(self.tokens)

    @property
    def content(self) -> str:
        return "".join(t for kind, t in self.tokens if kind == CONTENT)

    @property
    def reasoning(self) -> str:
        return "".join(t for kind, t in self.tokens if kind == REASONING)


def plan_generation(
    reasoning: Sequence[str],
    content: Sequence[str],
    *,
    max_tokens: int,
    min_tokens: int = 0,
    ignore_eos: bool = False,
    stop: Sequence[str] = (),
    filler: str = " the",
) -> GenerationPlan:
    """The tokens a request produces; see the module docstring for the rules."""
    if max_tokens < 0:
        raise ValueError(f"max_tokens must be >= 0, got {max_tokens}")
    seq: list[tuple[int, str]] = [(REASONING, p) for p in reasoning]
    seq += [(CONTENT, p) for p in content]
    target = max_tokens if ignore_eos else min(max(len(seq), min_tokens), max_tokens)
    # EOS needs one more token than the answer, so an answer that fills max_tokens is "length"
    finish = "stop" if not ignore_eos and target < max_tokens else "length"
    if len(seq) >= target:
        seq = seq[:target]
    else:
        seq += [(CONTENT, filler)] * (target - len(seq))
    stops = [s for s in stop if s]
    if stops:
        cut = _apply_stop(seq, stops)
        if cut is not None:
            tokens, which = cut
            return GenerationPlan(tuple(tokens), "stop", which)
    return GenerationPlan(tuple(seq), finish)


def _apply_stop(
    seq: list[tuple[int, str]], stops: Sequence[str]
) -> tuple[list[tuple[int, str]], str] | None:
    longest = max(len(s) for s in stops)
    text = ""
    for index, (kind, piece) in enumerate(seq):
        if kind != CONTENT:
            continue
        start = max(0, len(text) - longest + 1)
        text += piece
        found: tuple[int, str] | None = None
        for s in stops:
            pos = text.find(s, start)
            if pos >= 0 and (found is None or pos < found[0]):
                found = (pos, s)
        if found is None:
            continue
        limit, which = found
        out: list[tuple[int, str]] = []
        used = 0
        for kind2, piece2 in seq[: index + 1]:
            if kind2 != CONTENT:
                out.append((kind2, piece2))
                continue
            keep = piece2[: max(0, limit - used)]
            used += len(piece2)
            out.append((kind2, keep))
        return out, which
    return None
