"""iQuiz loader and prompt.

Sample id = `<subset>/<row index>` (from 0 within IQ or EQ); subset = "IQ" or "EQ"; target =
`answer` (a letter). Local layout: `iquiz/IQ.jsonl`, `iquiz/EQ.jsonl`. Zero-shot only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.hub import hub_id_for, load_records, present_subsets
from pytest_qnext.evals.mcq import check_few_shot, check_subsets, letters_for, user_prompt
from pytest_qnext.sample import Message, Sample

__all__ = ["HUB_ID", "SUBSETS", "load", "prompt", "row_to_sample"]

HUB_ID = "AI-ModelScope/IQuiz"
SUBSETS = ("IQ", "EQ")
_LAYOUT = "iquiz/IQ.jsonl and iquiz/EQ.jsonl (question, choices, answer letter, level)"


def row_to_sample(subset: str, index: int, row: Mapping[str, Any]) -> Sample:
    """Row `index` of `subset` -> Sample."""
    choices = row.get("choices")
    answer = str(row.get("answer") or "").strip()
    where = f"iquiz: {subset} row {index}"
    if not isinstance(choices, list) or len(choices) < 2:
        raise DatasetUnavailable(f"{where} needs a list of at least 2 choices")
    if answer not in letters_for(len(choices)):
        raise DatasetUnavailable(
            f"{where} has answer {answer!r} outside its {len(choices)} choices"
        )
    level = row.get("level")
    return Sample(
        id=f"{subset}/{index}",
        input=str(row.get("question") or ""),
        target=answer,
        choices=tuple(str(c) for c in choices),
        subset=subset,
        metadata={"level": level if isinstance(level, int) else None},
    )


def load(ctx: LoadContext) -> list[Sample]:
    """IQ then EQ (or the requested subsets), rows in dataset order."""
    subsets = check_subsets("iquiz", ctx, SUBSETS)
    check_few_shot("iquiz", ctx, 0)
    subsets = present_subsets(
        ctx, dataset="iquiz", subsets=subsets, local_glob="iquiz/{subset}.jsonl"
    )
    samples: list[Sample] = []
    for subset in subsets:
        records = load_records(
            ctx,
            dataset="iquiz",
            hub_id=hub_id_for(ctx, HUB_ID),
            subset=subset,
            split="test",
            local_glob=f"iquiz/{subset}.jsonl",
            layout=_LAYOUT,
        )
        samples.extend(row_to_sample(subset, i, r) for i, r in enumerate(records))
    return samples


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    """EvalScope's iQuiz template (Chinese, "问题：…\\n选项：\\n A) …", 答案：X)."""
    return [{"role": "user", "content": user_prompt(sample, layout="labelled", lang="zh")}]
