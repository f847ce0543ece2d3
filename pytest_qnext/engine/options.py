"""Capability options (`pytest -m capability`). STUB: the capability engine fills this in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

__all__ = ["CapabilitySettings", "add_options", "from_config"]


@dataclass(frozen=True)
class CapabilitySettings:
    def header_lines(self) -> list[str]:
        return []


def add_options(parser: pytest.Parser) -> None:
    pass


def from_config(config: pytest.Config) -> CapabilitySettings:
    return CapabilitySettings()
