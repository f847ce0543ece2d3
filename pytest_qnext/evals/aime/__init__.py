"""AIME 2024 and AIME 2025 (30 problems each); the answer is an integer 0-999.

Records come from `<--qnext-data-dir>/aime24/test.jsonl` / `aime25/test.jsonl` (schema: `id`,
`problem`, `answer`, aime24 also `solution`, `url`) or, without it, the hub ids EvalScope uses
(override with the dataset arg `dataset_id`). Sample id = `id` as a string. The target is the
integer answer with zero padding removed; a hub copy whose answer is `\\boxed{204}` (EvalScope's
aime24 target) or that only has a `solution` ending in `\\boxed{}` is normalised the same way.
The prompt is EvalScope's zero-shot template, which asks for the answer inside `\\boxed{}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.sample import Message, Sample, Score
from pytest_qnext.scoring.math import normalize_integer, oracle_response, score_integer

__all__ = [
    "AIME24",
    "AIME25",
    "HUB_IDS",
    "PROMPT_TEMPLATE",
    "load",
    "oracle",
    "prompt",
    "row_to_sample",
    "score",
]

HUB_IDS = {"aime24": "evalscope/aime24", "aime25": "evalscope/aime25"}
PROMPT_TEMPLATE = (
    "\nSolve the following math problem step by step. Put your answer inside \\boxed{{}}.\n\n"
    "{question}\n\nRemember to put your answer inside \\boxed{{}}."
)


def _target(dataset: str, row: Mapping[str, Any], where: str) -> str:
    for column in ("answer", "solution"):
        raw = row.get(column)
        if raw is None or str(raw).strip() == "":
            continue
        value = normalize_integer(str(raw))
        if value is not None:
            return value
        if column == "answer":
            raise DatasetUnavailable(
                f"{dataset}: {where} has answer {str(raw)[:40]!r}; AIME answers are integers"
            )
    raise DatasetUnavailable(f"{dataset}: {where} has no integer 'answer' (or boxed 'solution')")


def row_to_sample(dataset: str, row: Mapping[str, Any]) -> Sample:
    """One AIME record -> Sample with id `str(id)` and an integer-string target."""
    raw_id = row.get("id")
    if raw_id is None or str(raw_id) == "":
        raise DatasetUnavailable(f"{dataset}: a record has no 'id'; every AIME row needs one")
    where = f"record id {raw_id}"
    problem = row.get("problem")
    if not isinstance(problem, str) or not problem.strip():
        raise DatasetUnavailable(f"{dataset}: {where} has no 'problem' text")
    metadata = {k: str(row[k]) for k in ("url",) if row.get(k)}
    return Sample(
        id=str(raw_id),
        input=problem,
        target=_target(dataset, row, where),
        metadata=metadata,
    )


def load(dataset: str, ctx: LoadContext) -> list[Sample]:
    """All samples of `dataset` ("aime24" or "aime25"), in file order."""
    from pytest_qnext.evals.hub import hub_id_for, load_records

    if ctx.few_shot_num:
        raise DatasetUnavailable(f"{dataset} is zero-shot only; set few_shot_num to 0")
    records = load_records(
        ctx,
        dataset=dataset,
        hub_id=hub_id_for(ctx, HUB_IDS[dataset]),
        subset=None,
        split="test",
        local_glob=f"{dataset}/test.jsonl",
    )
    return [row_to_sample(dataset, row) for row in records]


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    return [{"role": "user", "content": PROMPT_TEMPLATE.format(question=sample.input)}]


def score(sample: Sample, response: str) -> Score:
    return score_integer(response, sample.target)


def oracle(sample: Sample, correct: bool) -> str:
    return oracle_response(sample.target, correct, integer=True)


def _spec(name: str, year: str) -> EvalSpec:
    return EvalSpec(
        name=name,
        task_type="math",
        primary_metric="acc",
        version="1",
        load=partial(load, name),
        prompt=prompt,
        score=score,
        metrics=("acc",),
        oracle=oracle,
        hub_id=HUB_IDS[name],
        description=f"AIME {year} (30 problems), zero-shot, integer answer in \\boxed{{}}",
    )


AIME24 = _spec("aime24", "2024")
AIME25 = _spec("aime25", "2025")
