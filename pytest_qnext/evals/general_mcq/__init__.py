"""general_mcq: your own multiple-choice questions from a JSONL file.

Each row: `id`, `question`, the options as a `choices` list or as `A`, `B`, `C`, ... fields, and
`answer` (the correct letter; an integer index into the choices also works). The model is asked
to end with `ANSWER: <letter>`; scoring and the simulator's oracle are the shared MCQ ones
(evals/mcq.py: the letter extractor of scoring/extract.py, metric `acc`).
"""

from __future__ import annotations

import string
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.general_mcq.loader import read_rows, required_text
from pytest_qnext.evals.mcq import mcq_spec
from pytest_qnext.sample import Message, Sample

__all__ = ["SPEC", "load", "oracle", "prompt", "score"]

LETTERS = string.ascii_uppercase
EXAMPLE = "my_mcq.jsonl"

_INSTRUCTION = (
    "Answer the multiple-choice question below. Reason briefly if it helps, then finish with "
    "a line of the form 'ANSWER: X', where X is the letter of one option ({letters})."
)


def _choices(record: dict[str, Any], where: str) -> list[str]:
    raw = record.get("choices")
    if raw is not None:
        if not isinstance(raw, list) or not all(isinstance(c, (str, int, float)) for c in raw):
            raise DatasetUnavailable(f"general_mcq: {where}: 'choices' must be a list of strings")
        choices = [str(c) for c in raw]
    else:
        choices = []
        for letter in LETTERS:
            if letter not in record:
                break
            choices.append(str(record[letter]))
    if len(choices) < 2:
        raise DatasetUnavailable(
            f"general_mcq: {where}: needs at least 2 options, as 'choices': [...] or "
            "fields A, B, ..."
        )
    return choices


def _answer(record: dict[str, Any], choices: list[str], where: str) -> str:
    raw = record.get("answer")
    if isinstance(raw, int) and not isinstance(raw, bool):
        if 0 <= raw < len(choices):
            return LETTERS[raw]
    elif isinstance(raw, str):
        letter = raw.strip().upper()
        if len(letter) == 1 and letter in LETTERS[: len(choices)]:
            return letter
    raise DatasetUnavailable(
        f"general_mcq: {where}: 'answer' {raw!r} must be one of the letters "
        f"{LETTERS[0]}-{LETTERS[len(choices) - 1]} (or an index 0-{len(choices) - 1})"
    )


def load(ctx: LoadContext) -> list[Sample]:
    samples = []
    for subset, sample_id, record, where in read_rows("general_mcq", ctx, EXAMPLE):
        question = required_text("general_mcq", record, "question", where)
        choices = _choices(record, where)
        samples.append(
            Sample(
                id=sample_id,
                input=question,
                target=_answer(record, choices, where),
                choices=tuple(choices),
                subset=subset,
            )
        )
    return samples


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    letters = LETTERS[: len(sample.choices)]
    pairs = zip(letters, sample.choices, strict=True)
    options = "\n".join(f"{letter}) {text}" for letter, text in pairs)
    text = f"{_INSTRUCTION.format(letters=', '.join(letters))}\n\n{sample.input}\n\n{options}"
    return [{"role": "user", "content": text}]


SPEC = mcq_spec(
    name="general_mcq",
    load=load,
    prompt=prompt,
    hub_id="",
    description="Custom multiple-choice questions from a JSONL file (local_path)",
)
score = SPEC.score
oracle = SPEC.oracle
