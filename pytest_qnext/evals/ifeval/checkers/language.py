"""language:response_language — the whole response is in the requested language.

langdetect (seed 0) names the language; when it cannot decide (no usable features, e.g. only
digits or punctuation) the reference counts the instruction as followed, and so do we.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.evals.ifeval.checkers.base import str_kwarg
from pytest_qnext.evals.ifeval.checkers.text import detect_language

__all__ = ["ResponseLanguage"]


@dataclass(frozen=True)
class ResponseLanguage:
    """language:response_language — langdetect's answer equals the ISO 639-1 `language`."""

    language: str

    ID = "language:response_language"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> ResponseLanguage:
        return cls(str_kwarg(cls.ID, kwargs, "language"))

    def check(self, response: str) -> bool:
        detected = detect_language(response)
        return detected is None or detected == self.language
