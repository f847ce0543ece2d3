"""The simulator's counters, served by `/sim/stats` (reset by `/sim/reset`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pytest_qnext.sim.faults import FAULT_KINDS

__all__ = ["Stats"]


@dataclass
class Stats:
    received: int = 0
    completed: int = 0
    failed_injected: int = 0
    cancelled: int = 0
    rejected: int = 0  # 4xx for bad requests
    in_flight: int = 0
    max_running: int = 0
    lag_sum: float = 0.0  # how late stream writes went out versus their deadlines (seconds)
    lag_max: float = 0.0
    lag_count: int = 0
    first_lag_sum: float = 0.0  # the same for the first token of each stream
    first_lag_max: float = 0.0
    first_lag_count: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    completed_by_key: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "completed": self.completed,
            "failed_injected": self.failed_injected,
            "cancelled": self.cancelled,
            "rejected": self.rejected,
            "in_flight": self.in_flight,
            "max_running": self.max_running,
            "write_lag_mean_ms": 1000.0 * self.lag_sum / self.lag_count if self.lag_count else 0.0,
            "write_lag_max_ms": 1000.0 * self.lag_max,
            "writes": self.lag_count,
            "first_token_lag_mean_ms": (
                1000.0 * self.first_lag_sum / self.first_lag_count if self.first_lag_count else 0.0
            ),
            "first_token_lag_max_ms": 1000.0 * self.first_lag_max,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "faults": {kind: self.faults.get(kind, 0) for kind in FAULT_KINDS},
            "completed_by_key": dict(self.completed_by_key),
        }
