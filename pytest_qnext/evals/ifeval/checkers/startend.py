"""Start/end instructions: end with a phrase, wrap the whole response in double quotes.

- end_checker: the response, stripped of whitespace and then of `"` at both ends and
  lower-cased, ends with the stripped, lower-cased `end_phrase`;
- quotation: the stripped response is longer than one character and starts and ends with `"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.evals.ifeval.checkers.base import str_kwarg

__all__ = ["EndChecker", "Quotation"]


@dataclass(frozen=True)
class EndChecker:
    """startend:end_checker."""

    end_phrase: str

    ID = "startend:end_checker"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> EndChecker:
        return cls(str_kwarg(cls.ID, kwargs, "end_phrase").strip().lower())

    def check(self, response: str) -> bool:
        return response.strip().strip('"').lower().endswith(self.end_phrase)


@dataclass(frozen=True)
class Quotation:
    """startend:quotation."""

    ID = "startend:quotation"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> Quotation:
        return cls()

    def check(self, response: str) -> bool:
        text = response.strip()
        return len(text) > 1 and text[0] == '"' and text[-1] == '"'
