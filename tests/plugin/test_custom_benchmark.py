"""A user-defined benchmark through the public door: README's worked example, end to end.

The conftest is the code block of README's "Adding a benchmark" section, verbatim, so the
README cannot drift from what works. It runs on the built-in simulator (oracle policy: the
example's `oracle` gives right and wrong answers), with no edit of the package.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_FILE = """
import pytest
pytestmark = pytest.mark.capability

def test_sample(qnext_sample):
    qnext_sample.check()
"""
EXAMPLE = re.compile(
    r"<!-- custom-benchmark-example -->\s*```python\n(.*?)```\s*<!-- /custom-benchmark-example -->",
    re.S,
)


def readme_example() -> str:
    match = EXAMPLE.search((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README lost its custom-benchmark-example block"
    return match.group(1)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
    )
    pytester.makeconftest(readme_example())
    pytester.makepyfile(test_capability=TEST_FILE)
    return pytester


def _run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-m",
        "capability",
        "--qnext-sim",
        "ttft=0.001,itl=0.001,policy=oracle,p=0.5,seed=3",
        "--qnext-cache",
        "off",
        *args,
    )


def _summary(root: Path) -> dict[str, object]:
    """The summary.json of the newest run under the report root `root`."""
    data = json.loads((root / "latest" / "summary.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_readme_example_runs_end_to_end_on_the_simulator(project: pytest.Pytester) -> None:
    report = project.path / "report"
    result = _run(project, "--qnext-datasets", "capitals", "--qnext-report-dir", str(report))
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 4, result.stdout.str()
    summary = _summary(report)
    (row,) = [r for r in summary["table"] if r["dataset_name"] == "capitals"]  # type: ignore[index, union-attr]
    assert (row["task_type"], row["metric"], row["count"]) == ("knowledge", "acc", 4)
    assert row["average_score"] == outcomes.get("passed", 0) / 4
    result.stdout.fnmatch_lines(["*knowledge*acc*capitals*"])


def test_same_table_with_two_workers(project: pytest.Pytester) -> None:
    plain, two = project.path / "plain", project.path / "two"
    _run(project, "--qnext-datasets", "capitals", "--qnext-report-dir", str(plain))
    _run(project, "-n", "2", "--qnext-datasets", "capitals", "--qnext-report-dir", str(two))
    assert _summary(plain)["table"] == _summary(two)["table"]


def test_unknown_dataset_error_lists_the_users_benchmark(project: pytest.Pytester) -> None:
    result = _run(project, "--qnext-datasets", "capitalz")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    (line,) = [x for x in result.stderr.lines if x.startswith("ERROR:")]
    assert "unknown dataset 'capitalz'" in line
    assert "capitals" in line.split("valid:", 1)[1]
    assert "mmlu_pro" in line


def test_a_name_already_taken_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(readme_example().replace('name="capitals"', 'name="mmlu_pro"'))
    pytester.makepyfile(test_capability=TEST_FILE)
    result = _run(pytester, "--qnext-datasets", "mmlu_pro")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "benchmark 'mmlu_pro' is defined twice" in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_hook_returning_something_else_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("def pytest_qnext_benchmarks(config):\n    return ['capitals']\n")
    pytester.makepyfile(test_capability=TEST_FILE)
    result = _run(pytester, "--qnext-datasets", "capitals")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "not an EvalSpec" in result.stderr.str()
