"""IFEval (google/IFEval): 541 prompts with 25 kinds of verifiable instructions.

Scored like Google's reference checker: strict and loose verdicts per instruction, the four
metrics counted over all instructions (micro). See README.md in this folder.
"""

from __future__ import annotations

from pytest_qnext.evals.base import EvalSpec
from pytest_qnext.evals.ifeval.breakdown import breakdown
from pytest_qnext.evals.ifeval.checkers import (
    INSTRUCTION_IDS,
    InstructionError,
    NltkDataMissing,
    configure_nltk,
)
from pytest_qnext.evals.ifeval.loader import HUB_ID, load, prompt
from pytest_qnext.evals.ifeval.oracle import oracle
from pytest_qnext.evals.ifeval.scorer import METRICS, evaluate, instruction_verdicts, score

__all__ = [
    "INSTRUCTION_IDS",
    "METRICS",
    "SPEC",
    "InstructionError",
    "NltkDataMissing",
    "breakdown",
    "configure_nltk",
    "evaluate",
    "instruction_verdicts",
    "load",
    "oracle",
    "prompt",
    "score",
]


SPEC = EvalSpec(
    name="ifeval",
    task_type="instruction_following",
    primary_metric="prompt_level_strict",
    version="1",
    load=load,
    prompt=prompt,
    score=score,
    metrics=METRICS,
    oracle=oracle,
    hub_id=HUB_ID,
    description="IFEval: verifiable instructions, Google reference checker (strict and loose)",
    breakdown=breakdown,
    dataset_args=("nltk_data",),
)
