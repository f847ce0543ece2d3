"""Capability gates: `--qnext-gate "mmlu_pro>=0.75"` and friends.

Forms (limits are fractions in [0, 1]; operators >=, <=, >, <):

    DATASET>=0.75                    the dataset's primary metric
    DATASET.METRIC>=0.8              a named metric of the dataset
    error_rate<=0                    an outcome rate over the whole run
    DATASET.unparsed_rate<=0.05      an outcome rate of one dataset
    (rates: error_rate, truncated_rate, unparsed_rate)
    collection>=0.7                  a collection run's weighted average; more forms such as
    collection.tag.zh>=0.6           collection.micro, collection.LEVEL.KEY[.AVG] in
                                     report/collection.py

A gate on a dataset or metric that is not in the run fails with a reason; it never crashes.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pytest_qnext.report.collection import (
    COLLECTION,
    CollectionTarget,
    measure_collection,
    parse_collection_target,
)

__all__ = ["GATE_FORMS", "RATE_NAMES", "Gate", "GateResult", "evaluate_gates", "parse_gate"]

# the outcome rates a gate can read (summary.json outcome_rates)
RATE_NAMES: tuple[str, ...] = ("error_rate", "truncated_rate", "unparsed_rate")

GATE_FORMS = (
    "valid forms: DATASET>=0.75, DATASET.METRIC>=0.8, error_rate<=0, truncated_rate<=0.02, "
    "DATASET.unparsed_rate<=0.05, collection>=0.7, collection.tag.zh>=0.6 (operators >= <= > <, "
    "limit a fraction in [0, 1])"
)

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_GATE = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9_@/\-]+(?:\.[A-Za-z0-9_@/\-]+)?)\s*"
    r"(?P<op>>=|<=|==|!=|=>|=<|>|<|=)\s*(?P<limit>\S+)\s*$"
)
# collection gates: entry keys may hold any character but the operators (a category "Math&Science")
_COLLECTION_GATE = re.compile(
    rf"^\s*(?P<name>{COLLECTION}(?:\..+?)?)\s*(?P<op>>=|<=|==|!=|=>|=<|>|<|=)\s*(?P<limit>\S+)\s*$"
)


@dataclass(frozen=True)
class Gate:
    """A parsed gate. `dataset` None = run-level; `metric` None = the primary metric."""

    text: str
    dataset: str | None
    metric: str | None
    op: str
    limit: float
    collection: CollectionTarget | None = None  # a collection gate (dataset and metric None)

    @property
    def is_rate(self) -> bool:
        return self.metric in RATE_NAMES


@dataclass(frozen=True)
class GateResult:
    """Outcome of one gate; `measured` None when nothing could be measured."""

    name: str
    passed: bool
    measured: float | None
    limit: float
    message: str
    dataset: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_gate(text: str) -> Gate:
    """Parse one gate expression; ValueError (one line naming the valid forms) when bad."""
    match = _COLLECTION_GATE.match(text or "") or _GATE.match(text or "")
    if match is None:
        raise ValueError(f"bad gate {text!r}; {GATE_FORMS}")
    name, op, raw_limit = match["name"], match["op"], match["limit"]
    if op not in _OPS:
        raise ValueError(f"bad gate {text!r}: operator {op!r} is not supported; {GATE_FORMS}")
    try:
        limit = float(raw_limit)
    except ValueError:
        raise ValueError(
            f"bad gate {text!r}: limit {raw_limit!r} is not a number; {GATE_FORMS}"
        ) from None
    if not math.isfinite(limit) or not 0.0 <= limit <= 1.0:
        raise ValueError(
            f"bad gate {text!r}: limit {raw_limit} is outside [0, 1] (write 0.75, not 75); "
            f"{GATE_FORMS}"
        )
    if name == COLLECTION or name.startswith(f"{COLLECTION}."):
        try:
            target = parse_collection_target(name)
        except ValueError as exc:
            raise ValueError(f"bad gate {text!r}: {exc}") from None
        return Gate(text.strip(), None, None, op, limit, collection=target)
    if "." in name:
        dataset, metric = name.split(".", 1)
        return Gate(text.strip(), dataset, metric, op, limit)
    if name in RATE_NAMES:
        return Gate(text.strip(), None, name, op, limit)
    return Gate(text.strip(), name, None, op, limit)


def _fmt(value: float) -> str:
    return f"{value:.4f}"


def _measure(gate: Gate, summary: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """(measured value, reason it could not be measured)."""
    if gate.collection is not None:
        return measure_collection(gate.collection, summary)
    rates = summary.get("outcome_rates", {})
    datasets: Mapping[str, Any] = summary.get("datasets", {})
    if gate.dataset is None:
        run = rates.get("run", {})
        if not run.get("count"):
            return None, "no scored samples in this run"
        return float(run[gate.metric]), None
    if gate.dataset not in datasets:
        ran = ", ".join(datasets) or "none"
        return None, f"dataset {gate.dataset!r} did not run (datasets in this run: {ran})"
    if not datasets[gate.dataset].get("count"):
        return None, f"dataset {gate.dataset!r} has no scored samples (all skipped)"
    if gate.is_rate:
        ds_rates = rates.get("datasets", {}).get(gate.dataset, {})
        if not ds_rates.get("count"):
            return None, f"dataset {gate.dataset!r} has no scored samples"
        return float(ds_rates[gate.metric]), None
    metric = gate.metric or datasets[gate.dataset].get("primary_metric")
    rows = [
        row
        for row in summary.get("table", [])
        if row["dataset_name"] == gate.dataset and row["metric"] == metric
    ]
    if not rows:
        known = ", ".join(datasets[gate.dataset].get("metrics", [])) or "none"
        return None, f"dataset {gate.dataset!r} has no metric {metric!r} (metrics: {known})"
    score = rows[0]["average_score"]
    if score is None:
        return None, f"dataset {gate.dataset!r} has no scored samples"
    return float(score), None


def evaluate_gates(gates: Sequence[Gate], summary: Mapping[str, Any]) -> list[GateResult]:
    """Check each gate against a summary (as built by Aggregator.summary)."""
    results = []
    for gate in gates:
        measured, reason = _measure(gate, summary)
        if measured is None:
            results.append(
                GateResult(
                    gate.text, False, None, gate.limit, f"cannot check: {reason}", gate.dataset
                )
            )
            continue
        passed = _OPS[gate.op](measured, gate.limit)
        verdict = "ok" if passed else "violated"
        message = f"measured {_fmt(measured)}, required {gate.op} {gate.limit:g}: {verdict}"
        results.append(GateResult(gate.text, passed, measured, gate.limit, message, gate.dataset))
    return results
