"""One measured sweep point: what summary.json's `perf` list and `--benchmark-json` carry.

`PerfPoint.to_json()` is flat on purpose: the point's identity (`point`, `parallel`, `number`,
`rate`, `rounds`), every metric of `compute_metrics` at the top level (NaN/inf as null) and its
`gates`. The terminal table, the charts and `--qnext-perf-baseline` read those flat keys.
`from_json` rebuilds a point and raises `PerfPointError` with one line naming the bad field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_qnext.jsonl import plain
from pytest_qnext.perf.slo import GateResult

__all__ = ["IDENTITY", "PerfPoint", "PerfPointError"]

# the keys of to_json() that are not metrics
IDENTITY = ("point", "parallel", "number", "rate", "rounds", "gates")


class PerfPointError(ValueError):
    """A perf point dict does not describe a sweep point (one-line message)."""


def _count(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _gate(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) == {"name", "passed", "message"}
        and isinstance(value["name"], str)
        and isinstance(value["passed"], bool)
        and isinstance(value["message"], str)
    )


_CHECKS: dict[str, tuple[Any, str]] = {
    "point": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "parallel": (lambda v: _count(v, 1), "an int >= 1"),
    "number": (lambda v: _count(v, 1), "an int >= 1"),
    "rate": (
        lambda v: v is None or (isinstance(v, int | float) and not isinstance(v, bool) and v > 0),
        "a number > 0 or null (closed loop)",
    ),
    "rounds": (lambda v: _count(v, 0), "an int >= 0"),
    "gates": (
        lambda v: isinstance(v, list) and all(_gate(g) for g in v),
        "a list of {name, passed, message}",
    ),
}


@dataclass(frozen=True)
class PerfPoint:
    """A sweep point's result: identity, flat metrics (plain JSON values) and gate results."""

    point: str  # the point id, e.g. "parallel=8-number=40"
    parallel: int
    number: int
    rate: float | None  # requests/s of an open loop; None = closed loop
    rounds: int  # measured rounds (warmup rounds not counted)
    metrics: Mapping[str, Any] = field(default_factory=dict)  # no IDENTITY keys
    gates: tuple[GateResult, ...] = ()

    @property
    def failures(self) -> list[str]:
        return [g.message for g in self.gates if not g.passed]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(plain(self.metrics))
        out.update(
            point=self.point,
            parallel=self.parallel,
            number=self.number,
            rate=self.rate,
            rounds=self.rounds,
            gates=[{"name": g.name, "passed": g.passed, "message": g.message} for g in self.gates],
        )
        return out

    @classmethod
    def from_json(cls, data: Any) -> PerfPoint:
        if not isinstance(data, Mapping):
            raise PerfPointError(f"a perf point must be a dict, got {type(data).__name__}")
        where = str(data.get("point", "?"))
        for name in IDENTITY:
            if name not in data:
                raise PerfPointError(
                    f"perf point {where} lacks {name!r}; it needs {', '.join(IDENTITY)}"
                )
            test, expected = _CHECKS[name]
            if not test(data[name]):
                raise PerfPointError(
                    f"perf point {where}: {name!r} must be {expected}, got {data[name]!r:.60}"
                )
        return cls(
            point=data["point"],
            parallel=data["parallel"],
            number=data["number"],
            rate=None if data["rate"] is None else float(data["rate"]),
            rounds=data["rounds"],
            metrics=plain({k: v for k, v in data.items() if k not in IDENTITY}),
            gates=tuple(GateResult(g["name"], g["passed"], g["message"]) for g in data["gates"]),
        )
