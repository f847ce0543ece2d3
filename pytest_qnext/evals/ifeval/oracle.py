"""The simulator's oracle for IFEval: recorded answers, one right and one wrong per prompt.

An IFEval prompt has no reference answer to echo back, so the oracle cannot build one; instead
`oracle_answers.jsonl` beside the bundled demo rows records, for each demo prompt, a response
the IFEval scorer grades pass and one it grades fail (written for pytest-qnext;
tests/unit/evals/ifeval/test_oracle.py checks both with the scorer). A recording is used only
for the prompt it was written for: the sample's key and the sha256 of its prompt must both
match. Any other sample gets its prompt back, as the simulator's echo policy would answer.
"""

from __future__ import annotations

import functools
import hashlib
import json

from pytest_qnext.evals.hub import DEMO_DATA_DIR
from pytest_qnext.sample import Sample

__all__ = ["RECORDED_FILE", "oracle", "recorded"]

RECORDED_FILE = DEMO_DATA_DIR / "ifeval" / "oracle_answers.jsonl"


def _prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


@functools.cache
def recorded() -> dict[tuple[str, str], tuple[str, str]]:
    """(key, sha256 of the prompt) -> (right answer, wrong answer), from RECORDED_FILE."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    with RECORDED_FILE.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out[(str(row["key"]), str(row["prompt_sha256"]))] = (
                    str(row["correct"]),
                    str(row["wrong"]),
                )
    return out


def oracle(sample: Sample, correct: bool) -> str:
    """A response the scorer grades pass (`correct`) or fail, for a prompt with a recording;
    the prompt itself otherwise (what the simulator would echo)."""
    answers = recorded().get((sample.id, _prompt_hash(sample.input)))
    if answers is None:
        return sample.input
    return answers[0] if correct else answers[1]
