"""GPQA-Diamond: 198 graduate-level science questions (Idavidrein/gpqa, gpqa_diamond)."""

from __future__ import annotations

from dataclasses import replace

from pytest_qnext.evals.gpqa_diamond.loader import (
    DOMAINS,
    HUB_ID,
    GpqaSample,
    for_repeat,
    load,
    prompt,
    row_to_sample,
    shuffle_order,
)
from pytest_qnext.evals.mcq import mcq_spec

__all__ = [
    "DOMAINS",
    "HUB_ID",
    "SPEC",
    "GpqaSample",
    "for_repeat",
    "load",
    "prompt",
    "row_to_sample",
    "shuffle_order",
]

# protected: the GPQA authors ask that its questions never appear in plain text, so its report
# rows carry no prompts and no model text (the extracted letter and the target stay)
SPEC = replace(
    mcq_spec(
        name="gpqa_diamond",
        load=load,
        prompt=prompt,
        hub_id=HUB_ID,
        description="GPQA-Diamond: expert-written biology, chemistry and physics questions",
        for_repeat=for_repeat,
        dataset_args=("zip_password",),
    ),
    protected=True,
)
