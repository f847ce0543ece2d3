"""Shared fixtures for the project's own tests.

The real benchmark data lives in `../shared/data` beside the checkout (override with the
QNEXT_SHARED_DATA env var). Tests that need it skip with a reason when it is absent; `.ci/run`
fails when it is absent so CI never skips them.
"""

from __future__ import annotations

import os
from pathlib import Path

# Import the HTTP stacks and numpy before any pytester in-process run: pytester restores
# sys.modules after each inline run, and a library first imported inside one would be imported
# again afterwards (httpx then fails to map httpcore's errors with new exception classes; numpy
# refuses outright). The plugin itself imports none of them until a run asks for qnext.
import aiohttp  # noqa: F401
import httpcore  # noqa: F401
import httpx
import numpy  # noqa: F401  (cannot be imported twice in one process: import it before any run)
import pytest

import pytest_qnext.client
import pytest_qnext.perf.sender
import pytest_qnext.sim  # noqa: F401

httpx.Client().close()  # builds httpx's transport and exception map now

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    return Path(os.environ.get("QNEXT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data (real benchmark files, tokenizer, graded responses)."""
    path = shared_data_dir()
    if not (path / "README.md").is_file():
        pytest.skip(f"shared benchmark data not found at {path} (set QNEXT_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def qwen3_tokenizer_path(shared_data: Path) -> Path:
    return shared_data / "tokenizer" / "qwen3"


@pytest.fixture(scope="session")
def nltk_data_path(shared_data: Path) -> Path:
    return shared_data / "nltk_data"
