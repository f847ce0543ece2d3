"""The prompt in both flavours (golden against EvalScope's recorded example) and extraction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.evals.base import LoadContext
from pytest_qnext.evals.livecodebench import SPEC
from pytest_qnext.evals.livecodebench.prompt import SYSTEM_MESSAGES, extract_code, user_message
from pytest_qnext.sample import Sample

FENCE = "```"


def _meta(shared_data: Path) -> dict[str, Any]:
    return dict(json.loads((shared_data / "evalscope_meta" / "live_code_bench.json").read_text()))


def test_evalscope_flavour_matches_evalscopes_recorded_prompt(shared_data: Path) -> None:
    meta = _meta(shared_data)
    assert SYSTEM_MESSAGES["evalscope"] == meta["meta"]["system_prompt"]
    example = meta["sample_example"]["data"]["input"][0]["content"]
    head, tail = example.split(" ... [TRUNCATED] ... ")
    question = head.removeprefix("### Question:\n") + " (the rest of the question)"
    message = user_message(question, "", "evalscope")
    assert message.startswith(head) and message.endswith(tail)
    template = meta["meta"]["prompt_template"]
    format_prompt = message.split("\n\n", 2)[2].removesuffix(
        " ### Answer: (use the provided format with backticks)\n\n"
    )
    assert message == template.format(question_content=question, format_prompt=format_prompt)


def test_official_flavour_is_the_runners_current_prompt() -> None:
    system, evalscope_system = SYSTEM_MESSAGES["official"], SYSTEM_MESSAGES["evalscope"]
    assert evalscope_system.startswith(system) and "NOT return anything" not in system
    message = user_message("Q?", "", "official")
    assert "writes output to STDOUT." in message
    assert message.endswith("```\n\n### Answer: (use the provided format with backticks)\n\n")


@pytest.mark.parametrize("flavour", ["evalscope", "official"])
def test_starter_code_is_shown_to_complete(flavour: str) -> None:
    starter = "class Solution:\n    def f(self, x: int) -> int:\n        "
    message = user_message("Q?", starter, flavour)
    assert f"{FENCE}python\n{starter}\n{FENCE}\n\n" in message
    assert "You will use the following starter code" in message
    assert "stdin" not in message


def test_spec_prompt_is_system_then_user(loaded: list[Sample]) -> None:
    sample = next(s for s in loaded if s.metadata["starter_code"])
    messages = SPEC.prompt(sample, LoadContext(data_dir=None, args={}))
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == SYSTEM_MESSAGES["evalscope"]
    assert sample.metadata["starter_code"] in messages[1]["content"]


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (f"Here:\n{FENCE}python\nprint(1)\n{FENCE}\nDone.", "print(1)"),
        (f"{FENCE}python\nfirst()\n{FENCE}\ntext\n{FENCE}py\nsecond()\n{FENCE}", "second()"),
        (f"{FENCE}\nplain()\n{FENCE}", "plain()"),
        (f"{FENCE}python\nunterminated()", ""),
        ("no code at all", ""),
        (f"{FENCE}python\n{FENCE}", ""),
        # any line containing three backticks counts as a fence (the official extract_code):
        # here the last two such lines are adjacent, so nothing is extracted
        (f"{FENCE}python\na = 1\nb = '{FENCE}'\n{FENCE}", ""),
        (f"{FENCE}python\na = 1\nb = '{FENCE}'\nc = 2\n{FENCE}", "c = 2"),
    ],
)
def test_extraction_takes_the_last_fenced_block(response: str, code: str) -> None:
    assert extract_code(response) == code


def test_a_response_without_code_is_unparsed(loaded: list[Sample]) -> None:
    score = SPEC.score(loaded[0], "I would use dynamic programming.")
    assert score.outcome == "unparsed" and score.extracted is None
    assert score.metrics == {"pass@1": (0.0, 1.0)}
    assert score.details["kind"] == "unparsed"
    assert score.details["contest_date"] == loaded[0].metadata["contest_date"]
