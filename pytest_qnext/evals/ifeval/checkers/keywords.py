"""Keyword instructions: existence, frequency, forbidden words, letter frequency.

Reference semantics: keywords are used as case-insensitive regular expressions exactly as the
dataset gives them (not escaped); forbidden words are wrapped in `\\b` word boundaries; the
letter count is over the lower-cased response (see `LetterFrequency` for non-letters).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.evals.ifeval.checkers.base import (
    InstructionError,
    Relation,
    compare,
    int_kwarg,
    relation_kwarg,
    str_kwarg,
    str_list_kwarg,
)

__all__ = ["ForbiddenWords", "KeywordExistence", "KeywordFrequency", "LetterFrequency"]


def _compile(instruction_id: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags=re.IGNORECASE)
    except re.error as exc:
        raise InstructionError(
            f"IFEval instruction {instruction_id!r}: {pattern!r} is not a valid regular "
            f"expression ({exc})"
        ) from None


@dataclass(frozen=True)
class KeywordExistence:
    """keywords:existence — every keyword appears (case-insensitive regex search)."""

    keywords: tuple[str, ...]

    ID = "keywords:existence"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> KeywordExistence:
        keywords = str_list_kwarg(cls.ID, kwargs, "keywords")
        for keyword in keywords:
            _compile(cls.ID, keyword)
        return cls(keywords)

    def check(self, response: str) -> bool:
        return all(re.search(k, response, flags=re.IGNORECASE) for k in self.keywords)


@dataclass(frozen=True)
class KeywordFrequency:
    """keywords:frequency — count of (case-insensitive regex) matches of the stripped keyword."""

    keyword: str
    frequency: int
    relation: Relation

    ID = "keywords:frequency"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> KeywordFrequency:
        keyword = str_kwarg(cls.ID, kwargs, "keyword").strip()
        _compile(cls.ID, keyword)
        return cls(
            keyword,
            int_kwarg(cls.ID, kwargs, "frequency"),
            relation_kwarg(cls.ID, kwargs, "relation"),
        )

    def count(self, response: str) -> int:
        return len(re.findall(self.keyword, response, flags=re.IGNORECASE))

    def check(self, response: str) -> bool:
        return compare(self.count(response), self.relation, self.frequency)


@dataclass(frozen=True)
class ForbiddenWords:
    """keywords:forbidden_words — no forbidden word appears as a whole word (any case)."""

    forbidden_words: tuple[str, ...]

    ID = "keywords:forbidden_words"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> ForbiddenWords:
        words = tuple(sorted(set(str_list_kwarg(cls.ID, kwargs, "forbidden_words"))))
        for word in words:
            _compile(cls.ID, rf"\b{word}\b")
        return cls(words)

    def check(self, response: str) -> bool:
        return not any(
            re.search(rf"\b{word}\b", response, flags=re.IGNORECASE)
            for word in self.forbidden_words
        )


@dataclass(frozen=True)
class LetterFrequency:
    """keywords:letter_frequency — occurrences of one letter in the lower-cased response.

    Any single character is counted literally. Samples 1122 ("#") and 1129 ("!") ask for a
    non-letter: the original reference replaces it by a random letter each time it builds the
    instruction (a non-deterministic verdict); we count the character the prompt asks for.
    """

    letter: str
    frequency: int
    relation: Relation

    ID = "keywords:letter_frequency"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> LetterFrequency:
        letter = str_kwarg(cls.ID, kwargs, "letter").strip().lower()
        if len(letter) != 1:
            raise InstructionError(
                f"IFEval instruction {cls.ID!r}: kwarg 'letter' must be one character, "
                f"got {kwargs.get('letter')!r}"
            )
        return cls(
            letter,
            int_kwarg(cls.ID, kwargs, "let_frequency"),
            relation_kwarg(cls.ID, kwargs, "let_relation"),
        )

    def count(self, response: str) -> int:
        return Counter(response.lower())[self.letter]

    def check(self, response: str) -> bool:
        return compare(self.count(response), self.relation, self.frequency)
