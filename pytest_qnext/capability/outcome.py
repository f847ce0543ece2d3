"""From an answer to a verdict: think handling, the outcome class, the row, the failure message.

The row (`sample_row`) carries the messages sent and the scorer's `Score.details`; a protected
benchmark's row (EvalSpec.protected, e.g. GPQA) is `withheld()` unless the run asks for its text.

Outcome rules (DESIGN.md contract):

- the request failed after retries -> `error` (pytest error; numerators 0, denominators kept);
- `<think>...</think>` is stripped from the content before scoring (anything before a lone
  `</think>` too); the server's split `reasoning_content` is kept as the reasoning;
- an unterminated `<think>` block or `finish_reason == "length"` -> `truncated`;
- otherwise the scorer decides `pass`, `fail` or `unparsed`; a scorer that raises (the grader
  or its sandbox broke: our fault, not the model's) -> `error` with the reason.

Every row also carries the benchmark's `EvalSpec.sample_details` of its sample in `details`
(e.g. a problem's date and difficulty), whatever its outcome.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_qnext.capability.cache import Answer
from pytest_qnext.capability.collect import Entry
from pytest_qnext.evals.base import EvalSpec
from pytest_qnext.rows import SampleRow
from pytest_qnext.sample import Outcome, Sample
from pytest_qnext.scoring.think import strip_think

__all__ = ["Verdict", "decide", "failure_message", "sample_row", "split_think", "zeroed_metrics"]

_THINK_OPEN = re.compile(r"<think>", re.IGNORECASE)
HEAD_CHARS = 200
TAIL_CHARS = 300


Metrics = dict[str, tuple[float, float]]


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome  # pass | fail | unparsed | truncated | error
    metrics: Metrics
    prediction: str  # content after think-stripping
    reasoning: str
    extracted: str | None
    explanation: str
    details: Mapping[str, Any] = field(default_factory=dict)  # the row's details (Score.details)


def _strip_think(content: str) -> tuple[str, bool]:
    return strip_think(content)


def split_think(content: str) -> tuple[str, str, bool]:
    """(answer text, inline reasoning, unterminated) for a response's content."""
    text, unterminated = _strip_think(content)
    if unterminated:
        match = _THINK_OPEN.search(content)
        reasoning = content[match.end() :] if match else content
        return text, reasoning.strip(), True
    closing = content.lower().rfind("</think>")
    if closing < 0:
        return text, "", False
    reasoning = _THINK_OPEN.sub("", content[:closing])
    return text, reasoning.strip(), False


def zeroed_metrics(spec: EvalSpec, sample: Sample) -> Metrics:
    """The scorer's metrics on an empty response with every numerator set to 0."""
    try:
        metrics = spec.score(sample, "").metrics
    except Exception:  # a scorer that cannot take "" still gets its primary metric counted
        metrics = {spec.primary_metric: (0.0, 1.0)}
    return {name: (0.0, float(den)) for name, (_num, den) in metrics.items()}


def _metrics(metrics: Mapping[str, tuple[float, float]]) -> Metrics:
    return {name: (float(num), float(den)) for name, (num, den) in metrics.items()}


def decide(spec: EvalSpec, sample: Sample, answer: Answer) -> Verdict:
    """Classify one answer and score it."""
    if not answer.ok:
        return Verdict(
            outcome="error",
            metrics=zeroed_metrics(spec, sample),
            prediction="",
            reasoning="",
            extracted=None,
            explanation=f"{answer.error_kind}: {answer.error or 'request failed'}",
        )
    text, inline_reasoning, unterminated = split_think(answer.content)
    reasoning = answer.reasoning or inline_reasoning
    if unterminated or answer.finish_reason == "length":
        why = "unterminated <think> block" if unterminated else "finish_reason=length"
        extracted: str | None = None
        if text:
            try:
                extracted = spec.score(sample, text).extracted
            except Exception:
                extracted = None
        return Verdict(
            "truncated",
            zeroed_metrics(spec, sample),
            text,
            reasoning,
            extracted,
            f"truncated ({why})",
        )
    try:
        score = spec.score(sample, text)
    except Exception as exc:  # the scorer broke, not the answer: an error row, never dropped
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return Verdict(
            "error",
            zeroed_metrics(spec, sample),
            text,
            reasoning,
            None,
            f"grader: {type(exc).__name__}: {reason}",
        )
    return Verdict(
        outcome=score.outcome,
        metrics=_metrics(score.metrics),
        prediction=text,
        reasoning=reasoning,
        extracted=score.extracted,
        explanation=score.explanation,
        details=score.details,
    )


def sample_row(
    entry: Entry,
    answer: Answer | None,
    *,
    skip_reason: str | None = None,
    write_protected_text: bool = False,
) -> SampleRow:
    """The report row of one item: `skipped` (with `skip_reason`) when there is no answer,
    else the verdict on the answer. Rows of a protected benchmark are withheld unless
    `write_protected_text`."""
    sample = entry.sample
    spec = entry.spec
    always = dict(spec.sample_details(sample)) if spec.sample_details is not None else {}
    row = SampleRow(
        dataset=entry.dataset,
        sample_id=sample.id,
        outcome="skipped",
        subset=sample.subset,
        repeat=entry.repeat,
        target=sample.target,
        skip_reason=skip_reason,
        messages=entry.messages,
        collection=entry.collection,
        details=always,
    )
    if answer is not None:
        verdict = decide(entry.spec, sample, answer)
        row = replace(
            row,
            outcome=verdict.outcome,
            metrics=verdict.metrics,
            prediction=verdict.prediction,
            reasoning=verdict.reasoning,
            extracted=verdict.extracted,
            finish_reason=answer.finish_reason,
            usage=dict(answer.usage) if answer.usage is not None else None,
            latency=answer.latency,
            retried=tuple(answer.retried),
            explanation=verdict.explanation,
            cached=answer.cached,
            details={**always, **verdict.details},
        )
    if spec.protected and not write_protected_text:
        return row.withheld()
    return row


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= HEAD_CHARS + TAIL_CHARS + 5:
        return repr(flat)
    return f"{flat[:HEAD_CHARS]!r} … {flat[-TAIL_CHARS:]!r}"


def failure_message(item_id: str, row: SampleRow) -> str:
    """A compact multi-line message for a failed item: no traceback, the facts that matter."""
    extracted = row.extracted
    if extracted is not None and len(extracted) > HEAD_CHARS:  # e.g. a whole program
        extracted = f"{extracted[:HEAD_CHARS]}…({len(extracted) - HEAD_CHARS} more characters)"
    lines = [
        f"{item_id}: {row.outcome} — target {row.target!r}, extracted {extracted!r}, "
        f"finish_reason {row.finish_reason}"
    ]
    if row.explanation:
        lines.append(f"  {row.explanation}")
    lines.append(f"  response: {_clip(row.prediction) if row.prediction else '(empty)'}")
    if row.outcome == "truncated" and row.reasoning:
        lines.append(f"  reasoning tail: {_clip(row.reasoning[-TAIL_CHARS:])}")
    return "\n".join(lines)
