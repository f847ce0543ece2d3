"""Detectable content: `[placeholder]` count and a postscript.

- placeholders: non-greedy `\\[.*?\\]` matches, at least `num_placeholders`;
- postscript: in the lower-cased response, a line part starting with the marker — for "P.P.S"
  `p.p.s` with optional single spaces after the dots, for "P.S." `p.s.` likewise, any other
  marker used as a (lower-cased) regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.evals.ifeval.checkers.base import InstructionError, int_kwarg, str_kwarg

__all__ = ["NumberPlaceholders", "Postscript", "postscript_pattern"]

_PLACEHOLDER = re.compile(r"\[.*?\]")


@dataclass(frozen=True)
class NumberPlaceholders:
    """detectable_content:number_placeholders."""

    num_placeholders: int

    ID = "detectable_content:number_placeholders"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> NumberPlaceholders:
        return cls(int_kwarg(cls.ID, kwargs, "num_placeholders"))

    def count(self, response: str) -> int:
        return len(_PLACEHOLDER.findall(response))

    def check(self, response: str) -> bool:
        return self.count(response) >= self.num_placeholders


def postscript_pattern(marker: str) -> str:
    """The regular expression searched (multi-line, over the lower-cased response)."""
    if marker == "P.P.S":
        return r"\s*p\.\s?p\.\s?s.*$"
    if marker == "P.S.":
        return r"\s*p\.\s?s\..*$"
    return r"\s*" + marker.lower() + r".*$"


@dataclass(frozen=True)
class Postscript:
    """detectable_content:postscript — the response contains a postscript with the marker."""

    marker: str

    ID = "detectable_content:postscript"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> Postscript:
        marker = str_kwarg(cls.ID, kwargs, "postscript_marker").strip()
        try:
            re.compile(postscript_pattern(marker))
        except re.error as exc:
            raise InstructionError(
                f"IFEval instruction {cls.ID!r}: postscript_marker {marker!r} is not a valid "
                f"regular expression ({exc})"
            ) from None
        return cls(marker)

    def check(self, response: str) -> bool:
        pattern = postscript_pattern(self.marker)
        return re.search(pattern, response.lower(), flags=re.MULTILINE) is not None
