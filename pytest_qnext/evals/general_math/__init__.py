"""general_math: your own math problems from JSONL, scored like MATH-500.

Each row: `id`, `problem`, `answer` (LaTeX or a number, e.g. `\\frac{3}{4}`, `[1, 2)`, `12`).
Point the dataset arg `local_path` at a `.jsonl` file (subset "default") or a directory of
them (one subset per file stem; sample ids are then `<subset>/<id>`):

    --qnext-dataset-args '{"general_math": {"local_path": "my_math.jsonl"}}'

The prompt asks for the final answer in `\\boxed{}`; the answer is checked with the same
extraction and math-verify equivalence as MATH-500 (metric `acc`).
"""

from __future__ import annotations

from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.evals.general_mcq.loader import read_rows, required_text
from pytest_qnext.evals.math_500 import PROMPT_TEMPLATE, oracle, prompt, score
from pytest_qnext.sample import Sample

__all__ = ["PROMPT_TEMPLATE", "SPEC", "load", "oracle", "prompt", "score"]

EXAMPLE = "my_math.jsonl"


def _text(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None


def load(ctx: LoadContext) -> list[Sample]:
    """Every row of the `local_path` file(s) in file order (the engine applies `subset_list`)."""
    samples: list[Sample] = []
    for subset, sample_id, record, where in read_rows("general_math", ctx, EXAMPLE):
        problem = required_text("general_math", record, "problem", where)
        answer = _text(record.get("answer"))
        if answer is None:
            raise DatasetUnavailable(
                f"general_math: {where}: 'answer' must be a non-empty string or number"
            )
        samples.append(Sample(id=sample_id, input=problem, target=answer, subset=subset))
    if not samples:
        raise DatasetUnavailable("general_math: the local_path file(s) hold no rows")
    return samples


SPEC = EvalSpec(
    name="general_math",
    task_type="math",
    primary_metric="acc",
    version="1",
    load=load,
    prompt=prompt,
    score=score,
    metrics=("acc",),
    oracle=oracle,
    description="custom math problems (JSONL id, problem, answer), \\boxed{} + math-verify",
)
