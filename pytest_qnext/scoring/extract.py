"""Read the chosen letter out of a multiple-choice response.

`extract_letter(text, valid)` looks for answer statements in three tiers and returns the letter
of the LAST statement of the HIGHEST tier that has one; `None` ("unparsed") when no tier has
one. It never guesses: a response with no answer statement is unparsed, even if a lone capital
letter appears somewhere in it.

Tiers, strongest first:

1. answer line: `ANSWER: X` (any case of "answer", so also `Answer: X`, `Final Answer: X`,
   `**Answer:** X`) and `答案：X` / `答案: X` (full- or half-width colon);
2. `\\boxed{X}` (also `\\boxed{(X)}`, `\\boxed{\\text{X}}`);
3. answer phrase: `answer is (X)`, `answer is X`, `answer would be X`, `答案是X`, `答案为X`.

So an instructed `ANSWER: C` outranks an earlier or later "the answer is (B)" musing, and when
a model revises itself within a tier ("ANSWER: B … on reflection ANSWER: C") the last one wins.

Details that keep it honest:

* the text is NFKC-normalised first, so full-width forms (`：`, `（Ｃ）`, `Ｃ`) read as ASCII;
* the letter must be upper case and stand alone (`ANSWER: Carbon` is not `C`); `A` or `I`
  followed by a lower-case word ("the answer is a reflex…", "Answer: I think…") is English,
  not a choice, and is skipped;
* decorations between the marker and the letter are allowed: `**`, `(`, `[`, `$`, `\\boxed{`,
  `\\text{`;
* a hedged statement that names several letters (`answer is (B) or (F)`, `ANSWER: A, C`) is
  skipped, as is a letter outside `valid` (e.g. `E` on a four-choice question); earlier
  statements of the same tier, then lower tiers, are tried next.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["LETTERS", "extract_letter", "extract_letter_tiger_lab", "find_answer_statements"]

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# between the marker and the letter: spaces, markdown emphasis, brackets, math delimiters
_DECOR = r"(?:[\s*_`'\"(\[{$]|\\(?:boxed|text|textbf|mathrm|mathbf)\s*\{)*"
_LETTER = r"(?P<letter>[A-Z])(?![A-Za-z0-9])"

_TIERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "answer_line",
        re.compile(
            r"(?:(?<![A-Za-z])(?i:answer)[\s*_]*|答案[\s*_]*)[:]" + r"[^\S\n]*" + _DECOR + _LETTER
        ),
    ),
    (
        "boxed",
        re.compile(
            r"\\boxed\s*\{[\s(]*(?:\\(?:text|textbf|mathrm|mathbf)\s*\{)?\s*"
            r"(?P<letter>[A-Z])\s*\)?\s*\}"
        ),
    ),
    (
        "answer_phrase",
        re.compile(
            r"(?:(?<![A-Za-z])(?i:answer)\s+(?i:is|would\s+be|should\s+be|must\s+be)\s*:?"
            r"|答案\s*(?:是|为|應為|应为|应该是|應該是))"
            r"[^\S\n]*" + _DECOR + _LETTER
        ),
    ),
)

# after the letter: "or (B)", ", C", "/D", "and E", "或 B" -> several letters named
_HEDGE = re.compile(r"[\s)\]*}]*(?:,|/|&|\bor\b|\band\b|或|和|、)\s*[(\[]?[A-Z](?![A-Za-z0-9])")
# "A"/"I" followed by a lower-case word are the English article/pronoun
_ENGLISH_WORD = re.compile(r"[^\S\n]+[a-z]")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def find_answer_statements(text: str) -> list[tuple[str, int, str]]:
    """Every answer statement found, as (tier name, offset, letter), in tier then text order.

    Hedged statements and English "A"/"I" are already removed; `valid` is not applied.
    Useful for explaining a score ("3 answer lines, last says C").
    """
    norm = _normalise(text)
    found: list[tuple[str, int, str]] = []
    for name, pattern in _TIERS:
        for match in pattern.finditer(norm):
            letter = match.group("letter")
            end = match.end()  # (matching at `end`, not on a copy of the rest: linear time)
            if _HEDGE.match(norm, end):
                continue
            if letter in ("A", "I") and name != "boxed" and _ENGLISH_WORD.match(norm, end):
                continue
            found.append((name, match.start(), letter))
    return found


def extract_letter(text: str, valid: Iterable[str] | str = LETTERS) -> str | None:
    """The answer letter of `text` (see the module docstring for precedence), or None.

    `valid` holds the letters of this question's choices, e.g. "ABCD" or ["A", "B", "C"].
    """
    allowed = set(valid)
    best: dict[str, str] = {}
    for tier, _offset, letter in find_answer_statements(text):
        if letter in allowed:
            best[tier] = letter  # later statements of a tier overwrite earlier ones
    for tier, _pattern in _TIERS:
        if tier in best:
            return best[tier]
    return None


_TIGER_ANSWER_IS = re.compile(r"answer is \(?([A-J])\)?")
_TIGER_ANSWER_COLON = re.compile(r"[aA]nswer:")
_TIGER_COLON_LETTER = re.compile(r"\s*([A-J])")
_TIGER_LETTER = re.compile(r"\b[A-J]\b")


def extract_letter_tiger_lab(text: str, valid: Iterable[str] | str = LETTERS) -> str | None:
    """MMLU-Pro's official runner chain, for comparability with TIGER-Lab's figures.

    First the first "answer is (X)"; then the official `re.search(r".*[aA]nswer:\\s*([A-J])")`,
    i.e. the last "Answer: X" on the first line that has one; then the last standalone capital
    letter A-J anywhere in the text. (Same results as the official regexes, in linear time: their
    `.*` and look-ahead forms are quadratic on long responses.) The official runner then falls
    back to a random letter; we never guess: None (unparsed) instead. Like the official runner, a
    letter beyond this question's options is returned as extracted (and so scored wrong); `valid`
    is accepted for signature parity with `extract_letter`.
    """
    del valid
    match = _TIGER_ANSWER_IS.search(text)
    if match:
        return match.group(1)
    first_line: int | None = None
    found: str | None = None
    for match in _TIGER_ANSWER_COLON.finditer(text):
        letter = _TIGER_COLON_LETTER.match(text, match.end())
        if letter is None:
            continue
        line = text.count("\n", 0, match.start())
        if first_line is None:
            first_line = line
        elif line != first_line:
            break
        found = letter.group(1)
    if found is not None:
        return found
    letters = _TIGER_LETTER.findall(text)
    return letters[-1] if letters else None
