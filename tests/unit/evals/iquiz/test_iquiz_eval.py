"""iQuiz: loader on the offline rows, prompt and extraction against EvalScope's own reviews."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_qnext.evals.base import LoadContext
from pytest_qnext.evals.hub import BadDatasetArgs
from pytest_qnext.evals.iquiz import SPEC
from pytest_qnext.scoring.think import strip_think

VIZ = Path("responses/evalscope_examples/6dfd4bd141d4/examples/viz")


def _reviews(shared_data: Path) -> list[tuple[str, dict[str, object]]]:
    out = []
    for path in sorted((shared_data / VIZ).glob("*/reviews/*/iquiz_*.jsonl")):
        subset = path.stem.split("_", 1)[1]
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                out.append((subset, json.loads(line)))
    return out


def test_loader_counts_and_ids(shared_data: Path) -> None:
    samples = SPEC.load(LoadContext(shared_data, {}))
    assert len(samples) == 20
    assert [s.id for s in samples[:2]] == ["IQ/0", "IQ/1"]
    assert sum(s.subset == "EQ" for s in samples) == 10
    assert all(s.target in "ABCD"[: len(s.choices)] for s in samples)
    only_eq = SPEC.load(LoadContext(shared_data, {"subset_list": ["EQ"]}))
    assert [s.id for s in only_eq] == [f"EQ/{i}" for i in range(10)]


def test_prompt_is_evalscopes(shared_data: Path) -> None:
    ctx = LoadContext(shared_data, {})
    samples = {s.id: s for s in SPEC.load(ctx)}
    checked = 0
    for subset, review in _reviews(shared_data):
        sample = samples[f"{subset}/{review['index']}"]
        assert sample.target == review["target"]
        messages = review["messages"]
        assert isinstance(messages, list)
        assert SPEC.prompt(sample, ctx)[0]["content"] == messages[0]["content"]
        checked += 1
    assert checked == 40


def test_extraction_agrees_with_evalscope(shared_data: Path) -> None:
    ctx = LoadContext(shared_data, {})
    samples = {s.id: s for s in SPEC.load(ctx)}
    compared = agreed = 0
    for subset, review in _reviews(shared_data):
        score_info = review["sample_score"]["score"]  # type: ignore[index]
        theirs = score_info["extracted_prediction"]
        if not theirs:
            continue
        text, _ = strip_think(score_info["prediction"])
        score = SPEC.score(samples[f"{subset}/{review['index']}"], text)
        compared += 1
        agreed += score.extracted == theirs
        assert (score.outcome == "pass") == (score_info["value"]["acc"] == 1.0)
    print(f"\niquiz: {agreed}/{compared} extracted letters equal EvalScope's")
    assert agreed == compared > 0  # each review has a prediction: test_shared_data.py


def test_bad_args_are_one_line(shared_data: Path) -> None:
    with pytest.raises(BadDatasetArgs, match=r"unknown subset\(s\) XQ .* valid: IQ, EQ"):
        SPEC.load(LoadContext(shared_data, {"subset_list": ["XQ"]}))
    with pytest.raises(BadDatasetArgs, match="few_shot_num must be 0"):
        SPEC.load(LoadContext(shared_data, {"few_shot_num": 3}))


def test_oracle_grades_as_intended(shared_data: Path) -> None:
    for sample in SPEC.load(LoadContext(shared_data, {})):
        assert SPEC.oracle is not None
        assert SPEC.score(sample, SPEC.oracle(sample, True)).outcome == "pass"
        assert SPEC.score(sample, SPEC.oracle(sample, False)).outcome == "fail"
