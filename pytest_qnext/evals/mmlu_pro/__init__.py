"""MMLU-Pro: 12,032 ten-option questions in 14 categories (TIGER-Lab/MMLU-Pro, test split)."""

from __future__ import annotations

from pytest_qnext.evals.mcq import mcq_spec
from pytest_qnext.evals.mmlu_pro.loader import CATEGORIES, HUB_ID, load, prompt, row_to_sample

__all__ = ["CATEGORIES", "HUB_ID", "SPEC", "load", "prompt", "row_to_sample"]

SPEC = mcq_spec(
    name="mmlu_pro",
    load=load,
    prompt=prompt,
    hub_id=HUB_ID,
    description="MMLU-Pro: 14-category knowledge and reasoning, up to 10 options",
    dataset_args=("extraction",),
)
