"""Unit tests: keyword, language, case, punctuation, start/end and combination checkers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_qnext.evals.ifeval.checkers import INSTRUCTION_IDS, InstructionError, build
from pytest_qnext.evals.ifeval.checkers.case import CapitalWordFrequency
from pytest_qnext.evals.ifeval.checkers.keywords import KeywordFrequency, LetterFrequency

FAST = settings(database=None, max_examples=60, deadline=None)
LOWER_WORDS = st.sampled_from(["apple", "river", "stone", "green", "music", "table", "planet"])


def test_registry_has_the_25_instruction_ids() -> None:
    assert len(INSTRUCTION_IDS) == 25
    families = {iid.split(":")[0] for iid in INSTRUCTION_IDS}
    assert families == {
        "keywords", "language", "length_constraints", "detectable_content",
        "detectable_format", "combination", "startend", "change_case", "punctuation",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("iid", "kwargs", "needle"),
    [
        ("keywords:nope", {}, "unknown IFEval instruction id 'keywords:nope'"),
        ("keywords:frequency", {"keyword": "a", "relation": "at least"}, "'frequency'"),
        ("keywords:frequency", {"keyword": "a", "frequency": 2, "relation": "most"}, "'most'"),
        ("keywords:frequency", {"keyword": "a", "frequency": "2", "relation": "at least"},
         "must be an integer"),
        ("keywords:existence", {"keywords": "abc"}, "list of strings"),
        ("keywords:existence", {"keywords": ["(unclosed"]}, "not a valid regular expression"),
        ("keywords:letter_frequency",
         {"letter": "ab", "let_frequency": 1, "let_relation": "at least"}, "one character"),
        ("punctuation:no_comma", {"num_words": 3}, "unexpected kwargs ['num_words']"),
        ("length_constraints:nth_paragraph_first_word",
         {"num_paragraphs": 2, "nth_paragraph": 0, "first_word": "x"}, ">= 1"),
    ],
)  # fmt: skip
def test_bad_kwargs_raise_one_line(iid: str, kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(InstructionError) as info:
        build(iid, kwargs)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message


def test_none_kwargs_are_ignored_like_arrow_nulls() -> None:
    checker = build("punctuation:no_comma", {"num_words": None, "keyword": None})
    assert checker.check("no commas here")


# --- keywords -------------------------------------------------------------------------------


def test_keyword_existence_is_case_insensitive_regex_search() -> None:
    checker = build("keywords:existence", {"keywords": ["Talented", "tianjin"]})
    assert checker.check("A TALENTED chef from Tianjin.")
    assert checker.check("untalented people in tianjinese towns")  # substring search
    assert not checker.check("A talented chef.")


def test_keyword_frequency_counts_regex_matches() -> None:
    at_least = build("keywords:frequency", {"keyword": " dog ", "frequency": 3,
                                             "relation": "at least"})  # fmt: skip
    assert at_least.check("Dog dog DOGS")  # stripped keyword, case-insensitive, substrings
    assert not at_least.check("dog dog cat")
    less = build("keywords:frequency", {"keyword": "dog", "frequency": 3, "relation": "less than"})
    assert less.check("dog dog cat")
    assert not less.check("dog dog dog")


@FAST
@given(st.lists(LOWER_WORDS, max_size=30), st.integers(0, 12), st.integers(0, 15))
def test_keyword_frequency_count_property(filler: list[str], k: int, threshold: int) -> None:
    text = " ".join(filler + ["Zebra"] * k)
    at_least = KeywordFrequency("zebra", threshold, "at least")
    less = KeywordFrequency("zebra", threshold, "less than")
    assert at_least.count(text) == k
    assert at_least.check(text) == (k >= threshold)
    assert less.check(text) != at_least.check(text)


def test_forbidden_words_use_word_boundaries() -> None:
    checker = build("keywords:forbidden_words", {"forbidden_words": ["nice", "good"]})
    assert checker.check("Nicely done; goodness me.")
    assert not checker.check("That is NICE.")
    assert not checker.check("good")


def test_letter_frequency_counts_lower_cased_letter() -> None:
    checker = build("keywords:letter_frequency",
                    {"letter": "Z", "let_frequency": 3, "let_relation": "at least"})  # fmt: skip
    assert checker.check("Zz z")
    assert not checker.check("zz")


def test_letter_frequency_counts_a_non_letter_literally() -> None:
    # rows 1122 ('#') and 1129 ('!'): the original reference draws a random letter instead
    checker = build("keywords:letter_frequency",
                    {"letter": "#", "let_frequency": 4, "let_relation": "at least"})  # fmt: skip
    assert checker.check("#a #b #c #d")
    assert not checker.check("#a #b #c")


@FAST
@given(st.text(max_size=200), st.sampled_from("abcxyz"), st.integers(0, 20))
def test_letter_frequency_property(text: str, letter: str, threshold: int) -> None:
    at_least = LetterFrequency(letter, threshold, "at least")
    less = LetterFrequency(letter, threshold, "less than")
    count = at_least.count(text)
    assert count == sum(1 for ch in text.lower() if ch == letter)
    assert at_least.count(text + letter.upper()) == count + 1
    assert at_least.check(text) == (count >= threshold)
    assert less.check(text) != at_least.check(text)


# --- language and case ----------------------------------------------------------------------

ENGLISH = "The weather today is lovely and we are going for a long walk in the park."
GERMAN = "Das Wetter ist heute sehr schön und wir gehen im Park lange spazieren."


def test_response_language_uses_langdetect() -> None:
    assert build("language:response_language", {"language": "de"}).check(GERMAN)
    assert not build("language:response_language", {"language": "de"}).check(ENGLISH)
    assert build("language:response_language", {"language": "en"}).check(ENGLISH)


def test_undetectable_language_counts_as_followed() -> None:
    # langdetect finds no features in digits/punctuation: the reference returns True
    assert build("language:response_language", {"language": "fr"}).check("12345 !!! ...")
    # lower-case letters outside langdetect's profiles (IPA, circled letters): undecided
    assert build("change_case:english_lowercase", {}).check("ɐɐ 12 ⓐⓑ")
    assert not build("change_case:english_capital", {}).check("ɐɐ 12 ⓐⓑ")  # not upper


def test_english_lowercase_and_capital() -> None:
    lower = build("change_case:english_lowercase", {})
    upper = build("change_case:english_capital", {})
    assert lower.check(ENGLISH.lower())
    assert not lower.check(ENGLISH)
    assert not lower.check(GERMAN.lower())  # lowercase but not English
    assert upper.check(ENGLISH.upper())
    assert not upper.check(ENGLISH)
    assert not upper.check(GERMAN.upper())


def test_capital_word_frequency_counts_nltk_tokens(ifeval_nltk: Path) -> None:
    checker = build("change_case:capital_word_frequency",
                    {"capital_frequency": 2, "capital_relation": "at least"})  # fmt: skip
    assert checker.check("The NASA and ESA teams met.")
    assert not checker.check("The NASA team met. It was Fine.")
    assert CapitalWordFrequency(0, "at least").count("I said NO, don't!") == 2  # "I", "NO"


@FAST
@given(st.lists(LOWER_WORDS, max_size=20), st.lists(LOWER_WORDS, max_size=10))
def test_capital_word_frequency_property(
    ifeval_nltk: Path, lower: list[str], upper: list[str]
) -> None:
    words = lower + [w.upper() for w in upper]
    text = " ".join(words) + "."
    assert CapitalWordFrequency(0, "at least").count(text) == len(upper)
    for threshold in (len(upper), len(upper) + 1):
        less = CapitalWordFrequency(threshold, "less than").check(text)
        assert less == (len(upper) < threshold)


# --- punctuation, start/end, combination ----------------------------------------------------


def test_no_comma() -> None:
    checker = build("punctuation:no_comma", {})
    assert checker.check("one two three")
    assert not checker.check("one, two")
    assert checker.check("full width，comma")  # only U+002C counts


def test_end_checker_strips_whitespace_and_quotes_and_case() -> None:
    checker = build("startend:end_checker", {"end_phrase": " Any other questions? "})
    assert checker.check('Hello.\nany OTHER questions?"  \n')
    assert not checker.check("Any other questions? Thanks.")


def test_quotation_wraps_whole_response() -> None:
    checker = build("startend:quotation", {})
    assert checker.check('  "Quoted answer."\n')
    assert not checker.check('"')
    assert not checker.check('"Half quoted.')


def test_repeat_prompt_is_case_insensitive_prefix() -> None:
    checker = build("combination:repeat_prompt", {"prompt_to_repeat": "Write a Poem. "})
    assert checker.check("  write a poem. Roses are red.")
    assert not checker.check("Sure! Write a poem.")


def test_two_responses() -> None:
    checker = build("combination:two_responses", {})
    assert checker.check("First answer.\n******\nSecond answer.")
    assert checker.check("******\nFirst.\n******\nSecond.\n******")  # empty ends are fine
    assert not checker.check("Same.\n******\nSame.  ")
    assert not checker.check("One.\n******\n\n******\nTwo.")  # empty middle piece
    assert not checker.check("One.\n******\nTwo.\n******\nThree.")


@FAST
@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_two_responses_property(first: str, second: str) -> None:
    first, second = first.replace("*", ""), second.replace("*", "")
    checker = build("combination:two_responses", {})
    expected = bool(first.strip()) and bool(second.strip()) and first.strip() != second.strip()
    assert checker.check(f"{first}******{second}") == expected
