"""Every fixture problem with every answer variant, through SPEC.score and the grading pool:
reference solutions all pass; wrong, crashing and slow answers fail with their kind; answers
without a code block are unparsed."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from lcb_helpers import FIXTURES

from pytest_qnext.evals.livecodebench import SPEC
from pytest_qnext.sample import Sample, Score
from pytest_qnext.sandbox import default_workers

pytestmark = pytest.mark.usefixtures("lcb_sandbox_ready")

KINDS = {
    "reference": ("pass", "pass"),
    "wrong": ("wrong_answer", "fail"),
    "crash": ("runtime_error", "fail"),
    "slow": ("timeout", "fail"),
    "nocode": ("unparsed", "unparsed"),
}
SLOW_TIMEOUT_S = 0.5  # slow answers never finish; a short limit keeps the test short


def _replay(variant: str) -> list[dict[str, str]]:
    path = FIXTURES / "responses" / f"{variant}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("variant", sorted(KINDS))
def test_every_fixture_answer_gets_its_kind(variant: str, loaded: list[Sample]) -> None:
    samples = {s.id: s for s in loaded}
    if variant == "slow":
        samples = {
            sid: dataclasses.replace(s, metadata={**s.metadata, "timeout_s": SLOW_TIMEOUT_S})
            for sid, s in samples.items()
        }
    rows = _replay(variant)
    assert sorted(r["sample_id"] for r in rows) == sorted(samples)
    assert {r["dataset"] for r in rows} == {SPEC.name}

    def score(row: dict[str, str]) -> tuple[str, Score]:
        return row["sample_id"], SPEC.score(samples[row["sample_id"]], row["response"])

    with ThreadPoolExecutor(2 * default_workers()) as executor:
        scores = dict(executor.map(score, rows))
    kind, outcome = KINDS[variant]
    wrong = {sid: s.explanation for sid, s in scores.items() if s.details.get("kind") != kind}
    assert not wrong, f"{variant}: {len(wrong)}/{len(rows)} not {kind}: {wrong}"
    assert {s.outcome for s in scores.values()} == {outcome}
    passed = 1.0 if variant == "reference" else 0.0
    assert all(s.metrics == {"pass@1": (passed, 1.0)} for s in scores.values())
    for sid, s in scores.items():
        assert s.details["contest_date"] == samples[sid].metadata["contest_date"]
        assert s.details["difficulty"] in ("easy", "medium", "hard")
        if variant not in ("reference", "nocode"):
            assert s.details["failed_test"] is not None and s.explanation


def test_the_engines_pool_api(loaded: list[Sample]) -> None:
    """What the capability engine will use: submit programs as answers arrive, then score."""
    from pytest_qnext.evals.livecodebench import make_pool, problem_for, score_verdict
    from pytest_qnext.evals.livecodebench.prompt import extract_code

    rows = {r["sample_id"]: r["response"] for r in _replay("reference")}
    samples = loaded[:6]
    with make_pool(workers=2) as pool:
        futures = {s.id: pool.submit(problem_for(s), extract_code(rows[s.id])) for s in samples}
        verdicts = {sid: f.result(timeout=120) for sid, f in futures.items()}
        assert pool.progress().graded == len(samples)
    for sample in samples:
        code = extract_code(rows[sample.id])
        score = score_verdict(sample, code, verdicts[sample.id])
        assert score.outcome == "pass" and score.extracted == code
        assert verdicts[sample.id].sandbox_cpu_seconds is not None
