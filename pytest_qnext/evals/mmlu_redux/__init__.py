"""MMLU-Redux 2.0: 5,700 re-annotated MMLU questions, 100 per subject in 57 subjects."""

from __future__ import annotations

from pytest_qnext.evals.mcq import mcq_spec
from pytest_qnext.evals.mmlu_redux.loader import (
    ERROR_TYPES,
    HUB_ID,
    SUBJECTS,
    load,
    prompt,
    row_to_sample,
)

__all__ = ["ERROR_TYPES", "HUB_ID", "SPEC", "SUBJECTS", "load", "prompt", "row_to_sample"]

SPEC = mcq_spec(
    name="mmlu_redux",
    load=load,
    prompt=prompt,
    hub_id=HUB_ID,
    description="MMLU-Redux 2.0: 57 MMLU subjects with error annotations",
    dataset_args=("exclude_error_types",),
)
