"""Fixtures for the IFEval tests: NLTK punkt_tab from ../shared/data, the loaded samples, and
Google's GPT-4 responses with the official checker's verdicts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.evals.base import LoadContext
from pytest_qnext.evals.ifeval import configure_nltk, load
from pytest_qnext.sample import Sample


@pytest.fixture(scope="session")
def ifeval_nltk(nltk_data_path: Path) -> Path:
    """punkt_tab configured from the shared data (skips when the data is absent)."""
    configure_nltk(str(nltk_data_path))
    return nltk_data_path


@pytest.fixture(scope="session")
def ifeval_ctx(shared_data: Path, nltk_data_path: Path) -> LoadContext:
    return LoadContext(data_dir=shared_data, args={"nltk_data": str(nltk_data_path)})


@pytest.fixture(scope="session")
def ifeval_samples(ifeval_ctx: LoadContext) -> Sequence[Sample]:
    """All 541 samples through the real loader (datasets' json builder)."""
    return load(ifeval_ctx)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def gpt4_replay(
    shared_data: Path, ifeval_samples: Sequence[Sample]
) -> list[tuple[Sample, dict[str, Any], dict[str, Any]]]:
    """(sample, official strict row, official loose row) for each GPT-4 response (the rows hold
    the response and the official per-instruction verdicts). That the files line up with each
    other and with the inputs, and give the published figures, is checked in
    tests/unit/evals/test_shared_data.py."""
    folder = shared_data / "responses" / "ifeval_gpt4"
    strict = _jsonl(folder / "eval_results_strict.jsonl")
    loose = _jsonl(folder / "eval_results_loose.jsonl")
    by_prompt = {s.input: s for s in ifeval_samples}
    return [
        (by_prompt[s_row["prompt"]], s_row, l_row)
        for s_row, l_row in zip(strict, loose, strict=True)
    ]
