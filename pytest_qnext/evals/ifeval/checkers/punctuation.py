"""punctuation:no_comma — the response contains no ASCII comma (`,`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["NoComma"]


@dataclass(frozen=True)
class NoComma:
    """punctuation:no_comma (only U+002C counts; full-width commas are not checked)."""

    ID = "punctuation:no_comma"

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> NoComma:
        return cls()

    def check(self, response: str) -> bool:
        return "," not in response
