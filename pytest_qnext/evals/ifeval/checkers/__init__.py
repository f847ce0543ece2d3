"""The 25 IFEval instruction checkers, by instruction id.

`build(instruction_id, kwargs)` validates one instruction's kwargs (None values, as Arrow
gives them for absent struct fields, are ignored) and returns a `Checker` whose
`check(response)` says whether the response follows it. Semantics follow Google's reference
checker (google-research `instruction_following_eval`); each family module documents them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pytest_qnext.evals.ifeval.checkers.base import Checker, InstructionError
from pytest_qnext.evals.ifeval.checkers.case import (
    CapitalWordFrequency,
    EnglishCapital,
    EnglishLowercase,
)
from pytest_qnext.evals.ifeval.checkers.combination import RepeatPrompt, TwoResponses
from pytest_qnext.evals.ifeval.checkers.content import NumberPlaceholders, Postscript
from pytest_qnext.evals.ifeval.checkers.format import (
    ConstrainedResponse,
    JsonFormat,
    MultipleSections,
    NumberBulletLists,
    NumberHighlightedSections,
    Title,
)
from pytest_qnext.evals.ifeval.checkers.keywords import (
    ForbiddenWords,
    KeywordExistence,
    KeywordFrequency,
    LetterFrequency,
)
from pytest_qnext.evals.ifeval.checkers.language import ResponseLanguage
from pytest_qnext.evals.ifeval.checkers.length import (
    NthParagraphFirstWord,
    NumberParagraphs,
    NumberSentences,
    NumberWords,
)
from pytest_qnext.evals.ifeval.checkers.punctuation import NoComma
from pytest_qnext.evals.ifeval.checkers.startend import EndChecker, Quotation
from pytest_qnext.evals.ifeval.checkers.text import NltkDataMissing, configure_nltk

__all__ = [
    "INSTRUCTION_IDS",
    "Checker",
    "InstructionError",
    "NltkDataMissing",
    "build",
    "configure_nltk",
]

_Builder = Callable[[Mapping[str, Any]], Checker]

# instruction id -> (builder, the kwargs it accepts)
_REGISTRY: dict[str, tuple[_Builder, frozenset[str]]] = {
    "keywords:existence": (KeywordExistence.from_kwargs, frozenset({"keywords"})),
    "keywords:frequency": (
        KeywordFrequency.from_kwargs,
        frozenset({"keyword", "frequency", "relation"}),
    ),
    "keywords:forbidden_words": (ForbiddenWords.from_kwargs, frozenset({"forbidden_words"})),
    "keywords:letter_frequency": (
        LetterFrequency.from_kwargs,
        frozenset({"letter", "let_frequency", "let_relation"}),
    ),
    "language:response_language": (ResponseLanguage.from_kwargs, frozenset({"language"})),
    "length_constraints:number_sentences": (
        NumberSentences.from_kwargs,
        frozenset({"num_sentences", "relation"}),
    ),
    "length_constraints:number_paragraphs": (
        NumberParagraphs.from_kwargs,
        frozenset({"num_paragraphs"}),
    ),
    "length_constraints:number_words": (
        NumberWords.from_kwargs,
        frozenset({"num_words", "relation"}),
    ),
    "length_constraints:nth_paragraph_first_word": (
        NthParagraphFirstWord.from_kwargs,
        frozenset({"num_paragraphs", "nth_paragraph", "first_word"}),
    ),
    "detectable_content:number_placeholders": (
        NumberPlaceholders.from_kwargs,
        frozenset({"num_placeholders"}),
    ),
    "detectable_content:postscript": (Postscript.from_kwargs, frozenset({"postscript_marker"})),
    "detectable_format:number_bullet_lists": (
        NumberBulletLists.from_kwargs,
        frozenset({"num_bullets"}),
    ),
    "detectable_format:constrained_response": (ConstrainedResponse.from_kwargs, frozenset()),
    "detectable_format:number_highlighted_sections": (
        NumberHighlightedSections.from_kwargs,
        frozenset({"num_highlights"}),
    ),
    "detectable_format:multiple_sections": (
        MultipleSections.from_kwargs,
        frozenset({"section_spliter", "num_sections"}),
    ),
    "detectable_format:json_format": (JsonFormat.from_kwargs, frozenset()),
    "detectable_format:title": (Title.from_kwargs, frozenset()),
    "combination:two_responses": (TwoResponses.from_kwargs, frozenset()),
    "combination:repeat_prompt": (RepeatPrompt.from_kwargs, frozenset({"prompt_to_repeat"})),
    "startend:end_checker": (EndChecker.from_kwargs, frozenset({"end_phrase"})),
    "startend:quotation": (Quotation.from_kwargs, frozenset()),
    "change_case:capital_word_frequency": (
        CapitalWordFrequency.from_kwargs,
        frozenset({"capital_frequency", "capital_relation"}),
    ),
    "change_case:english_capital": (EnglishCapital.from_kwargs, frozenset()),
    "change_case:english_lowercase": (EnglishLowercase.from_kwargs, frozenset()),
    "punctuation:no_comma": (NoComma.from_kwargs, frozenset()),
}

INSTRUCTION_IDS: tuple[str, ...] = tuple(sorted(_REGISTRY))


def build(instruction_id: str, kwargs: Mapping[str, Any] | None = None) -> Checker:
    """The checker for one instruction; `InstructionError` (one line) on a bad id or kwargs."""
    entry = _REGISTRY.get(instruction_id)
    if entry is None:
        raise InstructionError(
            f"unknown IFEval instruction id {instruction_id!r}; valid: {', '.join(INSTRUCTION_IDS)}"
        )
    builder, accepted = entry
    given = {k: v for k, v in (kwargs or {}).items() if v is not None}
    unexpected = sorted(set(given) - accepted)
    if unexpected:
        raise InstructionError(
            f"IFEval instruction {instruction_id!r} got unexpected kwargs {unexpected}; "
            f"it accepts {sorted(accepted) or 'none'}"
        )
    return builder(given)
