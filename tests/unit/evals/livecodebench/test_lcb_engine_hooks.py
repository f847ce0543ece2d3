"""What live_code_bench gives the engine: its flags, the simulator's oracle (reference solutions
shipped beside the fixtures and demo rows), grading in the run's sandbox runtime, the
contamination hook and the details every row keeps."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lcb_helpers import DATA_DIR, FIXTURES

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.hub import DEMO_DATA_DIR, BadDatasetArgs
from pytest_qnext.evals.livecodebench import SPEC, contamination, oracle, sample_details
from pytest_qnext.evals.livecodebench.oracle import REFERENCE_FILE, SOLUTION_KEY
from pytest_qnext.sample import Sample, Score
from pytest_qnext.sandbox import Runtime, default_workers

WINDOW = {"extra_params": {"start_date": "2025-01-01", "end_date": "2025-04-30"}}


def test_the_engine_flags() -> None:
    assert SPEC.executes_code and SPEC.grade_ahead
    assert SPEC.oracle is oracle and SPEC.contamination is contamination
    assert SPEC.sample_details is sample_details and SPEC.breakdown is not None


def test_reference_solutions_ship_with_fixtures_and_demo_rows(
    loaded: list[Sample], fixture_problems: dict[str, dict[str, Any]]
) -> None:
    assert {s.id: s.metadata[SOLUTION_KEY] for s in loaded} == {
        pid: p["reference"] for pid, p in fixture_problems.items()
    }
    demo = SPEC.load(LoadContext(DEMO_DATA_DIR, {}))
    assert len(demo) == 3 and all(s.metadata[SOLUTION_KEY] for s in demo)


def _scores(samples: list[Sample], correct: bool) -> dict[str, Score]:
    def one(sample: Sample) -> tuple[str, Score]:
        return sample.id, SPEC.score(sample, oracle(sample, correct))

    with ThreadPoolExecutor(2 * default_workers()) as executor:
        return dict(executor.map(one, samples))


@pytest.mark.usefixtures("lcb_sandbox_ready")
def test_the_oracle_answers_right_and_wrong(loaded: list[Sample]) -> None:
    right = _scores(loaded, True)
    wrong = _scores(loaded, False)
    assert {sid: s.outcome for sid, s in right.items() if s.outcome != "pass"} == {}
    assert {s.outcome for s in wrong.values()} <= {"fail", "unparsed"}
    kinds = Counter(str(s.details["kind"]) for s in wrong.values())
    assert set(kinds) == {"wrong_answer", "runtime_error", "compile_error", "unparsed"}, kinds
    # the same answers in every run
    assert all(oracle(s, False) == oracle(s, False) for s in loaded[:3])


def test_without_a_reference_the_oracle_can_only_be_wrong(loaded: list[Sample]) -> None:
    sample = loaded[0]
    bare = dataclasses.replace(
        sample, metadata={k: v for k, v in sample.metadata.items() if k != SOLUTION_KEY}
    )
    assert oracle(bare, True) == oracle(bare, False) == oracle(sample, False)
    assert oracle(sample, True) != oracle(sample, False)


def test_a_bad_reference_file_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "livecodebench"
    folder.mkdir()
    (folder / "test6.jsonl").write_text(
        (FIXTURES / "test6.jsonl").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (folder / REFERENCE_FILE).write_text('{"question_id": "3111"}\n', encoding="utf-8")
    with pytest.raises(DatasetUnavailable, match=f"{REFERENCE_FILE}:1: expected") as info:
        SPEC.load(LoadContext(tmp_path, {}))
    assert "\n" not in str(info.value)


def _probe_sample() -> Sample:
    """A one-test stdin problem whose expected output no program below prints."""
    public = json.dumps([{"input": "", "output": "-", "testtype": "stdin"}])
    meta = {"public_test_cases": public, "private_test_cases": "[]", "fn_name": None}
    return Sample("probe", "print your pid and uid", "", metadata=meta)


@pytest.mark.usefixtures("lcb_sandbox_ready")
def test_programs_run_in_the_active_runtime() -> None:
    sample = _probe_sample()
    response = "```python\nimport os\nprint(os.getpid(), os.getuid())\n```"
    confined = SPEC.score(sample, response)
    pid, uid = map(int, confined.details["got"].split())
    assert pid == 2 and uid != 0  # pid 2 of its own pid namespace (pid 1 is its init)
    runtime = Runtime("unsafe-local")
    try:
        with runtime.active():
            local = SPEC.score(sample, response)
        assert runtime.zygote is not None and runtime.zygote.pid is not None  # it forked it
    finally:
        runtime.close()
    host_pid, _ = map(int, local.details["got"].split())
    assert host_pid > 2 and local.details["kind"] == "wrong_answer"


def test_contamination_hook() -> None:
    in_window = LoadContext(DATA_DIR, WINDOW)
    assert contamination(in_window, None) is None
    assert contamination(in_window, date(2024, 12, 31)) is None
    line = contamination(in_window, date(2025, 2, 1))
    assert line is not None and "start_date 2025-01-01" in line and "2025-02-01" in line
    # the dataset argument wins over --qnext-model-cutoff
    own = LoadContext(DATA_DIR, {**WINDOW, "model_cutoff": "2025-03-01"})
    assert "2025-03-01" in (contamination(own, date(2024, 1, 1)) or "")
    assert contamination(LoadContext(DATA_DIR, {"model_cutoff": "2024-06-30"}), None)


def test_a_bad_model_cutoff_argument_fails_at_load() -> None:
    with pytest.raises(BadDatasetArgs, match="model_cutoff 'last year' is not a date") as info:
        SPEC.load(LoadContext(DATA_DIR, {"model_cutoff": "last year"}))
    assert "\n" not in str(info.value)


def test_sample_details_are_date_difficulty_platform_release(loaded: list[Sample]) -> None:
    for sample in loaded:
        details = sample_details(sample)
        assert details == {
            "contest_date": sample.metadata["contest_date"],
            "difficulty": sample.metadata["difficulty"],
            "platform": sample.metadata["platform"],
            "release": sample.subset,
        }
