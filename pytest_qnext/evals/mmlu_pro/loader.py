"""MMLU-Pro loader and prompt.

Sample id = `question_id`; subset = `category`; target = the `answer` letter (the field the
official runner compares with; one upstream row, question 3983, has an `answer_index` that
disagrees with it and is kept as the official data has it). Zero-shot by default; `few_shot_num`
1-5 prepends that many chain-of-thought exemplars of the same category from the `validation`
split (local file `mmlu_pro/validation.jsonl`, or the hub).

Dataset arg `extraction`: "default" (our documented answer-line extraction) or "tiger_lab" (the
official runner's regex chain, without its random-letter fallback) for figures comparable with
TIGER-Lab's leaderboard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.hub import BadDatasetArgs, hub_id_for, load_records
from pytest_qnext.evals.mcq import (
    check_few_shot,
    check_subsets,
    format_choices,
    letters_for,
    user_prompt,
)
from pytest_qnext.sample import Message, Sample

__all__ = ["CATEGORIES", "EXTRACTION_MODES", "HUB_ID", "load", "prompt", "row_to_sample"]

EXTRACTION_MODES = ("default", "tiger_lab")

HUB_ID = "TIGER-Lab/MMLU-Pro"
CATEGORIES = (
    "computer science", "math", "chemistry", "engineering", "law", "biology", "health",
    "physics", "business", "philosophy", "economics", "other", "psychology", "history",
)  # fmt: skip
_LAYOUT = "mmlu_pro/test.jsonl (and validation.jsonl for few-shot), TIGER-Lab/MMLU-Pro schema"


def row_to_sample(row: Mapping[str, Any]) -> Sample:
    """One MMLU-Pro record -> Sample; a malformed record -> DatasetUnavailable naming it."""
    qid = row.get("question_id")
    options = row.get("options")
    answer = row.get("answer")
    if qid is None or not isinstance(options, list) or not isinstance(answer, str):
        raise DatasetUnavailable(
            f"mmlu_pro: record question_id={qid!r} lacks question_id, options (list) or answer"
        )
    choices = tuple(str(o) for o in options)
    if answer not in letters_for(choices):
        raise DatasetUnavailable(
            f"mmlu_pro: question_id {qid} has answer {answer!r} outside its {len(choices)} options"
        )
    return Sample(
        id=str(qid),
        input=str(row.get("question") or ""),
        target=answer,
        choices=choices,
        subset=str(row.get("category") or "other"),
        metadata={
            "src": str(row.get("src") or ""),
            "cot_content": str(row.get("cot_content") or ""),
        },
    )


def _records(ctx: LoadContext, split: str) -> list[dict[str, Any]]:
    return load_records(
        ctx,
        dataset="mmlu_pro",
        hub_id=hub_id_for(ctx, HUB_ID),
        subset=None,
        split=split,
        local_glob=f"mmlu_pro/{split}.jsonl",
        layout=_LAYOUT,
    )


def load(ctx: LoadContext) -> list[Sample]:
    """The test split in file order; few-shot exemplars (if any) go into sample metadata."""
    subsets = set(check_subsets("mmlu_pro", ctx, CATEGORIES))
    shots = check_few_shot("mmlu_pro", ctx, 5)
    extraction = str(ctx.args.get("extraction", "default"))
    if extraction not in EXTRACTION_MODES:
        raise BadDatasetArgs(
            f"mmlu_pro: extraction {extraction!r} is not valid; use one of: "
            f"{', '.join(EXTRACTION_MODES)}"
        )
    samples = [row_to_sample(r) for r in _records(ctx, "test")]
    samples = [s for s in samples if s.subset in subsets]
    if extraction != "default":
        samples = [replace(s, metadata={**s.metadata, "extraction": extraction}) for s in samples]
    if not shots:
        return samples
    exemplars: dict[str, list[Sample]] = {}
    for sample in (row_to_sample(r) for r in _records(ctx, "validation")):
        exemplars.setdefault(sample.subset, []).append(sample)
    out = []
    for sample in samples:
        shots_for = tuple(exemplars.get(sample.subset, [])[:shots])
        if len(shots_for) < shots:
            raise DatasetUnavailable(
                f"mmlu_pro: validation split has {len(shots_for)} exemplars for category "
                f"{sample.subset!r}, few_shot_num={shots} needs {shots}"
            )
        out.append(_with_shots(sample, shots_for))
    return out


def _with_shots(sample: Sample, shots: Sequence[Sample]) -> Sample:
    text = "\n\n".join(_exemplar(s) for s in shots)
    meta = dict(sample.metadata)
    meta["few_shot"] = text
    return Sample(sample.id, sample.input, sample.target, sample.choices, sample.subset, meta)


def _exemplar(sample: Sample) -> str:
    cot = str(sample.metadata.get("cot_content", "")).strip()
    if cot.startswith("A:"):
        cot = cot[2:].strip()
    choices = format_choices(sample.choices)
    return f"Question:\n{sample.input}\nOptions:\n{choices}\nAnswer: {cot}\nANSWER: {sample.target}"


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    """EvalScope's MMLU-Pro template: zero-shot, or its few-shot header + exemplars."""
    body = user_prompt(sample, layout="labelled")
    shots = str(sample.metadata.get("few_shot", ""))
    if shots:
        head = (
            f"The following are multiple choice questions (with answers) about {sample.subset}. "
            "Think step by step and then finish your answer with 'ANSWER: [LETTER]' (without "
            "quotes) where [LETTER] is the correct letter choice.\n\n"
        )
        body = f"{head}{shots}\n{body}"
    return [{"role": "user", "content": body}]
