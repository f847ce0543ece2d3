"""Perf options (`pytest -m perf`). STUB: the perf area fills this in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

__all__ = ["PerfSettings", "add_options", "from_config"]


@dataclass(frozen=True)
class PerfSettings:
    def header_lines(self) -> list[str]:
        return []


def add_options(parser: pytest.Parser) -> None:
    pass


def from_config(config: pytest.Config) -> PerfSettings:
    return PerfSettings()
