"""Exceptions the plugin's hooks must recognise without importing the capability engine."""

from __future__ import annotations

__all__ = ["SampleError"]


class SampleError(Exception):
    """An item whose request failed after retries: reported by pytest as an error."""
