"""C-Eval: Chinese exam questions in 52 subjects (ceval/ceval-exam, val split)."""

from __future__ import annotations

from pytest_qnext.evals.ceval.loader import HUB_ID, load, prompt, row_to_sample
from pytest_qnext.evals.ceval.subjects import SUBJECTS
from pytest_qnext.evals.mcq import mcq_spec

__all__ = ["HUB_ID", "SPEC", "SUBJECTS", "load", "prompt", "row_to_sample"]

SPEC = mcq_spec(
    name="ceval",
    load=load,
    prompt=prompt,
    hub_id=HUB_ID,
    description="C-Eval: 52-subject Chinese knowledge exam (val split)",
    lang="zh",
)
