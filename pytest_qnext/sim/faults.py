"""Seeded, deterministic fault injection, decided per request attempt.

The n-th attempt for the same prompt key gets its own draw, so a client retry can succeed,
and the decisions do not depend on how concurrent requests interleave.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_qnext.sim.config import SimConfig
from pytest_qnext.sim.policy import unit_draw

__all__ = ["FAULT_KINDS", "Fault", "decide_fault"]

# in the order they are checked; the first whose draw falls under its rate wins
FAULT_KINDS = ("fail", "rate429", "drop", "malformed", "stall")


@dataclass(frozen=True)
class Fault:
    kind: str | None  # None, or one of FAULT_KINDS
    at: float = 0.5  # where in the stream (fraction of the tokens) drop/malformed/stall happen

    @property
    def injected_failure(self) -> bool:
        """True for faults the client must see as a failed attempt (not a mere stall)."""
        return self.kind is not None and self.kind != "stall"


def decide_fault(config: SimConfig, key: str, attempt: int) -> Fault:
    """The fault (or none) for attempt number `attempt` (0-based) of prompt `key`."""
    rates = {
        "fail": config.fail_rate,
        "rate429": config.rate429,
        "drop": config.drop_rate,
        "malformed": config.malformed_rate,
        "stall": config.stall_rate,
    }
    if not any(rates.values()):
        return Fault(None)
    for kind in FAULT_KINDS:
        rate = rates[kind]
        if rate > 0 and unit_draw("fault", kind, config.seed, key, attempt) < rate:
            at = 0.2 + 0.6 * unit_draw("fault-at", kind, config.seed, key, attempt)
            return Fault(kind, at)
    return Fault(None)
