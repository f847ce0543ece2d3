"""Shared pieces of the IFEval checkers: the checker protocol, kwarg validation, comparisons.

Every checker is a small frozen dataclass built from one entry of a sample's `kwargs` list
through `from_kwargs`, and answers `check(response) -> bool` (True = instruction followed).
Bad kwargs raise `InstructionError` with one line naming the instruction, the kwarg and what
was expected, so a broken dataset row never turns into a silently wrong score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol

__all__ = [
    "RELATIONS",
    "Checker",
    "InstructionError",
    "Relation",
    "compare",
    "int_kwarg",
    "relation_kwarg",
    "str_kwarg",
    "str_list_kwarg",
]

Relation = Literal["less than", "at least"]
RELATIONS: tuple[Relation, ...] = ("less than", "at least")


class InstructionError(ValueError):
    """An IFEval instruction id or its kwargs are invalid; the message is one line."""


class Checker(Protocol):
    """One built instruction: `check` is True when the response follows it."""

    def check(self, response: str) -> bool: ...


def _require(instruction_id: str, kwargs: Mapping[str, Any], name: str) -> Any:
    value = kwargs.get(name)
    if value is None:
        given = ", ".join(sorted(k for k, v in kwargs.items() if v is not None)) or "none"
        raise InstructionError(
            f"IFEval instruction {instruction_id!r} needs kwarg {name!r} (given: {given}); "
            "fix the dataset row's kwargs"
        )
    return value


def int_kwarg(instruction_id: str, kwargs: Mapping[str, Any], name: str, minimum: int = 0) -> int:
    """A required integer kwarg >= `minimum` (floats like 3.0 from Arrow are accepted)."""
    value = _require(instruction_id, kwargs, name)
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise InstructionError(
            f"IFEval instruction {instruction_id!r}: kwarg {name!r} must be an integer, "
            f"got {value!r}"
        )
    number = int(value)
    if number < minimum:
        raise InstructionError(
            f"IFEval instruction {instruction_id!r}: kwarg {name!r} must be >= {minimum}, "
            f"got {number}"
        )
    return number


def str_kwarg(instruction_id: str, kwargs: Mapping[str, Any], name: str) -> str:
    """A required non-empty string kwarg."""
    value = _require(instruction_id, kwargs, name)
    if not isinstance(value, str) or not value.strip():
        raise InstructionError(
            f"IFEval instruction {instruction_id!r}: kwarg {name!r} must be a non-empty "
            f"string, got {value!r}"
        )
    return value


def str_list_kwarg(instruction_id: str, kwargs: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """A required non-empty list of non-empty strings."""
    value = _require(instruction_id, kwargs, name)
    if (
        isinstance(value, str)
        or not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise InstructionError(
            f"IFEval instruction {instruction_id!r}: kwarg {name!r} must be a non-empty list "
            f"of strings, got {value!r}"
        )
    return tuple(value)


def relation_kwarg(instruction_id: str, kwargs: Mapping[str, Any], name: str) -> Relation:
    """A required comparison relation: "less than" or "at least"."""
    value = _require(instruction_id, kwargs, name)
    if value == "less than":
        return "less than"
    if value == "at least":
        return "at least"
    raise InstructionError(
        f"IFEval instruction {instruction_id!r}: kwarg {name!r} must be one of "
        f"{', '.join(repr(r) for r in RELATIONS)}, got {value!r}"
    )


def compare(count: int, relation: Relation, threshold: int) -> bool:
    """The reference comparison: "less than" is `count < N`, "at least" is `count >= N`."""
    if relation == "less than":
        return count < threshold
    return count >= threshold
