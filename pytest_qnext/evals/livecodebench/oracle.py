"""Answers for the simulator's oracle policy: a reference solution, or a wrong program.

The dataset has no solutions. Our fixture problems (and the demo rows made from them) ship their
reference solutions beside the records, in `REFERENCE_FILE` (`{"question_id", "solution"}` per
line); the loader puts each into the sample's metadata. `oracle(sample, True)` answers with it
in a fenced block, as a model would; `oracle(sample, False)` with one of four wrong answers,
picked by the sample id (so every run gives the same): a program printing / returning a wrong
value, one that raises, one that does not compile, and prose without a code block (`unparsed`).
A problem without a reference solution (real LiveCodeBench data) gets a wrong answer either way.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pytest_qnext.evals.base import DatasetUnavailable
from pytest_qnext.sample import Sample

__all__ = ["REFERENCE_FILE", "SOLUTION_KEY", "oracle", "reference_solutions", "wrong_answer"]

#: The reference solutions beside a local copy's record files (ours: fixtures and demo rows).
REFERENCE_FILE = "reference_solutions.jsonl"
#: The sample metadata key holding a problem's reference solution.
SOLUTION_KEY = "reference_solution"
_FENCE = "```"


def reference_solutions(folder: Path | None) -> dict[str, str]:
    """question_id -> reference solution from `folder/REFERENCE_FILE` (empty when absent)."""
    if folder is None or not (folder / REFERENCE_FILE).is_file():
        return {}
    path = folder / REFERENCE_FILE
    out: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out[str(row["question_id"])] = str(row["solution"])
        except (ValueError, KeyError, TypeError):
            raise DatasetUnavailable(
                f'live_code_bench {path}:{number}: expected {{"question_id": ..., "solution": ...}}'
            ) from None
    return out


def _block(code: str) -> str:
    return f"Here is my program.\n\n{_FENCE}python\n{code.rstrip()}\n{_FENCE}\n"


def wrong_answer(sample: Sample) -> str:
    """One of four wrong answers, the same for a sample in every run."""
    fn_name = sample.metadata.get("fn_name")
    pick = hashlib.sha256(sample.id.encode("utf-8")).digest()[0] % 4
    if pick == 3:
        return "This needs a careful case analysis; I could not finish a program for it."
    if pick == 2:
        return _block("def solve(:\n    pass")  # a syntax error
    fails = "raise ValueError('not solved')"
    if fn_name:
        body = "return None" if pick == 0 else fails
        return _block(f"class Solution:\n    def {fn_name}(self, *args):\n        {body}")
    return _block("print(-123456789)" if pick == 0 else fails)


def oracle(sample: Sample, correct: bool) -> str:
    """The reference solution (correct) or a wrong answer; see the module docstring."""
    solution = sample.metadata.get(SOLUTION_KEY)
    if correct and solution:
        return _block(str(solution))
    return wrong_answer(sample)
