"""MATH-500: 500 competition problems in five difficulty levels, answers checked with math-verify.

Records (`problem`, `solution`, `answer`, `subject`, `level`, `unique_id`) come from
`<--qnext-data-dir>/math_500/test.jsonl` or, without it, the hub id EvalScope uses (override
with the dataset arg `dataset_id`). Sample id = `unique_id`; subsets are `Level 1` ..
`Level 5` (choose some with `subset_list`). The prompt is EvalScope's zero-shot template, which
asks for the final answer in `\\boxed{}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.sample import Message, Sample, Score
from pytest_qnext.scoring.math import oracle_response, score_math

__all__ = [
    "HUB_ID",
    "LEVELS",
    "PROMPT_TEMPLATE",
    "SPEC",
    "load",
    "oracle",
    "prompt",
    "row_to_sample",
    "score",
]

HUB_ID = "AI-ModelScope/MATH-500"
LOCAL_GLOB = "math_500/test.jsonl"
LEVELS = tuple(f"Level {n}" for n in range(1, 6))
PROMPT_TEMPLATE = (
    "{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}."
)
_REQUIRED = ("problem", "answer", "level", "unique_id")


def _level(raw: Any, where: str) -> str:
    text = str(raw).strip()
    if text.isdigit():
        text = f"Level {int(text)}"
    if text not in LEVELS:
        raise DatasetUnavailable(f"math_500: {where} has level {raw!r}; expected 1-5")
    return text


def row_to_sample(row: Mapping[str, Any]) -> Sample:
    """One MATH-500 record -> Sample (subset = its level)."""
    missing = [c for c in _REQUIRED if row.get(c) in (None, "")]
    where = f"record {row.get('unique_id', '?')!s}"
    if missing:
        raise DatasetUnavailable(f"math_500: {where} lacks {', '.join(missing)}")
    return Sample(
        id=str(row["unique_id"]),
        input=str(row["problem"]),
        target=str(row["answer"]),
        subset=_level(row["level"], where),
        metadata={
            "subject": str(row.get("subject") or ""),
            "solution": str(row.get("solution") or ""),
        },
    )


def load(ctx: LoadContext) -> list[Sample]:
    """All MATH-500 samples in file order (the engine applies `subset_list`)."""
    from pytest_qnext.evals.hub import hub_id_for, load_records

    if ctx.few_shot_num:
        raise DatasetUnavailable("math_500 is zero-shot only; set few_shot_num to 0")
    records = load_records(
        ctx,
        dataset="math_500",
        hub_id=hub_id_for(ctx, HUB_ID),
        subset=None,
        split="test",
        local_glob=LOCAL_GLOB,
    )
    return [row_to_sample(row) for row in records]


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    return [{"role": "user", "content": PROMPT_TEMPLATE.format(question=sample.input)}]


def score(sample: Sample, response: str) -> Score:
    return score_math(response, sample.target)


def oracle(sample: Sample, correct: bool) -> str:
    return oracle_response(sample.target, correct)


SPEC = EvalSpec(
    name="math_500",
    task_type="math",
    primary_metric="acc",
    version="1",
    load=load,
    prompt=prompt,
    score=score,
    metrics=("acc",),
    oracle=oracle,
    hub_id=HUB_ID,
    description="MATH-500 (levels 1-5), zero-shot, \\boxed{} answer checked with math-verify",
)
