"""The leaf vocabulary every layer shares: a benchmark `Sample`, a scorer's `Score`, outcomes.

This module imports nothing from the package, so `scoring/`, `evals/`, `capability/` and
`report/` can all use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = ["OUTCOMES", "SCORED_OUTCOMES", "Message", "Outcome", "Sample", "Score"]

Message = dict[str, str]  # {"role": ..., "content": ...}

# The outcome classes of one sample (DESIGN.md contract), in report order.
Outcome = Literal["pass", "fail", "unparsed", "truncated", "error", "skipped"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# What a scorer may decide; the engine adds truncated / error / skipped.
ScoredOutcome = Literal["pass", "fail", "unparsed"]
SCORED_OUTCOMES: tuple[ScoredOutcome, ...] = get_args(ScoredOutcome)


@dataclass(frozen=True)
class Sample:
    """One benchmark sample. `id` is the stable sample id of the contract in DESIGN.md."""

    id: str
    input: str  # the question / problem / prompt text as the dataset has it
    target: str  # the reference answer (letter, number, text); "" when the scorer needs none
    choices: tuple[str, ...] = ()
    subset: str = "default"
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    """A scorer's verdict on one response.

    `metrics` maps metric name -> (numerator, denominator). Dataset scores are micro averages:
    sum of numerators / sum of denominators. A plain accuracy sample gives {"acc": (1, 1)} or
    {"acc": (0, 1)}; IFEval gives instruction counts for its inst-level metrics.
    """

    outcome: ScoredOutcome
    metrics: Mapping[str, tuple[float, float]]
    extracted: str | None = None  # the answer the scorer read from the response
    explanation: str = ""  # one line for failure messages (e.g. failed instruction ids)
    # extra JSON-able fields for the sample's report row (e.g. IFEval's per-instruction verdicts,
    # read back by the benchmark's own breakdown hook)
    details: Mapping[str, Any] = field(default_factory=dict)
