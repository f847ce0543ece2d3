"""SampleRow / DatasetMeta: JSON round trips, one-line errors for each bad field, withholding."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.rows import WITHHELD, DatasetMeta, RowError, SampleRow, natural_key, sort_key
from pytest_qnext.sample import OUTCOMES

FULL: dict[str, Any] = {
    "dataset": "ifeval",
    "sample_id": "1000",
    "outcome": "fail",
    "metrics": {"prompt_level_strict": [0.0, 1.0], "inst_level_strict": [2.0, 3.0]},
    "subset": "default",
    "repeat": 2,
    "prediction": "Hello <b>world</b>",
    "reasoning": "first I think",
    "extracted": None,
    "target": "",
    "finish_reason": "stop",
    "usage": {"prompt_tokens": 30, "completion_tokens": 12},
    "latency": 0.25,
    "retried": ["http_5xx"],
    "explanation": "failed instructions (strict): punctuation:no_comma",
    "cached": True,
    "skip_reason": None,
    "messages": [{"role": "user", "content": "Write a poem, no commas."}],
    "details": {"inst_verdicts": [["punctuation:no_comma", False, True]]},
    "collection": {
        "task_type": "instruction",
        "tags": ["en"],
        "categories": ["Qwen3", "English"],
        "weight": 0.0833,
    },
}


def test_full_row_round_trips_through_json() -> None:
    row = SampleRow.from_json(json.loads(json.dumps(FULL)))
    assert row.metrics["inst_level_strict"] == (2.0, 3.0)
    assert row.retried == ("http_5xx",) and row.messages == (FULL["messages"][0],)
    assert row.details == FULL["details"] and row.key == ("ifeval", "1000", 2)
    data = row.to_json()
    assert list(data) == list(SampleRow.__dataclass_fields__)  # one key per field
    # metrics come back sorted by name; everything else as given
    assert data == {**FULL, "metrics": dict(sorted(FULL["metrics"].items()))}
    assert SampleRow.from_json(json.loads(json.dumps(data))) == row


def test_minimal_row_gets_defaults_and_round_trips() -> None:
    row = SampleRow.from_json({"dataset": "d", "sample_id": "1", "outcome": "skipped"})
    assert (row.repeat, row.subset, row.messages, row.details, row.metrics) == (
        0,
        "default",
        None,
        {},
        {},
    )
    assert SampleRow.from_json(row.to_json()) == row


def test_direct_rows_with_tuples_become_json_lists() -> None:
    """A row built in the session (tuples, Score.details as given) gives plain JSON values."""
    row = SampleRow(
        "d",
        "1",
        "pass",
        metrics={"acc": (1.0, 1.0)},
        retried=("timeout",),
        messages=({"role": "user", "content": "q"},),
        details={"pairs": (("a", True),)},
    )
    data = row.to_json()
    assert data["metrics"] == {"acc": [1.0, 1.0]} and data["retried"] == ["timeout"]
    assert data["details"] == {"pairs": [["a", True]]}
    assert json.loads(json.dumps(data)) == data
    assert SampleRow.from_json(data) == SampleRow.from_json(json.loads(json.dumps(data)))


BAD_FIELDS = [
    ("dataset", "", "'dataset' must be a non-empty string"),
    ("sample_id", 7, "'sample_id' must be a non-empty string, got 7"),
    ("subset", None, "'subset' must be a non-empty string"),
    ("repeat", -1, "'repeat' must be an int >= 0, got -1"),
    ("repeat", True, "'repeat' must be an int >= 0"),
    ("outcome", "maybe", f"'outcome' must be one of {', '.join(OUTCOMES)}"),
    ("metrics", {"a": [2, 1]}, "'metrics' must be a dict name -> [num, den] with 0 <= num"),
    ("metrics", {"a": [float("nan"), 1]}, "'metrics' must be a dict name -> [num, den]"),
    ("metrics", [["a", 1, 1]], "'metrics' must be a dict"),
    ("prediction", None, "'prediction' must be a string, got None"),
    ("reasoning", 3, "'reasoning' must be a string"),
    ("extracted", 3, "'extracted' must be a string or null"),
    ("target", ["A"], "'target' must be a string"),
    ("finish_reason", 1, "'finish_reason' must be a string or null"),
    ("usage", {"tokens": {1, 2}}, "'usage' must be a dict of JSON values or null"),
    ("latency", -0.5, "'latency' must be a number >= 0 or null"),
    ("latency", "fast", "'latency' must be a number >= 0 or null"),
    ("retried", "http_5xx", "'retried' must be a list of error kinds, got 'http_5xx'"),
    ("explanation", None, "'explanation' must be a string"),
    ("cached", 1, "'cached' must be true or false, got 1"),
    ("skip_reason", 0, "'skip_reason' must be a string or null"),
    ("messages", [{"role": "user"}, "hi"], "'messages' must be a list of {role, content}"),
    ("messages", "hi", "'messages' must be a list of {role, content}"),
    ("details", {"x": object()}, "'details' must be a dict of JSON values"),
    ("details", {1: "a"}, "'details' must be a dict of JSON values"),
    ("details", None, "'details' must be a dict of JSON values, got None"),
    *[
        (
            "collection",
            {**FULL["collection"], **change},
            "'collection' must be null or a "
            "collection leaf {task_type, tags, categories, weight in (0, 1]}",
        )
        for change in (
            {"weight": 0},
            {"weight": 1.5},
            {"categories": []},
            {"tags": [""]},
            {"task_type": None},
            {"extra": 1},
        )
    ],
    ("collection", "Qwen3", "'collection' must be null or a collection leaf"),
]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    BAD_FIELDS,
    ids=[f"{n}-{i}" for i, (n, *_) in enumerate(BAD_FIELDS)],
)
def test_each_bad_field_is_one_line_naming_sample_and_field(
    name: str, value: Any, message: str
) -> None:
    with pytest.raises(RowError) as info:
        SampleRow.from_json({**FULL, name: value})
    text = str(info.value)
    where = "ifeval/1000" if name not in ("dataset", "sample_id") else ""
    assert text.startswith(f"sample row {where}"), text
    assert message in text and "\n" not in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"dataset": "d", "outcome": "pass", "metrics": {"a": [1, 1]}}, "lacks 'sample_id'"),
        ({"sample_id": "1", "outcome": "pass"}, "sample row ?/1 lacks 'dataset'"),
        ({"dataset": "d", "sample_id": "1", "metrics": {}}, "d/1 lacks 'outcome'"),
        ({"dataset": "d", "sample_id": "1", "outcome": "error"}, "'error' needs metrics"),
        ({**FULL, "inst_verdicts": [], "extra": 1}, "unknown field(s) 'extra', 'inst_verdicts'"),
        (["dataset", "d"], "a sample row must be a dict, got list"),
    ],
)
def test_missing_unknown_and_inconsistent_fields(data: Any, message: str) -> None:
    with pytest.raises(RowError) as info:
        SampleRow.from_json(data)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_long_bad_values_are_clipped() -> None:
    with pytest.raises(RowError) as info:
        SampleRow.from_json({**FULL, "retried": "x" * 5000})
    assert len(str(info.value)) < 200


def test_withheld_keeps_the_answer_letter_and_target_only() -> None:
    row = SampleRow.from_json({**FULL, "extracted": "C", "target": "B"})
    hidden = row.withheld()
    assert hidden.messages is None
    assert (hidden.prediction, hidden.reasoning) == (WITHHELD, WITHHELD)
    assert (hidden.extracted, hidden.target, hidden.outcome) == ("C", "B", "fail")
    assert "\n" not in WITHHELD
    text = json.dumps(hidden.to_json())
    for secret in ("Hello", "first I think", "Write a poem"):
        assert secret not in text
    empty = SampleRow("d", "1", "error", metrics={"acc": (0.0, 1.0)}).withheld()
    assert (empty.prediction, empty.reasoning) == ("", "")  # nothing to withhold: no note


def test_meta_round_trip_and_errors() -> None:
    data = {
        "dataset": "mmlu_pro",
        "task_type": "exam",
        "primary_metric": "acc",
        "metrics": ["acc"],
        "fingerprint": {"version": "1", "subset_list": [], "gen_config": {"temperature": 0}},
        "collection": {"name": "Qwen3", "source": "qwen3.jsonl", "notes": []},
    }
    meta = DatasetMeta.from_json(data)
    assert meta.metrics == ("acc",)
    assert meta.to_json() == data and DatasetMeta.from_json(meta.to_json()) == meta
    assert DatasetMeta.from_json({"dataset": "x"}) == DatasetMeta("x")
    for bad, message in [
        (
            {**data, "metrics": "acc"},
            "dataset meta mmlu_pro: 'metrics' must be a list of metric names",
        ),
        ({**data, "fingerprint": []}, "'fingerprint' must be a dict of JSON values"),
        ({**data, "collection": "Qwen3"}, "'collection' must be a dict of JSON values or null"),
        ({**data, "primary_metric": ""}, "'primary_metric' must be a metric name or null"),
        ({**data, "task_type": None}, "'task_type' must be a non-empty string"),
        ({**data, "dataset": None}, "'dataset' must be a non-empty string"),
        ({"task_type": "exam"}, "dataset meta ? lacks 'dataset'"),
        ({**data, "extra": 1}, "unknown field(s) 'extra'"),
        ("mmlu_pro", "a dataset meta must be a dict, got str"),
    ]:
        with pytest.raises(RowError) as info:
            DatasetMeta.from_json(bad)
        assert message in str(info.value) and "\n" not in str(info.value)


@given(st.text("abc/_", max_size=4), st.integers(0, 10**6), st.integers(0, 10**6))
def test_sample_ids_sort_by_their_numbers(prefix: str, a: int, b: int) -> None:
    """ "q2" before "q10": ids that differ in a number sort by its value, then by repeat."""
    assert (natural_key(f"{prefix}{a}") < natural_key(f"{prefix}{b}")) == (a < b)
    assert (sort_key(("d", f"{prefix}{a}", 1)) < sort_key(("d", f"{prefix}{b}", 0))) == (a < b)
