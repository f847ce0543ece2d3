"""PerfPoint: the flat JSON of a sweep point, its round trip and one-line errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from pytest_qnext.perf.baseline import compare_baseline
from pytest_qnext.perf.point import IDENTITY, PerfPoint, PerfPointError
from pytest_qnext.perf.slo import GateResult, parse_slo
from pytest_qnext.perf.table import format_table

POINT = PerfPoint(
    point="parallel=4-number=8",
    parallel=4,
    number=8,
    rate=None,
    rounds=2,
    metrics={
        "ttft_p50": 0.05,
        "ttft_p99": math.nan,
        "noise": {"ttft_p50": 0.1},
        "error_examples": ({"index": 1, "kind": "timeout"},),
        "completed": 8,
    },
    gates=(GateResult("ttft_p99<=1", False, "SLO ttft_p99<=1: no value"),),
)


def test_to_json_is_flat_plain_json_and_round_trips() -> None:
    data = POINT.to_json()
    assert {k: data[k] for k in IDENTITY[:5]} == {
        "point": "parallel=4-number=8",
        "parallel": 4,
        "number": 8,
        "rate": None,
        "rounds": 2,
    }
    assert data["ttft_p50"] == 0.05 and data["ttft_p99"] is None  # NaN is not JSON
    assert data["error_examples"] == [{"index": 1, "kind": "timeout"}]
    assert data["gates"] == [
        {"name": "ttft_p99<=1", "passed": False, "message": "SLO ttft_p99<=1: no value"}
    ]
    text = json.dumps(data, allow_nan=False)
    back = PerfPoint.from_json(json.loads(text))
    assert back.to_json() == data
    assert back.failures == ["SLO ttft_p99<=1: no value"]
    assert PerfPoint.from_json(back.to_json()) == back


def test_flat_json_is_what_the_table_and_perf_baseline_read() -> None:
    data = PerfPoint.from_json({**POINT.to_json(), "ttft_p99": 0.2}).to_json()
    assert "4" in format_table([data])[2]
    (gate,) = compare_baseline(data, [data], 0.1, metrics=("ttft_p99",))
    assert gate.passed  # the same point against itself
    assert parse_slo("ttft_p99<=1").check(data).passed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"parallel": 0}, "perf point parallel=4-number=8: 'parallel' must be an int >= 1, got 0"),
        ({"number": "8"}, "'number' must be an int >= 1, got '8'"),
        ({"rate": -1.0}, "'rate' must be a number > 0 or null"),
        ({"rounds": 1.5}, "'rounds' must be an int >= 0"),
        ({"point": ""}, "'point' must be a non-empty string"),
        ({"gates": [{"name": "x", "passed": "yes", "message": ""}]}, "'gates' must be a list of"),
        ({"gates": "none"}, "'gates' must be a list of {name, passed, message}"),
    ],
)
def test_bad_fields_are_one_line(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PerfPointError) as info:
        PerfPoint.from_json({**POINT.to_json(), **change})
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_fields_and_non_dicts() -> None:
    data = POINT.to_json()
    del data["rounds"]
    with pytest.raises(PerfPointError, match="perf point parallel=4-number=8 lacks 'rounds'"):
        PerfPoint.from_json(data)
    with pytest.raises(PerfPointError, match="a perf point must be a dict, got list"):
        PerfPoint.from_json([1, 2])
