"""Think stripping: blocks, lone closing tags, unterminated thinking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.scoring.think import strip_think


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>hmm, B?</think>\n\nANSWER: C", ("ANSWER: C", False)),
        ("<THINK>x</Think>ANSWER: C", ("ANSWER: C", False)),
        ("pre <think>a</think> mid <think>b</think> post", ("pre  mid  post", False)),
        # the chat template opened the block in the prompt: only the closing tag comes back
        ("reasoning without an opening tag</think>\nANSWER: D", ("ANSWER: D", False)),
        ("a</think>b</think>ANSWER: A", ("ANSWER: A", False)),
        ("<think>still thinking when the tokens ran out", ("", True)),
        ("Partial answer <think>more", ("Partial answer", True)),
        ("<think>one</think>ANSWER: B <think>again", ("ANSWER: B", True)),
        ("no thinking at all\n", ("no thinking at all\n", False)),  # untouched: IFEval counts lines
        ("", ("", False)),
    ],
)
def test_cases(text: str, expected: tuple[str, bool]) -> None:
    assert strip_think(text) == expected


_plain = st.text(alphabet=st.characters(exclude_characters="<>"), max_size=80)


@given(before=_plain, thought=_plain, after=_plain)
def test_closed_block_leaves_the_outside_text(before: str, thought: str, after: str) -> None:
    text, unterminated = strip_think(f"{before}<think>{thought}</think>{after}")
    assert unterminated is False
    assert text == (before + after).strip()


@given(before=_plain, thought=_plain)
def test_unterminated_block_is_flagged_and_dropped(before: str, thought: str) -> None:
    text, unterminated = strip_think(f"{before}<think>{thought}")
    assert unterminated is True
    assert text == before.strip()


@given(text=st.text(max_size=200))
def test_output_never_contains_tags(text: str) -> None:
    out, _ = strip_think(text)
    assert "<think>" not in out.lower() and "</think>" not in out.lower()
