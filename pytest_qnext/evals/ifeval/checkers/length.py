"""Length instructions: words, sentences, `***`-separated paragraphs, nth paragraph's first word.

- words: runs of `\\w+`;
- sentences: NLTK punkt (English) sentences;
- paragraphs (number_paragraphs): the response split on `\\s?\\*\\*\\*\\s?`; an empty piece at
  either end is not counted, an empty piece in the middle fails the instruction;
- nth_paragraph_first_word: paragraphs are split on a blank line (`\\n\\n`); empty pieces are
  not counted; the nth piece (counting empty ones) must be non-empty, the paragraph count must
  equal `num_paragraphs`, and its first whitespace-separated word, with leading quotes removed
  and cut at the first `. , ? ! ' "`, lower-cased, must equal `first_word`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.evals.ifeval.checkers.base import (
    Relation,
    compare,
    int_kwarg,
    relation_kwarg,
    str_kwarg,
)
from pytest_qnext.evals.ifeval.checkers.text import count_sentences, count_words

__all__ = [
    "NthParagraphFirstWord",
    "NumberParagraphs",
    "NumberSentences",
    "NumberWords",
    "count_star_paragraphs",
    "first_word_of",
]

_STAR_SPLIT = re.compile(r"\s?\*\*\*\s?")
_FIRST_WORD_STOP = frozenset(".,?!'\"")


def count_star_paragraphs(response: str) -> int | None:
    """Paragraphs separated by `***`; None when an inner paragraph is empty."""
    pieces = _STAR_SPLIT.split(response)
    count = len(pieces)
    for index, piece in enumerate(pieces):
        if piece.strip():
            continue
        if index in (0, len(pieces) - 1):
            count -= 1
        else:
            return None
    return count


def first_word_of(paragraph: str) -> str:
    """The reference's first word: quotes stripped on the left, cut at punctuation, lower."""
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    letters: list[str] = []
    for char in word:
        if char in _FIRST_WORD_STOP:
            break
        letters.append(char.lower())
    return "".join(letters)


@dataclass(frozen=True)
class NumberWords:
    """length_constraints:number_words."""

    num_words: int
    relation: Relation

    ID = "length_constraints:number_words"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> NumberWords:
        return cls(
            int_kwarg(cls.ID, kwargs, "num_words"), relation_kwarg(cls.ID, kwargs, "relation")
        )

    def check(self, response: str) -> bool:
        return compare(count_words(response), self.relation, self.num_words)


@dataclass(frozen=True)
class NumberSentences:
    """length_constraints:number_sentences."""

    num_sentences: int
    relation: Relation

    ID = "length_constraints:number_sentences"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> NumberSentences:
        return cls(
            int_kwarg(cls.ID, kwargs, "num_sentences"),
            relation_kwarg(cls.ID, kwargs, "relation"),
        )

    def check(self, response: str) -> bool:
        return compare(count_sentences(response), self.relation, self.num_sentences)


@dataclass(frozen=True)
class NumberParagraphs:
    """length_constraints:number_paragraphs — exactly `num_paragraphs` `***`-paragraphs."""

    num_paragraphs: int

    ID = "length_constraints:number_paragraphs"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> NumberParagraphs:
        return cls(int_kwarg(cls.ID, kwargs, "num_paragraphs"))

    def check(self, response: str) -> bool:
        return count_star_paragraphs(response) == self.num_paragraphs


@dataclass(frozen=True)
class NthParagraphFirstWord:
    """length_constraints:nth_paragraph_first_word."""

    num_paragraphs: int
    nth_paragraph: int
    first_word: str

    ID = "length_constraints:nth_paragraph_first_word"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> NthParagraphFirstWord:
        return cls(
            int_kwarg(cls.ID, kwargs, "num_paragraphs", minimum=1),
            int_kwarg(cls.ID, kwargs, "nth_paragraph", minimum=1),
            str_kwarg(cls.ID, kwargs, "first_word").lower(),
        )

    def check(self, response: str) -> bool:
        pieces = response.split("\n\n")
        count = sum(1 for piece in pieces if piece.strip())
        if self.nth_paragraph > count:
            return False
        paragraph = pieces[self.nth_paragraph - 1].strip()
        if not paragraph:
            return False
        return count == self.num_paragraphs and first_word_of(paragraph) == self.first_word
