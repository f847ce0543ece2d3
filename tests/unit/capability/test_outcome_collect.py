"""Outcomes (think handling, truncation, errors), sample selection and the custom datasets.

Questions come from the real MMLU-Pro and AIME 2024 files in ../shared/data.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.capability.cache import Answer
from pytest_qnext.capability.collect import CollectError, Entry, apply_limit, item_id, load_entries
from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.capability.outcome import decide, failure_message, sample_row
from pytest_qnext.capability.scheduler import block
from pytest_qnext.evals import registry
from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.options import parse_limit
from pytest_qnext.rows import WITHHELD, SampleRow
from pytest_qnext.sample import Sample, Score
from pytest_qnext.sim.oracle import oracle_rows


@pytest.fixture(scope="module")
def mcq_file(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mcq") / "mcq.jsonl"
    with (
        (shared_data / "mmlu_pro" / "test.jsonl").open(encoding="utf-8") as src,
        path.open("w", encoding="utf-8") as dst,
    ):
        for _, line in zip(range(30), src, strict=False):
            rec = json.loads(line)
            dst.write(
                json.dumps(
                    {
                        "id": rec["question_id"],
                        "question": rec["question"],
                        "choices": rec["options"],
                        "answer": rec["answer"],
                    }
                )
                + "\n"
            )
    return path


@pytest.fixture(scope="module")
def qa_file(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("qa") / "qa.jsonl"
    with (
        (shared_data / "aime24" / "test.jsonl").open(encoding="utf-8") as src,
        path.open("w", encoding="utf-8") as dst,
    ):
        for line in src:
            rec = json.loads(line)
            dst.write(
                json.dumps({"id": rec["id"], "question": rec["problem"], "answer": rec["answer"]})
                + "\n"
            )
    return path


def settings(**kw: object) -> CapabilitySettings:
    return CapabilitySettings(**kw)  # type: ignore[arg-type]


def mcq_settings(path: Path, **kw: object) -> CapabilitySettings:
    return settings(
        datasets=("general_mcq",), dataset_args={"general_mcq": {"local_path": str(path)}}, **kw
    )


def test_general_mcq_loads_real_rows_and_oracle_grades_itself(mcq_file: Path) -> None:
    entries, metas = load_entries(mcq_settings(mcq_file))
    assert len(entries) == 30 and entries[0].item_id == "general_mcq/70"
    spec = registry.get("general_mcq")
    for entry in entries:
        assert entry.sample.target in "ABCDEFGHIJ"
        right = spec.score(entry.sample, spec.oracle(entry.sample, True))  # type: ignore[misc]
        wrong = spec.score(entry.sample, spec.oracle(entry.sample, False))  # type: ignore[misc]
        assert (right.outcome, wrong.outcome) == ("pass", "fail")
    assert metas["general_mcq"]["primary_metric"] == "acc"
    assert len(oracle_rows(entries)) == 30


def test_general_qa_scores_normalised_matches(qa_file: Path) -> None:
    spec = registry.get("general_qa")
    samples = spec.load(LoadContext(None, {"local_path": str(qa_file)}))
    assert len(samples) == 30
    s = samples[0]
    assert spec.score(s, f"Work...\nANSWER: {s.target}.").outcome == "pass"
    assert spec.score(s, f"so the result is\n**{s.target}**").outcome == "pass"
    assert spec.score(s, "ANSWER: 1000001").outcome == "fail"
    assert spec.score(s, "").outcome == "unparsed"
    exact = spec.score(Sample("x", "q", "The Answer"), "ANSWER: answer").metrics
    assert exact["acc"] == (1.0, 1.0) and exact["exact_match"] == (0.0, 1.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"question": "q", "choices": ["a", "b"]}', "'answer'"),
        ('{"question": "q", "choices": ["a"], "answer": "A"}', "at least 2 options"),
        ('{"question": "", "choices": ["a", "b"], "answer": "A"}', "'question'"),
        ('{"question": "q", "choices": ["a", "b"], "answer": "C"}', "letters A-B"),
        ("nope", "not valid JSON"),
    ],
)
def test_bad_mcq_rows_are_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content + "\n")
    with pytest.raises(DatasetUnavailable, match=message) as info:
        registry.get("general_mcq").load(LoadContext(None, {"local_path": str(path)}))
    assert "\n" not in str(info.value) and "bad.jsonl:1" in str(info.value)


def test_mcq_without_path_says_how(tmp_path: Path) -> None:
    with pytest.raises(CollectError, match="local_path"):
        load_entries(settings(datasets=("general_mcq",)))
    with pytest.raises(CollectError, match="unknown dataset"):
        load_entries(settings(datasets=("no_such_bench",)))


def test_letter_columns_and_subset_directory(tmp_path: Path) -> None:
    folder = tmp_path / "sets"
    folder.mkdir()
    (folder / "easy.jsonl").write_text(
        json.dumps({"id": 1, "question": "q", "A": "x", "B": "y", "answer": "B"}) + "\n"
    )
    (folder / "hard.jsonl").write_text(
        json.dumps({"id": 1, "question": "q2", "A": "x", "B": "y", "C": "z", "answer": 2}) + "\n"
    )
    entries, _ = load_entries(
        settings(
            datasets=("general_mcq",),
            dataset_args={"general_mcq": {"local_path": str(folder), "subset_list": ["hard"]}},
        )
    )
    assert [(e.item_id, e.sample.subset, e.sample.target) for e in entries] == [
        ("general_mcq/hard/1", "hard", "C")
    ]


def test_limit_and_repeats_shape_item_ids(mcq_file: Path) -> None:
    entries, _ = load_entries(mcq_settings(mcq_file, limit=0.1, repeats=2))
    assert [e.item_id for e in entries] == [
        "general_mcq/70#r0",
        "general_mcq/70#r1",
        "general_mcq/71#r0",
        "general_mcq/71#r1",
        "general_mcq/72#r0",
        "general_mcq/72#r1",
    ]
    assert item_id("d", "5", 0, 1) == "d/5"


@given(st.integers(0, 300), st.floats(0.001, 0.999))
def test_fraction_limit_takes_a_ceil_share(n: int, frac: float) -> None:
    samples = [Sample(str(i), "q", "A") for i in range(n)]
    taken = apply_limit(samples, frac)
    assert len(taken) == min(n, math.ceil(frac * n)) and taken == samples[: len(taken)]


def test_parse_limit_rejects_nonsense() -> None:
    flag = "--qnext-limit"
    assert parse_limit(flag, "100") == 100 and parse_limit(flag, "0.25") == 0.25
    assert CapabilitySettings().limit is None  # not given: every sample
    for bad in ("0", "-3", "1.5", "ten"):
        with pytest.raises(pytest.UsageError, match="--qnext-limit"):
            parse_limit(flag, bad)


@given(st.integers(0, 500), st.integers(1, 16))
def test_blocks_partition_items_contiguously(n: int, workers: int) -> None:
    items = list(range(n))
    parts = [block(items, i, workers) for i in range(workers)]
    assert [x for part in parts for x in part] == items
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1


def _sample() -> Sample:
    return Sample("1", "q", "B", choices=("w", "x", "y", "z"))


SPEC_NAME = "general_mcq"


@pytest.mark.parametrize(
    ("answer", "outcome", "extracted"),
    [
        (Answer(content="<think>maybe A</think>\nANSWER: B", finish_reason="stop"), "pass", "B"),
        (
            Answer(content="lots of thought ANSWER: A</think>ANSWER: C", finish_reason="stop"),
            "fail",
            "C",
        ),
        (Answer(content="<think>A or B, hmm", finish_reason="length"), "truncated", None),
        (Answer(content="<think>A or B, hmm", finish_reason="stop"), "truncated", None),
        (Answer(content="ANSWER: B", finish_reason="length"), "truncated", "B"),
        (Answer(content="I cannot tell", finish_reason="stop"), "unparsed", None),
        (
            Answer(content="ANSWER: B", reasoning="split reasoning", finish_reason="stop"),
            "pass",
            "B",
        ),
        (Answer(error_kind="http_5xx", error="HTTP 500 after 4 tries"), "error", None),
    ],
)
def test_outcome_rules(answer: Answer, outcome: str, extracted: str | None) -> None:
    verdict = decide(registry.get(SPEC_NAME), _sample(), answer)
    assert (verdict.outcome, verdict.extracted) == (outcome, extracted)
    assert "<think>" not in verdict.prediction and "</think>" not in verdict.prediction
    if outcome in ("truncated", "error"):
        assert verdict.metrics == {"acc": (0.0, 1.0)}  # counted, never dropped
    if answer.reasoning:
        assert verdict.reasoning == answer.reasoning


def test_failure_message_is_compact() -> None:
    long = "x" * 5000 + " ANSWER: C"
    verdict = decide(registry.get(SPEC_NAME), _sample(), Answer(content=long, finish_reason="stop"))
    row = SampleRow(
        "general_mcq",
        "1",
        verdict.outcome,
        metrics=verdict.metrics,
        target="B",
        extracted=verdict.extracted,
        finish_reason="stop",
        explanation=verdict.explanation,
        prediction=verdict.prediction,
    )
    text = failure_message("general_mcq/1", row)
    assert text.startswith("general_mcq/1: fail — target 'B', extracted 'C'")
    assert len(text) < 800 and "ANSWER: C" in text and "Traceback" not in text


def test_scorer_details_reach_the_verdict_once(shared_data: Path) -> None:
    """IFEval's per-instruction verdicts come with its Score (no second scoring pass) and land
    in the verdict for the report row; truncated answers carry none."""
    from pytest_qnext.evals.base import LoadContext
    from pytest_qnext.evals.ifeval import SPEC, configure_nltk

    configure_nltk(str(shared_data / "nltk_data"))
    sample = SPEC.load(LoadContext(shared_data, {}))[0]
    text = "a short answer"
    calls = []

    def scored_once(s: Sample, t: str) -> Score:  # the real scorer, counted
        calls.append(t)
        return SPEC.score(s, t)

    counted = replace(SPEC, score=scored_once)
    verdict = decide(counted, sample, Answer(content=text, finish_reason="stop"))
    assert calls == [text]
    expected = [list(v) for v in SPEC.score(sample, text).details["inst_verdicts"]]
    assert verdict.details == {"inst_verdicts": expected}
    assert [v[0] for v in expected] == list(sample.metadata["instruction_id_list"])
    truncated = decide(SPEC, sample, Answer(content=text, finish_reason="length"))
    assert truncated.outcome == "truncated" and truncated.details == {}


def _tiny_spec(protected: bool) -> EvalSpec:
    """A one-question letter benchmark (the shared letter scorer); `protected` as asked."""
    general = registry.get("general_mcq")
    return replace(general, name="tiny", protected=protected)


def _entry(spec: EvalSpec) -> Entry:
    sample = Sample("q1", "Which secret colour?", "B", choices=("red", "blue"))
    messages = ({"role": "user", "content": "Which secret colour? A) red B) blue"},)
    return Entry("tiny", spec, sample, 0, "tiny/q1", messages)


SECRET_ANSWER = Answer(
    content="<think>the secret colour is blue</think>Blue, the secret colour. ANSWER: B",
    finish_reason="stop",
    usage={"prompt_tokens": 9, "completion_tokens": 12},
    latency=0.2,
)


def test_rows_carry_messages_and_details() -> None:
    row = sample_row(_entry(_tiny_spec(False)), SECRET_ANSWER)
    assert (row.outcome, row.extracted, row.target) == ("pass", "B", "B")
    assert row.messages == _entry(_tiny_spec(False)).messages
    assert row.reasoning == "the secret colour is blue" and "ANSWER: B" in row.prediction
    assert row.usage == {"prompt_tokens": 9, "completion_tokens": 12}
    assert SampleRow.from_json(json.loads(json.dumps(row.to_json()))) == row


def test_protected_rows_withhold_the_text_unless_asked() -> None:
    """No message, question, reasoning or response text of a protected benchmark reaches its
    row (nor the failure message built from it); the extracted letter and target stay."""
    entry = _entry(_tiny_spec(True))
    wrong = replace(SECRET_ANSWER, content=SECRET_ANSWER.content.replace("ANSWER: B", "ANSWER: A"))
    for answer in (SECRET_ANSWER, wrong):
        row = sample_row(entry, answer)
        text = json.dumps(row.to_json()) + failure_message(entry.item_id, row)
        assert "secret" not in text.lower() and "blue" not in text.lower()
        assert row.messages is None and row.prediction == row.reasoning == WITHHELD
        assert row.target == "B" and row.extracted in ("A", "B")
    kept = sample_row(entry, SECRET_ANSWER, write_protected_text=True)
    assert kept == sample_row(_entry(_tiny_spec(False)), SECRET_ANSWER)
    skipped = sample_row(entry, None, skip_reason="no response for tiny/q1 in replay.jsonl")
    assert skipped.outcome == "skipped" and skipped.messages is None
    assert skipped.skip_reason == "no response for tiny/q1 in replay.jsonl"


def test_ifeval_verdicts_nest_under_details(shared_data: Path) -> None:
    from pytest_qnext.evals.ifeval import SPEC, configure_nltk

    configure_nltk(str(shared_data / "nltk_data"))
    sample = SPEC.load(LoadContext(shared_data, {}))[0]
    entry = Entry(
        "ifeval",
        SPEC,
        sample,
        0,
        f"ifeval/{sample.id}",
        ({"role": "user", "content": sample.input},),
    )
    row = sample_row(entry, Answer(content="a short answer", finish_reason="stop")).to_json()
    assert set(row["details"]) == {"inst_verdicts"} and "inst_verdicts" not in row
    assert row["messages"] == [{"role": "user", "content": sample.input}]


def test_unknown_dataset_args_name_the_valid_keys(mcq_file: Path) -> None:
    args = {"general_mcq": {"local_path": str(mcq_file), "subset_lst": ["x"], "zzz": 1}}
    with pytest.raises(CollectError) as info:
        load_entries(settings(datasets=("general_mcq",), dataset_args=args))
    message = str(info.value)
    assert "general_mcq has no setting 'subset_lst' (did you mean 'subset_list'?), 'zzz'" in (
        message
    )
    assert "valid keys for general_mcq: subset_list, few_shot_num, repeats, local_path" in message
    mmlu_pro = registry.get("mmlu_pro")
    assert "extraction" in mmlu_pro.valid_args and mmlu_pro.unknown_args({"extraction": 1}) == []
    assert registry.get("general_mcq").unknown_args({"extraction": 1}) == ["extraction"]


def test_a_dataset_without_samples_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    args = {"general_mcq": {"local_path": str(empty)}}
    with pytest.raises(CollectError, match="general_mcq: no samples selected") as info:
        load_entries(settings(datasets=("general_mcq",), dataset_args=args))
    assert "empty.jsonl" in str(info.value) and "\n" not in str(info.value)


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    row = {"question": "q", "choices": ["a", "b"], "answer": "A"}
    lines = [{**row, "id": "x"}, {**row, "id": "y"}, {**row, "id": "x"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    with pytest.raises(DatasetUnavailable) as info:
        registry.get("general_mcq").load(LoadContext(None, {"local_path": str(path)}))
    assert str(info.value) == (
        f"general_mcq: {path}:3: id 'x' occurs twice (first at {path}:1); ids must be unique"
    )
