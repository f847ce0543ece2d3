"""Letter extraction: the documented forms, precedence, and refusals to guess."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.scoring.extract import LETTERS, extract_letter, find_answer_statements


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Reasoning...\nANSWER: C", "C"),
        ("answer: d is wrong, ANSWER: B", "B"),
        ("**Answer:** (B)", "B"),
        ("**Final Answer**: $\\boxed{D}$", "D"),
        ("ANSWER: [A]", "A"),
        ("The answer is (X)".replace("X", "J"), "J"),
        ("so the answer is C.", "C"),
        ("The correct answer would be D", "D"),
        ("答案：B", "B"),
        ("答案: B", "B"),
        ("答案:B", "B"),
        ("综上，答案是C。", "C"),
        ("答案为 （Ｄ）", "D"),
        ("答案：Ｃ", "C"),
        ("Therefore \\boxed{B}", "B"),
        ("\\boxed{(C)}", "C"),
        ("\\boxed{\\text{A}}", "A"),
    ],
)
def test_documented_forms(text: str, expected: str) -> None:
    assert extract_letter(text, "ABCDEFGHIJ") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I am not sure.",
        "Option C looks plausible but so does B.",  # no answer statement: never a guess
        "ANSWER: Carbon",  # a word, not a letter
        "The answer is a reflex arc.",  # English article
        "Answer: I think it is about diffusion",  # English pronoun
        "The answer is (B) or (D).",  # hedged: several letters
        "ANSWER: A, C",
        "The answer is (A, B, E).",
        "\\boxed{42}",
        "The correct answer is Elizabeth Loftus.",
    ],
)
def test_unparsed(text: str) -> None:
    assert extract_letter(text, "ABCDEFGHIJ") is None


def test_letter_outside_valid_is_skipped() -> None:
    assert extract_letter("ANSWER: E", "ABCD") is None
    assert extract_letter("The answer is (B). Final line: ANSWER: E", "ABCD") == "B"


def test_answer_line_outranks_boxed_and_phrase_wherever_they_are() -> None:
    text = "ANSWER: C\n\nSome say the answer is (B); others write \\boxed{D}."
    assert extract_letter(text, "ABCD") == "C"
    assert extract_letter("\\boxed{D} but the answer is (B)", "ABCD") == "D"


def test_last_statement_of_a_tier_wins() -> None:
    text = "ANSWER: B\nWait, I misread the question.\nANSWER: C"
    assert extract_letter(text, "ABCD") == "C"
    assert extract_letter("The answer is (A). Then the answer is (D).", "ABCD") == "D"


def test_find_answer_statements_reports_tiers() -> None:
    found = find_answer_statements("the answer is (B)\n\\boxed{C}\nANSWER: D")
    assert [(tier, letter) for tier, _, letter in found] == [
        ("answer_line", "D"),
        ("boxed", "C"),
        ("answer_phrase", "B"),
    ]


_filler = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\\"), max_size=200)


@given(prefix=_filler, letter=st.sampled_from("ABCDEFGH"), zh=st.booleans())
def test_a_final_answer_line_is_always_read(prefix: str, letter: str, zh: bool) -> None:
    line = f"答案：{letter}" if zh else f"ANSWER: {letter}"
    assert extract_letter(f"{prefix}\n{line}", "ABCDEFGH") == letter


@given(text=st.text(max_size=300), valid=st.sampled_from(["AB", "ABCD", LETTERS[:10]]))
def test_result_is_none_or_a_valid_letter(text: str, valid: str) -> None:
    result = extract_letter(text, valid)
    assert result is None or result in valid


@given(text=st.text(alphabet=st.characters(exclude_categories=["Lu"]), max_size=300))
def test_no_capital_letters_means_unparsed(text: str) -> None:
    # NFKC can turn some non-Lu characters into capitals (e.g. "Ⓐ"); keep the property honest
    import unicodedata

    if any(c.isupper() for c in unicodedata.normalize("NFKC", text)):
        return
    assert extract_letter(text) is None


def _tiger_lab_official(text: str) -> str | None:
    """TIGER-Lab's MMLU-Pro runner regexes, verbatim semantics (quadratic on long texts)."""
    import re

    for pattern in (r"answer is \(?([A-J])\)?", r".*[aA]nswer:\s*([A-J])"):
        match = re.search(pattern, text)
        if match:
            return match.group(1)
    match = re.search(r"\b[A-J]\b(?!.*\b[A-J]\b)", text, re.DOTALL)
    return match.group(0) if match else None


_TIGER_PIECES = ["Answer:", "answer:", "answer is (", "answer is ", ")", "A", "B", "J", "K",
                 "x", "Ab", " ", "\n", "The"]  # fmt: skip


@given(st.lists(st.sampled_from(_TIGER_PIECES), max_size=14).map("".join))
def test_tiger_lab_mode_equals_the_official_regexes(text: str) -> None:
    from pytest_qnext.scoring.extract import extract_letter_tiger_lab

    assert extract_letter_tiger_lab(text) == _tiger_lab_official(text)
