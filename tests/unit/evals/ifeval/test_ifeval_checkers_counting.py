"""Unit and property tests: length, content and format checkers (the counting ones)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_qnext.evals.base import DatasetUnavailable
from pytest_qnext.evals.ifeval.checkers import NltkDataMissing, build, configure_nltk
from pytest_qnext.evals.ifeval.checkers.content import NumberPlaceholders
from pytest_qnext.evals.ifeval.checkers.format import (
    MultipleSections,
    count_bullets,
    count_highlights,
)
from pytest_qnext.evals.ifeval.checkers.length import (
    NumberSentences,
    NumberWords,
    count_star_paragraphs,
    first_word_of,
)
from pytest_qnext.evals.ifeval.checkers.text import count_sentences, count_words

FAST = settings(database=None, max_examples=60, deadline=None)
WORD = st.sampled_from(["apple", "river", "stone", "green", "music", "table", "planet", "sun"])
WORDS = st.lists(WORD, min_size=1, max_size=8)
SEPARATORS = st.sampled_from([" ", "  ", ", ", " - ", "\n", "; ", "!? "])


# --- words and sentences --------------------------------------------------------------------


def test_count_words_counts_word_character_runs() -> None:
    assert count_words("Hello, world! It's 2024.") == 5  # Hello world It s 2024
    assert count_words("") == 0
    assert count_words("naïve café_au_lait") == 2


@FAST
@given(st.lists(WORD, max_size=40), SEPARATORS, st.integers(0, 45))
def test_number_words_property(words: list[str], sep: str, threshold: int) -> None:
    text = sep.join(words)
    assert count_words(text) == len(words)
    at_least = NumberWords(threshold, "at least").check(text)
    assert at_least == (len(words) >= threshold)
    assert NumberWords(threshold, "less than").check(text) != at_least


def test_count_sentences_uses_punkt(ifeval_nltk: Path) -> None:
    assert count_sentences("Dr. Smith arrived. He sat down! Did he stay?") == 3
    assert count_sentences("") == 0


@FAST
@given(st.lists(WORDS, max_size=12), st.integers(0, 14))
def test_number_sentences_property(ifeval_nltk: Path, sentences: list[list[str]], n: int) -> None:
    text = " ".join(" ".join(words).capitalize() + "." for words in sentences)
    assert count_sentences(text) == len(sentences)
    at_least = NumberSentences(n, "at least").check(text)
    assert at_least == (len(sentences) >= n)
    assert NumberSentences(n, "less than").check(text) != at_least


def test_missing_punkt_names_nltk_data(
    tmp_path: Path, ifeval_nltk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nltk

    from pytest_qnext.evals.ifeval.checkers import text

    monkeypatch.setattr(text, "BUNDLED_NLTK_DATA", str(tmp_path / "no-bundle"))
    saved = list(nltk.data.path)
    try:
        nltk.data.path[:] = []
        with pytest.raises(NltkDataMissing) as info:
            configure_nltk(str(tmp_path / "empty"))
        assert "NLTK_DATA" in str(info.value)
        assert isinstance(info.value, DatasetUnavailable)  # collection reports it in one line
        assert "punkt_tab" in str(info.value)
        assert "\n" not in str(info.value)
    finally:
        nltk.data.path[:] = saved
        configure_nltk(str(ifeval_nltk))
    assert count_sentences("One. Two.") == 2


def test_bundled_punkt_is_the_last_resort_and_counts_like_the_shared_copy(
    ifeval_nltk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nltk

    text = "Dr. Smith arrived at 5 p.m. on Monday. He left early! Did he? Yes."
    expected = count_sentences(text)  # with the shared copy configured
    monkeypatch.delenv("NLTK_DATA", raising=False)
    saved = list(nltk.data.path)
    try:
        nltk.data.path[:] = []
        configure_nltk(None)
        assert count_sentences(text) == expected
    finally:
        nltk.data.path[:] = saved
        configure_nltk(str(ifeval_nltk))


def test_configure_nltk_reads_env(monkeypatch: pytest.MonkeyPatch, ifeval_nltk: Path) -> None:
    monkeypatch.setenv("NLTK_DATA", str(ifeval_nltk))
    configure_nltk(None)
    assert count_sentences("One. Two. Three.") == 3


# --- paragraphs -----------------------------------------------------------------------------


def test_number_paragraphs_star_separator() -> None:
    checker = build("length_constraints:number_paragraphs", {"num_paragraphs": 3})
    assert checker.check("One.\n***\nTwo.\n***\nThree.")
    assert checker.check("***\nOne.\n***\nTwo.\n***\nThree.\n***")  # empty ends not counted
    assert not checker.check("One.\n***\n\n***\nTwo.\n***\nThree.")  # empty middle fails
    assert not checker.check("One.\n\nTwo.\n\nThree.")


@FAST
@given(st.lists(WORDS, min_size=1, max_size=8), st.booleans(), st.booleans())
def test_star_paragraphs_property(paras: list[list[str]], lead: bool, trail: bool) -> None:
    body = "\n***\n".join(" ".join(p) for p in paras)
    text = ("***\n" if lead else "") + body + ("\n***" if trail else "")
    assert count_star_paragraphs(text) == len(paras)
    if len(paras) >= 2:
        broken = text.replace("\n***\n", "\n***\n \n***\n", 1)
        assert count_star_paragraphs(broken) is None


def test_nth_paragraph_first_word() -> None:
    kwargs = {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "Jasper"}
    checker = build("length_constraints:nth_paragraph_first_word", kwargs)
    assert checker.check("Intro here.\n\n\"Jasper's dog ran.\n\nThe end.")
    assert checker.check("Intro.\n\njasper, yes.\n\nEnd.\n\n\n\n")  # trailing empties ignored
    assert not checker.check("Intro.\n\nJasperine ran.\n\nEnd.")
    assert not checker.check("Intro.\n\nJasper ran.")  # two paragraphs, not three
    assert not checker.check("Intro.\n\n\n\nJasper ran.\n\nEnd.")  # 2nd piece is empty


@FAST
@given(st.lists(WORDS, min_size=1, max_size=7), st.data())
def test_nth_paragraph_first_word_property(paras: list[list[str]], data: st.DataObject) -> None:
    n = data.draw(st.integers(1, len(paras)))
    text = "\n\n".join(" ".join(p) for p in paras)
    assert first_word_of(" ".join(paras[n - 1])) == paras[n - 1][0]
    ok = build(
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": len(paras), "nth_paragraph": n, "first_word": paras[n - 1][0]},
    )
    wrong_count = build("length_constraints:nth_paragraph_first_word",
                        {"num_paragraphs": len(paras) + 1, "nth_paragraph": n,
                         "first_word": paras[n - 1][0]})  # fmt: skip
    assert ok.check(text)
    assert not wrong_count.check(text)


# --- detectable content ---------------------------------------------------------------------


@FAST
@given(st.lists(WORD, max_size=20), st.integers(0, 10), st.integers(0, 12))
def test_placeholders_property(filler: list[str], k: int, threshold: int) -> None:
    text = " ".join(filler + [f"[{w}]" for w in ["name", "address", "date"] * 4][:k])
    assert NumberPlaceholders(threshold).count(text) == k
    assert NumberPlaceholders(threshold).check(text) == (k >= threshold)


def test_placeholders_are_non_greedy() -> None:
    assert NumberPlaceholders(0).count("[a] and [b] [] [c d]") == 4


def test_postscript_markers() -> None:
    ps = build("detectable_content:postscript", {"postscript_marker": "P.S."})
    pps = build("detectable_content:postscript", {"postscript_marker": "P.P.S"})
    assert ps.check("Hello.\n\np.s. see you")
    assert ps.check("Hello. P. S. see you")
    assert not ps.check("Hello. PS see you")
    assert pps.check("Body\nP.P.S. more")
    assert pps.check("Body\nP. P. S more")
    assert not pps.check("Body\nP.S. more")
    other = build("detectable_content:postscript", {"postscript_marker": "Note:"})
    assert other.check("Body\nNOTE: x")


# --- detectable format ----------------------------------------------------------------------


@FAST
@given(st.lists(st.tuples(st.sampled_from(["* ", "- ", "  * ", "\t- ", "-"]), WORD), max_size=12),
       st.lists(WORD, max_size=5))  # fmt: skip
def test_bullet_count_property(bullets: list[tuple[str, str]], prose: list[str]) -> None:
    text = "\n".join([" ".join(prose)] + [mark + word for mark, word in bullets])
    assert count_bullets(text) == len(bullets)
    checker = build("detectable_format:number_bullet_lists", {"num_bullets": len(bullets)})
    assert checker.check(text)
    assert not checker.check(text + "\n* one more")


def test_bullets_ignore_bold_lines() -> None:
    assert count_bullets("**Bold heading**\n* item\n- item") == 2


def test_highlight_counting() -> None:
    assert count_highlights("*one* and *two*") == 2
    assert count_highlights("**bold**") == 1
    assert count_highlights("* * and ** **") == 0  # blank inside
    assert count_highlights("*not\nclosed*") == 0
    assert count_highlights("***both***") == 2  # seen by both patterns


@FAST
@given(st.lists(WORD, max_size=10), st.integers(0, 8), st.integers(0, 10))
def test_highlight_property(filler: list[str], k: int, threshold: int) -> None:
    text = " ".join(filler + [f"*part {i}*" for i in range(k)])
    assert count_highlights(text) == k
    checker = build("detectable_format:number_highlighted_sections", {"num_highlights": threshold})
    assert checker.check(text) == (k >= threshold)


@FAST
@given(st.integers(0, 8), st.sampled_from(["Section", "SECTION", "Day", "PARAGRAPH"]),
       st.integers(0, 9))  # fmt: skip
def test_multiple_sections_property(k: int, splitter: str, threshold: int) -> None:
    text = "Intro.\n" + "".join(f"{splitter} {i + 1}\nBody {'x' * i}.\n" for i in range(k))
    checker = MultipleSections(splitter, threshold)
    assert checker.count(text) == k
    assert checker.check(text) == (k >= threshold)


def test_multiple_sections_is_case_sensitive() -> None:
    checker = build("detectable_format:multiple_sections",
                    {"section_spliter": " Section ", "num_sections": 2})  # fmt: skip
    assert checker.check("Section 1\na\nSection 2\nb")
    assert not checker.check("section 1\na\nsection 2\nb")


def test_constrained_response() -> None:
    checker = build("detectable_format:constrained_response", {})
    assert checker.check("Thinking... My answer is maybe.")
    assert not checker.check("my answer is yes.")
    assert not checker.check("My answer is yes")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ('{"a": 1}', True),
        ('```json\n{"a": [1, 2]}\n```', True),
        ("```JSON\n[1]\n```", True),
        ('```\n"s"\n```', True),
        ('Here: {"a": 1}', False),
        ("{'a': 1}", False),
        ("", False),
        ("[" * 100_000, False),
    ],
)
def test_json_format(text: str, ok: bool) -> None:
    assert build("detectable_format:json_format", {}).check(text) is ok


@FAST
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c,
                                                                        max_size=3),
                    max_leaves=10))  # fmt: skip
def test_json_format_accepts_any_json(value: object) -> None:
    checker = build("detectable_format:json_format", {})
    assert checker.check(json.dumps(value, indent=2))
    assert checker.check("```json\n" + json.dumps(value) + "\n```")


def test_title() -> None:
    checker = build("detectable_format:title", {})
    assert checker.check("<<My Title>>\nBody")
    assert not checker.check("<<   >>\nBody")
    assert not checker.check("<<split\ntitle>>")
    assert not checker.check("<My Title>")
