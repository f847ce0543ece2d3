"""iQuiz: Chinese IQ and EQ multiple-choice questions (ModelScope AI-ModelScope/IQuiz)."""

from __future__ import annotations

from pytest_qnext.evals.iquiz.loader import HUB_ID, SUBSETS, load, prompt, row_to_sample
from pytest_qnext.evals.mcq import mcq_spec

__all__ = ["HUB_ID", "SPEC", "SUBSETS", "load", "prompt", "row_to_sample"]

SPEC = mcq_spec(
    name="iquiz",
    load=load,
    prompt=prompt,
    hub_id=HUB_ID,
    description="iQuiz: Chinese IQ (logic) and EQ (social-emotional) questions",
    lang="zh",
)
