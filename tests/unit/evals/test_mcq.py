"""Shared multiple-choice helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.evals.base import LoadContext
from pytest_qnext.evals.hub import BadDatasetArgs
from pytest_qnext.evals.mcq import (
    check_few_shot,
    format_choices,
    letters_for,
    oracle_response,
    score_letter,
    wrong_letter,
)
from pytest_qnext.sample import Sample


def test_letters_and_choices() -> None:
    assert letters_for(["x", "y", "z"]) == "ABC"
    assert format_choices(["x", "y"]) == "A) x\nB) y"
    assert format_choices(["x", "y"], ". ") == "A. x\nB. y"
    with pytest.raises(ValueError, match="2 to 26"):
        letters_for(1)


@given(n=st.integers(2, 10), data=st.data(), lang=st.sampled_from(["en", "zh"]))
def test_oracle_round_trips_through_the_scorer(n: int, data: st.DataObject, lang: str) -> None:
    target = data.draw(st.sampled_from("ABCDEFGHIJ"[:n]))
    sample = Sample("q", "question", target, tuple(f"c{i}" for i in range(n)))
    assert wrong_letter(sample) != target
    right = score_letter(sample, oracle_response(sample, True, lang))  # type: ignore[arg-type]
    wrong = score_letter(sample, oracle_response(sample, False, lang))  # type: ignore[arg-type]
    assert (right.outcome, right.extracted) == ("pass", target)
    assert (wrong.outcome, wrong.extracted) == ("fail", wrong_letter(sample))


@pytest.mark.parametrize("value", [-1, 6, "two", True, 2.5])
def test_few_shot_num_validation(value: object) -> None:
    with pytest.raises(BadDatasetArgs, match=r"few_shot_num must be an integer from 0 to 5"):
        check_few_shot("x", LoadContext(None, {"few_shot_num": value}), 5)
    assert check_few_shot("x", LoadContext(None, {"few_shot_num": "3"}), 5) == 3
