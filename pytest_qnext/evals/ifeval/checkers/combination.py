"""Combination instructions: two different responses, repeat the prompt then answer.

- two_responses: split on `******`; empty pieces are allowed only at either end; exactly two
  non-empty pieces must remain and differ after stripping whitespace;
- repeat_prompt: the stripped, lower-cased response starts with the stripped, lower-cased
  `prompt_to_repeat`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.evals.ifeval.checkers.base import str_kwarg

__all__ = ["RepeatPrompt", "TwoResponses"]

SEPARATOR = "******"


@dataclass(frozen=True)
class TwoResponses:
    """combination:two_responses."""

    ID = "combination:two_responses"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> TwoResponses:
        return cls()

    def check(self, response: str) -> bool:
        pieces = response.split(SEPARATOR)
        kept: list[str] = []
        for index, piece in enumerate(pieces):
            if piece.strip():
                kept.append(piece)
            elif index not in (0, len(pieces) - 1):
                return False
        return len(kept) == 2 and kept[0].strip() != kept[1].strip()


@dataclass(frozen=True)
class RepeatPrompt:
    """combination:repeat_prompt."""

    prompt_to_repeat: str

    ID = "combination:repeat_prompt"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> RepeatPrompt:
        return cls(str_kwarg(cls.ID, kwargs, "prompt_to_repeat"))

    def check(self, response: str) -> bool:
        return response.strip().lower().startswith(self.prompt_to_repeat.strip().lower())
