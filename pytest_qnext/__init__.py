"""pytest-qnext: gate model releases with pytest against OpenAI-compatible servers."""

from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
