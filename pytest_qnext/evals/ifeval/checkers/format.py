"""Detectable format: bullet lists, constrained answer, highlights, sections, JSON, title.

- bullet lists: lines starting (after whitespace) with `*` not followed by `*`, plus lines
  starting with `-`; the total must equal `num_bullets` exactly;
- constrained response: contains "My answer is yes.", "My answer is no." or
  "My answer is maybe." (case-sensitive);
- highlighted sections: non-empty `*…*` matches on one line plus non-empty `**…**` matches,
  the two patterns counted independently (`**x**` counts once, `***x***` twice); at least
  `num_highlights`;
- multiple sections: splits on `\\s?<splitter>\\s?\\d+\\s?`; pieces − 1 >= `num_sections`;
- JSON: after stripping whitespace and one leading ```` ```json ````/```` ```Json ````/
  ```` ```JSON ````/```` ``` ```` fence and one trailing fence, `json.loads` succeeds;
- title: a `<<…>>` on one line with something other than whitespace inside.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.evals.ifeval.checkers.base import InstructionError, int_kwarg, str_kwarg

__all__ = [
    "CONSTRAINED_RESPONSE_OPTIONS",
    "ConstrainedResponse",
    "JsonFormat",
    "MultipleSections",
    "NumberBulletLists",
    "NumberHighlightedSections",
    "Title",
    "count_bullets",
    "count_highlights",
]

CONSTRAINED_RESPONSE_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")

_STAR_BULLET = re.compile(r"^\s*\*[^\*].*$", flags=re.MULTILINE)
_DASH_BULLET = re.compile(r"^\s*-.*$", flags=re.MULTILINE)
_HIGHLIGHT = re.compile(r"\*[^\n\*]*\*")
_DOUBLE_HIGHLIGHT = re.compile(r"\*\*[^\n\*]*\*\*")
_TITLE = re.compile(r"<<[^\n]+>>")


def count_bullets(response: str) -> int:
    """Markdown bullet lines (`* item` or `- item`)."""
    return len(_STAR_BULLET.findall(response)) + len(_DASH_BULLET.findall(response))


def count_highlights(response: str) -> int:
    """Non-empty `*x*` matches plus non-empty `**x**` matches (patterns counted independently)."""
    single = sum(1 for h in _HIGHLIGHT.findall(response) if h.strip("*").strip())
    double = sum(
        1
        for h in _DOUBLE_HIGHLIGHT.findall(response)
        if h.removeprefix("**").removesuffix("**").strip()
    )
    return single + double


@dataclass(frozen=True)
class NumberBulletLists:
    """detectable_format:number_bullet_lists — exactly `num_bullets` bullet lines."""

    num_bullets: int

    ID = "detectable_format:number_bullet_lists"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> NumberBulletLists:
        return cls(int_kwarg(cls.ID, kwargs, "num_bullets"))

    def check(self, response: str) -> bool:
        return count_bullets(response) == self.num_bullets


@dataclass(frozen=True)
class ConstrainedResponse:
    """detectable_format:constrained_response."""

    ID = "detectable_format:constrained_response"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> ConstrainedResponse:
        return cls()

    def check(self, response: str) -> bool:
        text = response.strip()
        return any(option in text for option in CONSTRAINED_RESPONSE_OPTIONS)


@dataclass(frozen=True)
class NumberHighlightedSections:
    """detectable_format:number_highlighted_sections."""

    num_highlights: int

    ID = "detectable_format:number_highlighted_sections"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> NumberHighlightedSections:
        return cls(int_kwarg(cls.ID, kwargs, "num_highlights"))

    def check(self, response: str) -> bool:
        return count_highlights(response) >= self.num_highlights


@dataclass(frozen=True)
class MultipleSections:
    """detectable_format:multiple_sections — at least `num_sections` "<splitter> N" sections."""

    section_splitter: str
    num_sections: int

    ID = "detectable_format:multiple_sections"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> MultipleSections:
        splitter = str_kwarg(cls.ID, kwargs, "section_spliter").strip()
        try:
            re.compile(splitter)
        except re.error as exc:
            raise InstructionError(
                f"IFEval instruction {cls.ID!r}: section_spliter {splitter!r} is not a valid "
                f"regular expression ({exc})"
            ) from None
        return cls(splitter, int_kwarg(cls.ID, kwargs, "num_sections"))

    def count(self, response: str) -> int:
        return len(re.split(r"\s?" + self.section_splitter + r"\s?\d+\s?", response)) - 1

    def check(self, response: str) -> bool:
        return self.count(response) >= self.num_sections


@dataclass(frozen=True)
class JsonFormat:
    """detectable_format:json_format — the whole response (minus a code fence) is JSON."""

    ID = "detectable_format:json_format"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> JsonFormat:
        return cls()

    def check(self, response: str) -> bool:
        text = (
            response.strip()
            .removeprefix("```json")
            .removeprefix("```Json")
            .removeprefix("```JSON")
            .removeprefix("```")
            .removesuffix("```")
            .strip()
        )
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            return False
        return True


@dataclass(frozen=True)
class Title:
    """detectable_format:title — a non-blank title in double angular brackets."""

    ID = "detectable_format:title"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> Title:
        return cls()

    def check(self, response: str) -> bool:
        return any(t.lstrip("<").rstrip(">").strip() for t in _TITLE.findall(response))
