"""IFEval scoring exactly as Google's reference: strict and loose verdicts, four metrics.

Strict: an instruction is followed when the response is not blank and its checker accepts the
response. Loose: followed when the checker accepts any non-blank one of eight variants — the
response, with its first line removed, last line removed, both removed (each stripped), and
each of those four with every `*` removed.

Metrics (micro, as Google / lm-eval / lighteval / OpenCompass count them): prompt-level is one
(followed-all, 1) pair per sample; instruction-level is (instructions followed, instructions)
per sample, summed over the dataset by the aggregator — never a per-prompt average.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_qnext.evals.ifeval.breakdown import VERDICTS
from pytest_qnext.evals.ifeval.checkers import Checker, InstructionError, build
from pytest_qnext.sample import Sample, Score

__all__ = [
    "METRICS",
    "build_checkers",
    "evaluate",
    "instruction_verdicts",
    "loose_variants",
    "score",
]

METRICS: tuple[str, ...] = (
    "prompt_level_strict",
    "inst_level_strict",
    "prompt_level_loose",
    "inst_level_loose",
)


def loose_variants(response: str) -> tuple[str, ...]:
    """The eight texts the loose check tries, in the reference's order."""
    lines = response.split("\n")
    without_first = "\n".join(lines[1:]).strip()
    without_last = "\n".join(lines[:-1]).strip()
    without_both = "\n".join(lines[1:-1]).strip()
    return (
        response,
        response.replace("*", ""),
        without_first,
        without_last,
        without_both,
        without_first.replace("*", ""),
        without_last.replace("*", ""),
        without_both.replace("*", ""),
    )


def build_checkers(
    instruction_ids: Sequence[str], kwargs_list: Sequence[Mapping[str, Any] | None]
) -> list[tuple[str, Checker]]:
    """One checker per instruction; `InstructionError` when ids and kwargs do not line up."""
    if len(instruction_ids) != len(kwargs_list):
        raise InstructionError(
            f"IFEval row has {len(instruction_ids)} instruction ids but {len(kwargs_list)} "
            "kwargs entries; they must pair up one to one"
        )
    return [(iid, build(iid, kw)) for iid, kw in zip(instruction_ids, kwargs_list, strict=True)]


def _follows(checker: Checker, text: str) -> bool:
    return bool(text.strip()) and checker.check(text)


def evaluate(
    instruction_ids: Sequence[str],
    kwargs_list: Sequence[Mapping[str, Any] | None],
    response: str,
) -> list[tuple[str, bool, bool]]:
    """(instruction id, strict verdict, loose verdict) for each instruction, in order."""
    variants: tuple[str, ...] | None = None
    verdicts: list[tuple[str, bool, bool]] = []
    for iid, checker in build_checkers(instruction_ids, kwargs_list):
        strict = _follows(checker, response)
        loose = strict
        if not strict:
            if variants is None:
                variants = loose_variants(response)
            loose = any(_follows(checker, text) for text in variants[1:])
        verdicts.append((iid, strict, loose))
    return verdicts


def _instructions(sample: Sample) -> tuple[list[str], list[Mapping[str, Any] | None]]:
    ids = sample.metadata.get("instruction_id_list")
    kwargs = sample.metadata.get("kwargs")
    if not isinstance(ids, list | tuple) or not isinstance(kwargs, list | tuple):
        raise InstructionError(
            f"IFEval sample {sample.id!r} lacks metadata 'instruction_id_list' and 'kwargs' "
            "lists; build samples with pytest_qnext.evals.ifeval.loader"
        )
    return list(ids), list(kwargs)


def instruction_verdicts(sample: Sample, response: str) -> list[tuple[str, bool, bool]]:
    """Per-instruction (id, strict, loose) verdicts for a sample's response.

    For per-instruction-type breakdowns in reports: group by the id (or its family, the part
    before `:`) and count strict/loose verdicts.
    """
    ids, kwargs = _instructions(sample)
    return evaluate(ids, kwargs, response)


def score(sample: Sample, response: str) -> Score:
    """Pass iff every instruction is followed (strict); the four IFEval metrics."""
    verdicts = instruction_verdicts(sample, response)
    n = len(verdicts)
    strict_ok = sum(1 for _, strict, _ in verdicts if strict)
    loose_ok = sum(1 for _, _, loose in verdicts if loose)
    failed = [iid for iid, strict, _ in verdicts if not strict]
    explanation = ""
    if failed:
        explanation = f"failed instructions (strict): {', '.join(failed)}"
        if loose_ok == n:
            explanation += " (all followed under the loose check)"
    return Score(
        outcome="fail" if failed else "pass",
        metrics={
            "prompt_level_strict": (float(strict_ok == n), 1.0),
            "inst_level_strict": (float(strict_ok), float(n)),
            "prompt_level_loose": (float(loose_ok == n), 1.0),
            "inst_level_loose": (float(loose_ok), float(n)),
        },
        explanation=explanation,
        details={VERDICTS: [list(v) for v in verdicts]},
    )
