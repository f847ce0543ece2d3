"""Letter-case instructions: all lowercase, all capitals, frequency of all-capital words.

The two whole-response checks also require langdetect (seed 0) to say English; when langdetect
cannot decide, the reference counts the instruction as followed, and so do we. Capital words
are NLTK `word_tokenize` tokens for which `str.isupper()` holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.evals.ifeval.checkers.base import Relation, compare, int_kwarg, relation_kwarg
from pytest_qnext.evals.ifeval.checkers.text import detect_language, word_tokenize

__all__ = ["CapitalWordFrequency", "EnglishCapital", "EnglishLowercase"]


def _english_or_undecided(response: str) -> bool:
    detected = detect_language(response)
    return detected is None or detected == "en"


@dataclass(frozen=True)
class EnglishLowercase:
    """change_case:english_lowercase — `str.islower()` and English."""

    ID = "change_case:english_lowercase"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> EnglishLowercase:
        return cls()

    def check(self, response: str) -> bool:
        return response.islower() and _english_or_undecided(response)


@dataclass(frozen=True)
class EnglishCapital:
    """change_case:english_capital — `str.isupper()` and English."""

    ID = "change_case:english_capital"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> EnglishCapital:
        return cls()

    def check(self, response: str) -> bool:
        return response.isupper() and _english_or_undecided(response)


@dataclass(frozen=True)
class CapitalWordFrequency:
    """change_case:capital_word_frequency — number of all-capital words vs a threshold."""

    frequency: int
    relation: Relation

    ID = "change_case:capital_word_frequency"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> CapitalWordFrequency:
        return cls(
            int_kwarg(cls.ID, kwargs, "capital_frequency"),
            relation_kwarg(cls.ID, kwargs, "capital_relation"),
        )

    def count(self, response: str) -> int:
        return sum(1 for word in word_tokenize(response) if word.isupper())

    def check(self, response: str) -> bool:
        return compare(self.count(response), self.relation, self.frequency)
