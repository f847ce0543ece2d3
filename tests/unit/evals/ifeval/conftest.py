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
    """(sample, official strict row, official loose row) for each of the 271 GPT-4 responses
    (the rows hold the response and the official per-instruction verdicts)."""
    folder = shared_data / "responses" / "ifeval_gpt4"
    strict = _jsonl(folder / "eval_results_strict.jsonl")
    loose = _jsonl(folder / "eval_results_loose.jsonl")
    responses = _jsonl(folder / "input_response_data_gpt4_20231107_145030.jsonl")
    assert len(strict) == len(loose) == len(responses) == 271
    position = {s.input: i for i, s in enumerate(ifeval_samples)}
    by_prompt = {s.input: s for s in ifeval_samples}
    rows = []
    for s_row, l_row, r_row in zip(strict, loose, responses, strict=True):
        assert s_row["prompt"] == l_row["prompt"] == r_row["prompt"]
        assert s_row["response"] == l_row["response"] == r_row["response"]
        assert position[s_row["prompt"]] % 2 == 0
        sample = by_prompt[s_row["prompt"]]
        assert s_row["instruction_id_list"] == list(sample.metadata["instruction_id_list"])
        rows.append((sample, s_row, l_row))
    return rows
