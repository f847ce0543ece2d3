"""Grading ahead (capability/grading.py): slow scorers judge answers on the grading pool, in
parallel, once per item; a broken scorer gives an `error` row; stop() drops what is queued;
code scorers run inside the session's sandbox runtime; a replay session grades at start.

The scorers here are real functions with observable effects (a barrier that only opens when
two gradings run at once, call counters), not stand-ins for the engine under test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.capability.cache import Answer
from pytest_qnext.capability.collect import Entry
from pytest_qnext.capability.grading import Grading, graded_here
from pytest_qnext.capability.outcome import sample_row
from pytest_qnext.capability.prefetch import PrefetchStopped
from pytest_qnext.capability.session import CapabilitySession
from pytest_qnext.evals.base import EvalSpec
from pytest_qnext.evals.registry import Registry
from pytest_qnext.sample import Sample, Score
from pytest_qnext.sandbox import DEFAULT_RUNTIME, Runtime, current_runtime

Scorer = Callable[[Sample, str], Score]
SAMPLES = [Sample(f"s{i}", f"say {i}", str(i), metadata={"level": i % 2}) for i in range(4)]


def exact(sample: Sample, response: str) -> Score:
    ok = response.strip() == sample.target
    return Score("pass" if ok else "fail", {"acc": (float(ok), 1.0)}, extracted=response.strip())


def make_spec(score: Scorer = exact, **flags: Any) -> EvalSpec:
    return EvalSpec(
        name="slowqa",
        task_type="qa",
        primary_metric="acc",
        version="1",
        load=lambda ctx: SAMPLES,
        prompt=lambda sample, ctx: [{"role": "user", "content": sample.input}],
        score=score,
        **{"grade_ahead": True, **flags},
    )


def make_entry(spec: EvalSpec, index: int) -> Entry:
    sample = SAMPLES[index]
    return Entry(
        "slowqa", spec, sample, 0, f"slowqa/{sample.id}", ({"role": "user", "content": "q"},)
    )


@pytest.fixture
def grading() -> Any:
    pool = Grading(workers=2, mode="namespaces")
    yield pool
    pool.stop()


def test_answers_are_graded_on_the_pool_in_parallel(grading: Grading) -> None:
    barrier = threading.Barrier(2, timeout=30)
    threads: list[str] = []

    def score(sample: Sample, response: str) -> Score:
        threads.append(threading.current_thread().name)
        barrier.wait()  # opens only when both gradings run at the same time
        return exact(sample, response)

    spec = make_spec(score)
    entries = [make_entry(spec, i) for i in range(2)]
    for entry in entries:
        grading.submit(entry, Answer(content=entry.sample.target))
    rows = [grading.row(e, Answer(content=e.sample.target)) for e in entries]
    assert [r.outcome for r in rows] == ["pass", "pass"], [r.explanation for r in rows]
    assert len(threads) == 2 and all(name.startswith("qnext-grade") for name in threads)
    assert threading.current_thread().name not in threads


def test_each_item_is_graded_once(grading: Grading) -> None:
    calls: list[str] = []

    def score(sample: Sample, response: str) -> Score:
        calls.append(sample.id)
        return exact(sample, response)

    entry = make_entry(make_spec(score), 1)
    answer = Answer(content="1")
    grading.submit(entry, answer)
    grading.submit(entry, answer)  # the answer "arrived" twice
    assert grading.row(entry, answer).outcome == "pass"
    grading.submit(entry, answer)  # a late arrival after the item took its row
    assert calls == ["s1"]
    progress = grading.progress()
    assert (progress.graded, progress.expected, progress.running) == (1, 1, 0)
    assert progress.text() == "graded 1/1, grading 0"


def test_a_broken_scorer_is_an_error_row_with_the_reason(grading: Grading) -> None:
    def score(sample: Sample, response: str) -> Score:
        if response:
            raise RuntimeError("the sandbox could not start")
        return exact(sample, response)

    entry = make_entry(make_spec(score), 0)
    row = grading.row(entry, Answer(content="0", finish_reason="stop"))
    assert row.outcome == "error"
    assert row.explanation == "grader: RuntimeError: the sandbox could not start"
    assert row.metrics == {"acc": (0.0, 1.0)}
    assert row.prediction == "0"  # the answer that broke the grader stays visible
    # inline (ordinary) scoring takes the same path
    assert sample_row(entry, Answer(content="0")).explanation == row.explanation


def test_sample_details_reach_every_row() -> None:
    spec = make_spec(
        lambda s, r: Score("pass", {"acc": (1.0, 1.0)}, details={"kind": "ok"}),
        sample_details=lambda sample: {"level": sample.metadata["level"], "kind": "none"},
    )
    entry = make_entry(spec, 1)
    truncated = sample_row(entry, Answer(content="<think>never ends"))
    scored = sample_row(entry, Answer(content="1"))
    skipped = sample_row(entry, None, skip_reason="no answer")
    failed = sample_row(entry, Answer(error_kind="http", error="500"))
    assert truncated.outcome == "truncated" and truncated.details == {"level": 1, "kind": "none"}
    assert scored.details == {"level": 1, "kind": "ok"}  # the scorer's details win
    assert skipped.details["level"] == failed.details["level"] == 1


def test_stop_drops_queued_gradings() -> None:
    gate = threading.Event()
    started = threading.Event()

    def score(sample: Sample, response: str) -> Score:
        started.set()
        gate.wait(30)
        return exact(sample, response)

    grading = Grading(workers=1, mode="namespaces")
    spec = make_spec(score)
    entries = [make_entry(spec, i) for i in range(3)]
    for entry in entries:
        grading.submit(entry, Answer(content=entry.sample.target))
    assert started.wait(30)
    stopper = threading.Thread(target=grading.stop)
    stopper.start()
    for _ in range(300):  # stop() cancels the queued gradings before it waits for the running
        if grading.progress().queued == 0:
            break
        threading.Event().wait(0.1)
    gate.set()
    stopper.join(30)
    assert not stopper.is_alive()
    assert grading.row(entries[0], Answer(content="0")).outcome == "pass"
    for entry in entries[1:]:
        with pytest.raises(PrefetchStopped, match="not graded"):
            grading.row(entry, Answer(content=entry.sample.target))


def test_code_scorers_run_inside_the_sessions_runtime(grading: Grading) -> None:
    seen: dict[str, Runtime] = {}

    def score(sample: Sample, response: str) -> Score:
        seen[sample.id] = current_runtime()
        return exact(sample, response)

    code = make_entry(make_spec(score, executes_code=True), 0)
    plain = make_entry(make_spec(score), 1)
    assert graded_here(code) and graded_here(plain)
    assert not graded_here(make_entry(make_spec(score, grade_ahead=False), 2))
    grading.row(code, Answer(content="0"))
    grading.row(plain, Answer(content="1"))
    assert seen["s0"] is grading.runtime and grading.runtime.mode == "namespaces"
    assert seen["s1"] is DEFAULT_RUNTIME
    assert current_runtime() is DEFAULT_RUNTIME  # nothing leaked into this thread


def test_a_replay_session_grades_every_answer_at_start(
    tmp_path: Path, make_session: Callable[..., CapabilitySession]
) -> None:
    calls: list[str] = []
    release = threading.Event()

    def score(sample: Sample, response: str) -> Score:
        calls.append(sample.id)
        if sample.id == "s3":
            release.wait(30)  # the last one is still grading when the first item runs
        return exact(sample, response)

    replay = tmp_path / "replay.jsonl"
    replay.write_text(
        "".join(
            json.dumps({"dataset": "slowqa", "sample_id": s.id, "response": s.target}) + "\n"
            for s in SAMPLES[1:]
        ),
        encoding="utf-8",
    )
    session = make_session(
        "http://127.0.0.1:9/v1",  # never asked: the answers come from the replay
        benchmarks=Registry(extra=[make_spec(score)]),
        datasets=("slowqa",),
        responses=replay,
        sandbox_workers=3,
        cache="off",
    )
    try:
        ids = [e.item_id for e in session.entries()]
        session.plan(ids)
        session.start()
        first = session.run(ids[1])  # answered, graded ahead
        assert first.outcome == "pass"
        for _ in range(300):
            progress = session.grading().progress()
            if (progress.graded, progress.running) == (2, 1):
                break
            threading.Event().wait(0.1)
        assert sorted(calls) == ["s1", "s2", "s3"]  # graded before their items ran
        # four items planned: s0 has no answer in the replay (skipped, never graded)
        assert session.progress_line() == "qnext: graded 2/4, grading 1"
        release.set()
        skipped = session.run(ids[0])
        assert skipped.outcome == "skipped"
        assert [session.run(i).outcome for i in ids[2:]] == ["pass", "pass"]
    finally:
        release.set()
        session.stop()
    assert sorted(calls) == ["s1", "s2", "s3"]
