"""plan_generation: max/min tokens, ignore_eos, stop strings (properties with hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.sim.generation import CONTENT, REASONING, plan_generation

pieces = st.lists(st.text(alphabet="ab c.", min_size=1, max_size=3), max_size=30)


@given(pieces, st.integers(1, 60))
def test_ignore_eos_emits_exactly_max_tokens(answer: list[str], max_tokens: int) -> None:
    plan = plan_generation([], answer, max_tokens=max_tokens, ignore_eos=True, filler=" x")
    assert plan.completion_tokens == max_tokens
    assert plan.finish_reason == "length"
    text = "".join(answer)
    assert plan.content.startswith(text[: len(plan.content)])
    if len(answer) < max_tokens:
        assert plan.content == text + " x" * (max_tokens - len(answer))


@given(pieces, st.integers(1, 60), st.integers(0, 60))
def test_without_ignore_eos(answer: list[str], max_tokens: int, min_tokens: int) -> None:
    plan = plan_generation([], answer, max_tokens=max_tokens, min_tokens=min_tokens, filler=" x")
    n = len(answer)
    expected = min(max(n, min_tokens), max_tokens)
    assert plan.completion_tokens == expected
    assert plan.finish_reason == ("stop" if expected < max_tokens else "length")
    assert plan.content == "".join(answer[:expected]) + " x" * max(0, expected - n)


@given(pieces, st.text(alphabet="ab c.", min_size=1, max_size=3), st.integers(1, 60))
def test_stop_string_cuts_before_first_occurrence(
    answer: list[str], stop: str, max_tokens: int
) -> None:
    plan = plan_generation([], answer, max_tokens=max_tokens, stop=[stop], filler=" x")
    unlimited = plan_generation([], answer, max_tokens=max_tokens, filler=" x")
    full = unlimited.content
    if stop in full:
        assert plan.content == full[: full.index(stop)]
        assert plan.finish_reason == "stop"
        assert plan.stop_reason == stop
        # the token that completed the stop string is the last one counted
        consumed = "".join(t for _, t in unlimited.tokens[: plan.completion_tokens])
        assert stop in consumed
        assert stop not in "".join(t for _, t in unlimited.tokens[: plan.completion_tokens - 1])
    else:
        assert plan == unlimited


def test_reasoning_comes_first_and_counts() -> None:
    plan = plan_generation(["Let", " me", " think"], ["4"], max_tokens=10)
    assert plan.tokens == (
        (REASONING, "Let"),
        (REASONING, " me"),
        (REASONING, " think"),
        (CONTENT, "4"),
    )
    assert plan.reasoning == "Let me think"
    assert plan.content == "4"
    assert plan.finish_reason == "stop"
    cut = plan_generation(["Let", " me", " think"], ["4"], max_tokens=2)
    assert cut.content == ""
    assert cut.finish_reason == "length"
    # stop strings look at content only
    assert plan_generation(["me"], ["ok"], max_tokens=5, stop=["me"]).content == "ok"


def test_stop_spanning_tokens() -> None:
    plan = plan_generation([], ["ab", "cd", "ef"], max_tokens=10, stop=["bc"])
    assert plan.content == "a"
    assert plan.completion_tokens == 2
    assert plan.stop_reason == "bc"
