"""End to end: the capability suite run by pytest in a subprocess against the simulator.

The questions are the MMLU-Pro demo rows bundled with the package (real rows,
`--qnext-data-dir demo`), cycled to N_SAMPLES general_mcq rows with their own ids: nothing here
needs ../shared/data. Every run uses the simulator's oracle policy, whose right/wrong choice
per sample is a pure function of (seed, sample), so runs with faults, with -n 2 or resumed
after SIGKILL must give the same summary as the plain run (`comparable_report`,
tests/conftest.py: everything but times and paths).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.evals.hub import DEMO_DATA_DIR

N_SAMPLES = 60
Comparable = Callable[[Path], dict[str, Any]]  # the comparable_report fixture (tests/conftest.py)
TEST_FILE = """
import pytest
pytestmark = pytest.mark.capability

def test_sample(qnext_sample):
    qnext_sample.check()
"""


def sample_id(i: int) -> str:
    return f"q{i:03d}"  # "-k q017" selects exactly one item


def mcq_rows() -> list[dict[str, Any]]:
    """N_SAMPLES general_mcq rows from the bundled MMLU-Pro demo rows; a row's variant number
    keeps the prompts (the oracle's keys) distinct when the demo rows come round again."""
    with (DEMO_DATA_DIR / "mmlu_pro" / "test.jsonl").open(encoding="utf-8") as fh:
        demo = [json.loads(line) for line in fh if line.strip()]
    return [
        {
            "id": sample_id(i),
            "question": f"{demo[i % len(demo)]['question']} (variant {i // len(demo)})",
            "choices": demo[i % len(demo)]["options"],
            "answer": demo[i % len(demo)]["answer"],
        }
        for i in range(N_SAMPLES)
    ]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("capability")
    (root / "test_capability.py").write_text(TEST_FILE, encoding="utf-8")
    with (root / "mcq.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in mcq_rows())
    return root


PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "test_capability.py",
    "-p",
    "no:cacheprovider",
    "-m",
    "capability",
]


def run(project: Path, name: str, *args: str, timeout: float = 240) -> tuple[int, str, Path]:
    """pytest in a subprocess; returns (exit code, output, report dir)."""
    report = project / f"report-{name}"
    cmd = [
        *PYTEST,
        "--qnext-datasets",
        "general_mcq",
        "--qnext-dataset-args",
        json.dumps({"general_mcq": {"local_path": "mcq.jsonl"}}),
        "--qnext-report-dir",
        str(report),
        "--qnext-cache-dir",
        f"cache-{name}",
        *args,
    ]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr, report


def summary(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    return data


def samples(report: Path) -> list[dict[str, Any]]:
    lines = (report / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def plain(project: Path) -> tuple[int, str, Path]:
    return run(project, "plain", "--qnext-sim", "-rA")


def test_plain_run_table_score_is_item_pass_rate(plain: tuple[int, str, Path]) -> None:
    code, out, report = plain
    table = summary(report)["table"]
    assert len(table) == 1, out
    row = table[0]
    assert {"task_type", "metric", "dataset_name", "average_score", "count"} <= set(row)
    passed = out.count("PASSED test_capability.py::test_sample[")
    failed = out.count("FAILED test_capability.py::test_sample[")
    assert passed + failed == N_SAMPLES == row["count"]
    assert row["average_score"] == pytest.approx(passed / N_SAMPLES)
    assert 0 < passed < N_SAMPLES  # p=0.7: both outcomes occur, so the check can fail
    assert code == 1  # wrong answers fail their items when no gate is configured
    assert "Traceback" not in out
    ids = sorted(r["sample_id"] for r in samples(report))
    assert len(ids) == len(set(ids)) == N_SAMPLES


def oracle_file(project: Path) -> Path:
    from pytest_qnext.capability.options import CapabilitySettings
    from pytest_qnext.sim.oracle import write_oracle_file

    settings = CapabilitySettings(
        datasets=("general_mcq",),
        dataset_args={"general_mcq": {"local_path": str(project / "mcq.jsonl")}},
    )
    path = project / "oracle.jsonl"
    assert write_oracle_file(settings, path) == N_SAMPLES
    return path


def test_xdist_gives_the_same_report(
    project: Path, plain: tuple[int, str, Path], comparable_report: Comparable
) -> None:
    from pytest_qnext.sim import parse_spec, run_in_process

    with run_in_process(parse_spec("policy=oracle,p=0.7"), oracle_file=oracle_file(project)) as sim:
        code, out, report = run(project, "xdist", "--qnext-url", sim.url, "-n", "2")
        counts = sim.stats()["completed_by_key"]
    assert comparable_report(report) == comparable_report(plain[2]), out
    assert code == plain[0]
    assert len(samples(report)) == N_SAMPLES
    # each worker asked only for its own block: every sample exactly once
    assert sorted(counts.values()) == [1] * N_SAMPLES


def replay_file(project: Path) -> tuple[Path, list[tuple[dict[str, Any], str]]]:
    """Recorded answers for all but the first 5 samples, every third one wrong; returns the
    file and the (row, recorded letter) pairs."""
    rows = mcq_rows()
    recorded = []
    for i, row in enumerate(rows[5:], start=5):
        letters = "ABCDEFGHIJ"[: len(row["choices"])]
        wrong = letters[(letters.index(row["answer"]) + 1) % len(letters)]
        recorded.append((row, row["answer"] if i % 3 else wrong))
    path = project / "replay.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for row, letter in recorded:
            line = {
                "dataset": "general_mcq",
                "sample_id": row["id"],
                "response": f"The answer is ({letter}).",
                "finish_reason": "stop",
            }
            fh.write(json.dumps(line) + "\n")
    return path, recorded


# scenario name -> its arguments (given the project); each runs plain and with -n 2
SCENARIOS: dict[str, Callable[[Path], list[str]]] = {
    "faults": lambda _: [
        "--qnext-sim",
        "policy=oracle,p=0.7,fail_rate=0.05,drop_rate=0.02",
        "--qnext-retries",
        "8",
    ],
    "errors": lambda _: [
        "--qnext-sim",
        "policy=oracle,fail_rate=1",
        "--qnext-retries",
        "0",
        "--qnext-cache",
        "off",
    ],
    "replay": lambda project: ["--qnext-responses", str(replay_file(project)[0])],
    "gates": lambda _: [
        "--qnext-sim",
        "--qnext-gate",
        "general_mcq>=0.5",
        "--qnext-gate",
        "general_mcq>=0.99",
        "--qnext-gate",
        "error_rate<=0",
    ],
}
Run = tuple[int, str, Path]


@pytest.fixture(scope="module")
def scenario(project: Path) -> Callable[..., Run]:
    """`scenario(name, xdist=False)`: the run of a SCENARIOS entry, once per module."""
    done: dict[tuple[str, bool], Run] = {}

    def get(name: str, xdist: bool = False) -> Run:
        if (name, xdist) not in done:
            extra = ["-n", "2"] if xdist else []
            label = f"{name}-xdist" if xdist else name
            done[name, xdist] = run(project, label, *SCENARIOS[name](project), *extra)
        return done[name, xdist]

    return get


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_xdist_gives_the_same_report_in_every_scenario(
    scenario: Callable[..., Run], comparable_report: Comparable, name: str
) -> None:
    """Summary (table, datasets, outcome rates, gates, warnings...) and rows, all but times
    and paths, are the same whether one process or two workers ran the items."""
    code, out, report = scenario(name)
    xdist_code, xdist_out, xdist_report = scenario(name, xdist=True)
    assert comparable_report(xdist_report) == comparable_report(report), xdist_out
    assert xdist_code == code, (out, xdist_out)


def test_faults_do_not_change_scores(
    scenario: Callable[..., Run], plain: tuple[int, str, Path]
) -> None:
    _code, out, report = scenario("faults")
    rows = samples(report)
    assert len(rows) == N_SAMPLES
    assert {r["outcome"] for r in rows} <= {"pass", "fail"}, out
    assert summary(report)["table"] == summary(plain[2])["table"]
    assert summary(report)["outcome_rates"] == summary(plain[2])["outcome_rates"]
    # the retries are reported, not hidden: per row, per dataset, under the table
    kinds = [kind for r in rows for kind in r["retried"]]
    assert kinds and set(kinds) <= {"http_5xx", "stream_dropped"}
    retried = summary(report)["datasets"]["general_mcq"]["retried"]
    assert retried["requests"] == sum(1 for r in rows if r["retried"])
    assert retried["attempts"] == dict(sorted(Counter(kinds).items()))
    assert f"qnext retries: general_mcq: {retried['requests']} of {N_SAMPLES} answers" in out
    assert summary(plain[2])["datasets"]["general_mcq"]["retried"] == {
        "requests": 0,
        "attempts": {},
    }
    assert "qnext retries" not in plain[1]


def test_gates_decide_the_exit_status(project: Path, plain: tuple[int, str, Path]) -> None:
    score = summary(plain[2])["table"][0]["average_score"]
    low, high = f"general_mcq>={score - 0.05:.2f}", f"general_mcq>={score + 0.05:.2f}"
    code, out, _ = run(
        project, "gates", "--qnext-sim", "--qnext-gate", low, "--qnext-gate", "error_rate<=0"
    )
    assert code == 0, out  # wrong answers failed items, yet the gates passed
    assert "FAILED" in out
    code, out, _ = run(project, "gates", "--qnext-sim", "--qnext-gate", high)
    assert code == 1, out
    assert "gate FAIL" in out
    code, out, _ = run(project, "gates", "--qnext-sim", "--qnext-gate", "general_mcq>=75")
    assert code == 4
    assert "--qnext-gate" in out and "Traceback" not in out


def test_request_errors_are_pytest_errors_and_counted(scenario: Callable[..., Run]) -> None:
    code, out, report = scenario("errors")
    rows = samples(report)
    assert [r["outcome"] for r in rows] == ["error"] * N_SAMPLES
    assert summary(report)["table"][0]["average_score"] == 0.0
    assert summary(report)["table"][0]["count"] == N_SAMPLES
    assert f"{N_SAMPLES} errors" in out
    assert code == 1


def test_k_selection_asks_only_selected_samples(project: Path) -> None:
    chosen = [sample_id(17), sample_id(42)]
    _code, out, report = run(project, "select", "--qnext-sim", "-k", " or ".join(chosen))
    rows = samples(report)
    assert sorted(r["sample_id"] for r in rows) == chosen, out
    with sqlite3.connect(project / "cache-select" / "responses.sqlite3") as db:
        asked = sorted(r[0] for r in db.execute("SELECT sample_id FROM answers"))
    assert asked == chosen


def _answers(db_path: Path) -> list[str]:
    """The sample ids committed to the response cache (empty while it does not exist)."""
    if not db_path.exists():
        return []
    try:
        with sqlite3.connect(db_path) as db:
            return [r[0] for r in db.execute("SELECT sample_id FROM answers")]
    except sqlite3.Error:
        return []


def _stop_half_way(
    project: Path, name: str, args: list[str], sig: signal.Signals
) -> tuple[int, list[str]]:
    """Start the run `name`, send `sig` once a third of the answers are in the cache; returns
    (exit code, the sample ids committed to the cache by then)."""
    cmd = [
        *PYTEST,
        "-q",
        "--qnext-datasets",
        "general_mcq",
        "--qnext-dataset-args",
        json.dumps({"general_mcq": {"local_path": "mcq.jsonl"}}),
        "--qnext-report-dir",
        f"report-{name}",
        "--qnext-cache-dir",
        f"cache-{name}",
        *args,
    ]
    db_path = project / f"cache-{name}" / "responses.sqlite3"
    proc = subprocess.Popen(
        cmd,
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # SIGINT is not ignored there, as in a terminal
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            if len(_answers(db_path)) >= N_SAMPLES // 3:
                break
        if sig == signal.SIGKILL:
            os.killpg(proc.pid, sig)  # the process and its prefetcher child, at once
        else:
            proc.send_signal(sig)
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    committed = _answers(db_path)
    assert N_SAMPLES // 3 <= len(committed) < N_SAMPLES, "the run was not stopped half-way"
    return code, committed


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_resume_after_a_stop(
    project: Path, plain: tuple[int, str, Path], comparable_report: Comparable, sig: signal.Signals
) -> None:
    """Killed or interrupted half-way, then run again: every committed answer is asked exactly
    once in all, and the table equals the plain run's. Ctrl-C leaves a report marked
    incomplete (exit 2); SIGKILL leaves none."""
    from pytest_qnext.sim import parse_spec, run_in_process

    name = f"stop-{sig.name.lower()}"
    spec = parse_spec("policy=oracle,p=0.7,ttft=0.15,max_num_seqs=4")
    with run_in_process(spec, oracle_file=oracle_file(project)) as sim:
        args = ["--qnext-url", sim.url, "--qnext-batch-size", "4"]
        code, committed = _stop_half_way(project, name, args, sig)
        stopped = project / f"report-{name}"
        if sig == signal.SIGINT:
            assert code == 2
            partial = summary(stopped)
            assert partial["complete"] is False
            scored = partial["table"][0]["count"]
            assert 0 < scored < N_SAMPLES
            assert any(
                f"stopped early (interrupted): {scored} of the {N_SAMPLES} selected" in w
                for w in partial["warnings"]
            ), partial["warnings"]
        else:
            assert not (stopped / "summary.json").exists()
        code, out, report = run(project, name, *args)
        counts = sim.stats()["completed_by_key"]
    assert summary(report)["complete"] is True
    assert all(counts[f"general_mcq/{sid}"] == 1 for sid in committed), counts
    assert set(counts) == {f"general_mcq/{r['sample_id']}" for r in samples(report)}
    resumed, first = comparable_report(report)["summary"], comparable_report(plain[2])["summary"]
    assert resumed == first, out
    assert sum(1 for r in samples(report) if r["cached"]) >= len(committed)


def test_a_run_stopped_by_x_is_incomplete_and_fails_its_gates(project: Path) -> None:
    code, out, report = run(
        project, "stop-x", "--qnext-sim", "-x", "--qnext-gate", "general_mcq>=0"
    )
    assert code == 1, out
    partial = summary(report)
    assert partial["complete"] is False
    assert partial["table"][0]["count"] < N_SAMPLES
    assert "the run stopped early (stopping after 1 failures)" in out


def test_replay_scores_recorded_answers(project: Path, scenario: Callable[..., Run]) -> None:
    """Recorded answers replayed: every third one wrong, 5 samples without a row."""
    _code, out, report = scenario("replay")
    _path, recorded = replay_file(project)
    expected = sum(letter == row["answer"] for row, letter in recorded) / len(recorded)
    table_row = summary(report)["table"][0]
    assert table_row["count"] == len(recorded), out
    assert table_row["average_score"] == pytest.approx(expected)
    skipped = [r for r in samples(report) if r["outcome"] == "skipped"]
    assert sorted(r["sample_id"] for r in skipped) == [row["id"] for row in mcq_rows()[:5]]
    assert all("no response for" in r["skip_reason"] for r in skipped)
    assert "5 skipped" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no benchmark is; give --qnext-datasets"),
        (["--qnext-datasets", "general_mcq"], "general_mcq: no file given"),
        (["--qnext-datasets", "nope", "--qnext-sim"], "unknown dataset 'nope'"),
        (["--qnext-datasets", "general_mcq", "--qnext-limit", "1.5"], "--qnext-limit"),
        (
            ["--qnext-datasets", "general_mcq", "--qnext-dataset-args", "{bad"],
            "--qnext-dataset-args: not valid JSON",
        ),
        (
            [
                "--qnext-datasets",
                "general_mcq",
                "--qnext-responses",
                "missing.jsonl",
                "--qnext-dataset-args",
                '{"general_mcq": {"local_path": "mcq.jsonl"}}',
            ],
            "--qnext-responses: cannot read",
        ),
    ],
)
def test_usage_errors_are_one_line(project: Path, args: list[str], message: str) -> None:
    cmd = [*PYTEST, *args]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, out
    assert message in out and "Traceback" not in out


def test_demo_run_has_breakdowns_and_full_rows(project: Path) -> None:
    """The bundled demo data (IFEval + MMLU-Pro) against the simulator: the IFEval breakdown is
    in summary.json under breakdowns.ifeval, and every samples.jsonl row is a SampleRow with
    the messages sent and its scorer's details (IFEval's verdicts nested under details)."""
    from pytest_qnext.rows import SampleRow

    report = project / "report-demo"
    cmd = [
        *PYTEST,
        "--qnext-sim",
        "--qnext-data-dir",
        "demo",
        "--qnext-datasets",
        "ifeval,mmlu_pro",
        "--qnext-report-dir",
        str(report),
        "--qnext-cache",
        "off",
    ]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=240)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    doc = summary(report)
    assert doc["schema"] == 2 and "instructions" not in doc
    assert set(doc["breakdowns"]) == {"ifeval"}, out  # MMLU-Pro has no breakdown hook
    ifeval = doc["breakdowns"]["ifeval"]
    rows = [SampleRow.from_json(r) for r in samples(report)]  # every line is a valid row
    by_dataset = Counter(r.dataset for r in rows)
    assert set(by_dataset) == {"ifeval", "mmlu_pro"}
    verdicts = [v for r in rows if r.dataset == "ifeval" for v in r.details["inst_verdicts"]]
    scored_ifeval = [r for r in rows if r.dataset == "ifeval" and r.outcome in ("pass", "fail")]
    assert len(verdicts) == sum(int(r.metrics["inst_level_strict"][1]) for r in scored_ifeval)
    counts = {e["instruction"]: e["count"] for e in ifeval["by_instruction"]}
    assert counts == dict(Counter(v[0] for v in verdicts))
    strict = sum(e["strict"] for e in ifeval["by_family"])
    assert strict == sum(int(v[1]) for v in verdicts)
    for row in rows:
        assert row.messages, row.where  # the messages sent, e.g. the IFEval prompt itself
        assert row.messages[-1]["role"] == "user" and row.messages[-1]["content"]
        if row.dataset == "mmlu_pro":
            assert row.details == {}
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "ifeval: breakdown · by_family" in html
    assert "ifeval: breakdown · by_instruction" in html
