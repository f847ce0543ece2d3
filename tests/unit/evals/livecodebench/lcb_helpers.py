"""Paths of the LiveCodeBench fixtures (ours, in the published schema)."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[4] / "tests" / "data"
FIXTURES = DATA_DIR / "livecodebench"
