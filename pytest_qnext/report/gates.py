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

`check_gates` refuses, before the first request, a gate naming a dataset that is not selected
or a metric the dataset does not have, and a collection gate naming what the run's collection
lacks. After the run, a gate that cannot be evaluated fails with
the reason (it never passes or disappears): its dataset has no scored samples, or only some of
its selected samples were scored (replay rows missing; `allow_partial` gates on those scored),
or the run stopped early (`incomplete`: whatever was measured is not a verdict).
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from pytest_qnext.report.collection import (
    COLLECTION,
    CollectionTarget,
    level_plural,
    measure_collection,
    parse_collection_target,
)

__all__ = [
    "ALLOW_PARTIAL",
    "GATE_FORMS",
    "RATE_NAMES",
    "Gate",
    "GateResult",
    "check_gates",
    "evaluate_gates",
    "not_a_verdict",
    "parse_gate",
]

# the outcome rates a gate can read (summary.json outcome_rates)
RATE_NAMES: tuple[str, ...] = ("error_rate", "truncated_rate", "unparsed_rate")

GATE_FORMS = (
    "valid forms: DATASET>=0.75, DATASET.METRIC>=0.8, error_rate<=0, truncated_rate<=0.02, "
    "DATASET.unparsed_rate<=0.05, collection>=0.7, collection.tag.zh>=0.6 (operators >= <= > <, "
    "limit a fraction in [0, 1])"
)

ALLOW_PARTIAL = "--qnext-allow-partial"

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


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _collection_problem(
    target: CollectionTarget, keys: Mapping[str, set[str]] | None
) -> str | None:
    """Why a collection gate could never be measured in this run (`keys`: the `gate_keys` of
    its collection, None when the run evaluates none), else None."""
    if keys is None:
        return "this run evaluates no collection (give data_collection or --qnext-collection)"
    if target.level is None:
        roots = sorted(keys[""])
        if len(roots) == 1:
            return None
        return (
            f"the collection has {len(roots)} roots ({', '.join(roots)}); gate on "
            "collection.category.ROOT"
        )
    known = sorted(keys.get(target.level, set()))
    if target.key in known:
        return None
    return (
        f"the collection has no {target.level} {target.key!r}{_suggest(str(target.key), known)} "
        f"({level_plural(target.level)}: {', '.join(known) or 'none'})"
    )


def check_gates(
    gates: Sequence[Gate],
    metrics: Mapping[str, Sequence[str] | None],
    collection: Mapping[str, set[str]] | None = None,
) -> None:
    """ValueError (one line) for a gate that could never be evaluated in this run: its dataset
    is not among `metrics` (the selected datasets -> their declared metrics, None when not
    declared), its metric is neither a declared metric nor an outcome rate, or it is a
    collection gate naming what the run's collection lacks (`collection`: its `gate_keys`,
    None when the run evaluates no collection, whose benchmarks are then the selected datasets)."""
    selected_by = "--qnext-datasets" if collection is None else "the collection's benchmarks"
    for gate in gates:
        if gate.collection is not None:
            problem = _collection_problem(gate.collection, collection)
            if problem:
                raise ValueError(f"gate {gate.text!r}: {problem}")
            continue
        if gate.dataset is None:
            continue
        selected = list(metrics)
        base = gate.dataset.split("/", 1)[0]  # "name/level" gates are checked by their owner
        if base not in metrics:
            raise ValueError(
                f"gate {gate.text!r} names dataset {gate.dataset!r}{_suggest(base, selected)}, "
                f"which this run does not select ({selected_by}: "
                f"{', '.join(selected) or 'none'}); fix the gate or add the dataset"
            )
        known = metrics[base]
        if gate.metric is None or gate.is_rate or known is None or gate.dataset != base:
            continue
        if gate.metric not in known:
            valid = [*known, *RATE_NAMES]
            raise ValueError(
                f"gate {gate.text!r}: {gate.dataset} has no metric {gate.metric!r}"
                f"{_suggest(gate.metric, valid)}; valid: {', '.join(valid)}"
            )


def _fmt(value: float) -> str:
    return f"{value:.4f}"


def _partial(coverage: Mapping[str, Any] | None, what: str) -> str | None:
    """Why a gate on `what` with this coverage ({"scored", "selected"}) is not checked."""
    if not coverage or coverage.get("scored", 0) >= coverage.get("selected", 0):
        return None
    scored, selected = coverage["scored"], coverage["selected"]
    return (
        f"{what} covers only {scored} of its {selected} selected samples "
        f"({selected - scored} skipped); pass {ALLOW_PARTIAL} to gate on the scored ones"
    )


def _measure(
    gate: Gate, summary: Mapping[str, Any], allow_partial: bool = False
) -> tuple[float | None, str | None]:
    """(measured value, reason it could not be measured)."""
    if gate.collection is not None:
        return measure_collection(gate.collection, summary)
    rates = summary.get("outcome_rates", {})
    datasets: Mapping[str, Any] = summary.get("datasets", {})
    if gate.dataset is None:
        run = rates.get("run", {})
        if not run.get("count"):
            return None, "no scored samples in this run"
        partial = None if allow_partial else _partial(summary.get("coverage"), "the run")
        if partial:
            return None, partial
        return float(run[gate.metric]), None
    if gate.dataset not in datasets:
        ran = ", ".join(datasets) or "none"
        return None, f"dataset {gate.dataset!r} did not run (datasets in this run: {ran})"
    if not datasets[gate.dataset].get("count"):
        return None, f"dataset {gate.dataset!r} has no scored samples (all skipped)"
    coverage = datasets[gate.dataset].get("coverage")
    partial = None if allow_partial else _partial(coverage, f"dataset {gate.dataset!r}")
    if partial:
        return None, partial
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


def not_a_verdict(result: GateResult, reason: str) -> GateResult:
    """`result` failed because the run stopped early: what it measured covers only part."""
    if result.message.startswith("cannot check:"):
        return replace(result, passed=False)
    return replace(
        result,
        passed=False,
        message=f"cannot pass: the run stopped early ({reason}); {result.message} on the "
        "samples scored so far",
    )


def evaluate_gates(
    gates: Sequence[Gate],
    summary: Mapping[str, Any],
    *,
    allow_partial: bool = False,
    incomplete: str | None = None,
) -> list[GateResult]:
    """Check each gate against a summary (as built by Aggregator.summary, with the coverage
    the controller adds). `incomplete`: why the run stopped early (every gate then fails)."""
    results = []
    for gate in gates:
        result = _evaluate(gate, summary, allow_partial)
        results.append(result if incomplete is None else not_a_verdict(result, incomplete))
    return results


def _evaluate(gate: Gate, summary: Mapping[str, Any], allow_partial: bool) -> GateResult:
    measured, reason = _measure(gate, summary, allow_partial)
    if measured is None:
        return GateResult(
            gate.text, False, None, gate.limit, f"cannot check: {reason}", gate.dataset
        )
    passed = _OPS[gate.op](measured, gate.limit)
    verdict = "ok" if passed else "violated"
    message = f"measured {_fmt(measured)}, required {gate.op} {gate.limit:g}: {verdict}"
    return GateResult(gate.text, passed, measured, gate.limit, message, gate.dataset)
