"""Scorer: strict vs loose, the four micro metrics, failure message, purity."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_qnext.evals.ifeval import evaluate, instruction_verdicts, score
from pytest_qnext.evals.ifeval.scorer import loose_variants
from pytest_qnext.sample import Sample


def _sample(ids: list[str], kwargs: list[dict[str, object]]) -> Sample:
    return Sample(
        id="t", input="prompt", target="", metadata={"instruction_id_list": ids, "kwargs": kwargs}
    )


def test_loose_variants_in_reference_order() -> None:
    text = "*intro*\nmiddle **x**\nlast"
    assert loose_variants(text) == (
        text,
        "intro\nmiddle x\nlast",
        "middle **x**\nlast",
        "*intro*\nmiddle **x**",
        "middle **x**",
        "middle x\nlast",
        "intro\nmiddle x",
        "middle x",
    )


def test_loose_accepts_after_dropping_a_preamble_line() -> None:
    sample = _sample(["startend:quotation", "punctuation:no_comma"], [{}, {}])
    response = 'Sure, here it is:\n"A quoted answer."'
    assert instruction_verdicts(sample, response) == [
        ("startend:quotation", False, True),
        ("punctuation:no_comma", False, True),
    ]
    result = score(sample, response)
    assert result.outcome == "fail"
    assert result.metrics == {
        "prompt_level_strict": (0.0, 1.0),
        "inst_level_strict": (0.0, 2.0),
        "prompt_level_loose": (1.0, 1.0),
        "inst_level_loose": (2.0, 2.0),
    }
    assert "startend:quotation" in result.explanation
    assert "punctuation:no_comma" in result.explanation


def test_loose_removes_asterisks() -> None:
    sample = _sample(["change_case:english_capital"], [{}])
    response = "**THIS IS ALL CAPITALS AND ENGLISH TEXT FOR THE READER**"
    assert instruction_verdicts(sample, response) == [("change_case:english_capital", True, True)]
    sample = _sample(["detectable_format:json_format"], [{}])
    assert instruction_verdicts(sample, '**{"a": 1}**') == [
        ("detectable_format:json_format", False, True)
    ]


def test_pass_has_full_metrics_and_no_explanation() -> None:
    sample = _sample(["punctuation:no_comma", "startend:quotation"], [{}, {}])
    result = score(sample, '"no commas at all"')
    assert result.outcome == "pass"
    assert result.explanation == ""
    assert result.metrics["inst_level_strict"] == (2.0, 2.0)
    assert result.metrics["prompt_level_strict"] == (1.0, 1.0)


def test_blank_response_follows_nothing() -> None:
    # no_comma would accept "", but the reference requires a non-blank response
    sample = _sample(["punctuation:no_comma"], [{}])
    for response in ("", "   \n\n "):
        assert instruction_verdicts(sample, response) == [("punctuation:no_comma", False, False)]
        assert score(sample, response).outcome == "fail"


def test_instruction_level_is_micro_over_instructions() -> None:
    """Summing per-sample pairs gives instructions followed / all instructions (not a mean)."""
    one = _sample(["punctuation:no_comma"], [{}])
    three = _sample(["punctuation:no_comma", "startend:quotation", "detectable_format:title"],
                    [{}, {}, {}])  # fmt: skip
    scores = [score(one, "a, b"), score(three, '"<<T>> no commas"')]
    num = sum(s.metrics["inst_level_strict"][0] for s in scores)
    den = sum(s.metrics["inst_level_strict"][1] for s in scores)
    assert (num, den) == (3.0, 4.0)  # micro 0.75; a per-prompt (macro) mean would be 0.5


def test_misaligned_metadata_is_a_clear_error() -> None:
    from pytest_qnext.evals.ifeval import InstructionError

    with pytest.raises(InstructionError, match="pair up"):
        evaluate(["punctuation:no_comma"], [{}, {}], "x")
    with pytest.raises(InstructionError, match="lacks metadata"):
        score(Sample(id="x", input="p", target=""), "x")


WORDS = st.lists(st.sampled_from(["Alpha", "beta", "*gamma*", "DELTA", ",", "\n", '"', "."]),
                 max_size=30)  # fmt: skip


@settings(database=None, max_examples=40, deadline=None)
@given(WORDS)
def test_scorer_is_a_pure_function_of_the_text(ifeval_nltk: Path, words: list[str]) -> None:
    sample = _sample(
        ["punctuation:no_comma", "length_constraints:number_sentences",
         "detectable_format:number_highlighted_sections", "startend:quotation"],
        [{}, {"num_sentences": 2, "relation": "at least"}, {"num_highlights": 1}, {}],
    )  # fmt: skip
    text = " ".join(words)
    first = score(sample, text)
    assert score(sample, text) == first
    strict = [v[1] for v in instruction_verdicts(sample, text)]
    loose = [v[2] for v in instruction_verdicts(sample, text)]
    assert all(lo or not st_ for st_, lo in zip(strict, loose, strict=True))  # strict => loose
    assert first.metrics["inst_level_strict"] == (float(sum(strict)), 4.0)


def test_thinking_left_in_the_text_changes_the_score() -> None:
    """The scorer judges exactly the text it gets: the engine must strip <think> first."""
    sample = _sample(
        ["punctuation:no_comma", "change_case:english_lowercase", "startend:quotation"],
        [{}, {}, {}],
    )
    final = '"all lowercase words here and nothing else to see in this english sentence"'
    thinking = "<think>\nOkay, The User wants QUOTES, and no commas, So...\n</think>\n\n" + final
    assert score(sample, final).outcome == "pass"
    assert score(sample, final) == score(sample, final)
    assert score(sample, thinking).outcome == "fail"
    assert score(sample, thinking).metrics["inst_level_strict"] == (0.0, 3.0)
