"""The controller rebuilds rows from the plain values items report; a bad one is one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.report.controller import META_PROPERTY, ROW_PROPERTY, CapabilityReport
from pytest_qnext.rows import DatasetMeta, SampleRow


def _teardown(nodeid: str, props: list[tuple[str, Any]]) -> pytest.TestReport:
    return pytest.TestReport(
        nodeid,
        ("t.py", 0, nodeid),
        {"capability": 1},
        "passed",
        None,
        "teardown",
        user_properties=props,
    )


def test_rows_and_meta_are_rebuilt_and_bad_ones_become_problems(tmp_path: Path) -> None:
    report = CapabilityReport(CapabilitySettings(datasets=("d",)), tmp_path)
    row = SampleRow("d", "1", "pass", metrics={"acc": (1.0, 1.0)}, messages=())
    meta = DatasetMeta("d", "exam", "acc", ("acc",), {"version": "1"})
    report.add_report(
        _teardown(
            "t.py::test[d/1]", [(META_PROPERTY, meta.to_json()), (ROW_PROPERTY, row.to_json())]
        )
    )
    bad = {**row.to_json(), "sample_id": "2", "outcome": "won"}
    report.add_report(_teardown("t.py::test[d/2]", [(ROW_PROPERTY, bad)]))
    assert report.aggregator.rows == [row]
    assert report.problems == [
        "qnext: t.py::test[d/2]: sample row d/2: 'outcome' must be one of pass, fail, unparsed, "
        "truncated, error, skipped, got 'won'"
    ]
    report.finish()
    assert report.summary is not None and report.summary["datasets"]["d"]["task_type"] == "exam"
    assert report.exit_status(pytest.ExitCode.OK) == pytest.ExitCode.TESTS_FAILED
