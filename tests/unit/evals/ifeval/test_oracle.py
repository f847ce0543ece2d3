"""The IFEval oracle: the recorded answers of the demo prompts, graded by the real scorer.

Every demo prompt has a recording; its right answer passes every instruction (strict and
loose) and its wrong answer fails the prompt, so the simulator's oracle gives IFEval demo
scores near p instead of 0. Prompts without a recording (or whose text differs) are echoed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pytest_qnext.evals.base import LoadContext
from pytest_qnext.evals.hub import DEMO_DATA_DIR
from pytest_qnext.evals.ifeval import SPEC, load, oracle, score
from pytest_qnext.evals.ifeval.oracle import recorded
from pytest_qnext.sample import Sample


@pytest.fixture(scope="module")
def demo_samples(ifeval_nltk: Path) -> list[Sample]:
    return list(load(LoadContext(data_dir=DEMO_DATA_DIR, args={})))


def test_every_demo_prompt_has_a_recording(demo_samples: list[Sample]) -> None:
    assert SPEC.oracle is oracle
    answered = [s.id for s in demo_samples if oracle(s, True) != s.input]
    assert answered == [s.id for s in demo_samples]
    assert len(recorded()) == len(demo_samples)


def test_right_answers_pass_and_wrong_answers_fail(demo_samples: list[Sample]) -> None:
    for sample in demo_samples:
        right, wrong = score(sample, oracle(sample, True)), score(sample, oracle(sample, False))
        assert right.outcome == "pass", (sample.id, right.explanation)
        assert all(num == den for num, den in right.metrics.values()), sample.id
        assert wrong.outcome == "fail", sample.id
        assert wrong.metrics["prompt_level_strict"] == (0, 1), sample.id


def test_a_prompt_without_a_recording_is_echoed(demo_samples: list[Sample]) -> None:
    sample = demo_samples[0]
    changed = replace(sample, input=sample.input + " Answer in French.")
    assert oracle(changed, True) == oracle(changed, False) == changed.input
    unknown = replace(sample, id="no-such-key")
    assert oracle(unknown, True) == unknown.input
