"""End to end: live_code_bench run by pytest in a subprocess, on our fixture problems
(tests/data/livecodebench, the published schema), programs graded in the real sandbox.

* the seed's command (`subset_list v5_v6`, 2025-01-01..2025-04-30) against the simulator selects
  exactly the in-window problems and writes the seed's table row; the header and summary.json
  carry the sandbox line and the contamination warning (`--qnext-model-cutoff`);
* a replay with repeats and every kind of answer gives the kinds, the difficulty/month tables
  and pass@k (recomputed here from the replay), the same plain and with `-n 2`;
* Ctrl-C and SIGTERM in the middle of grading leave no sandbox process behind;
* where the kernel refuses namespaces (a user namespace this test makes, with
  max_net_namespaces = 0), the run ends at start-up with one line unless
  `--qnext-sandbox unsafe-local`, which runs with the warning in the header and the report.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from math import comb
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.sandbox import UNSAFE_WARNING

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
FIXTURES = DATA / "livecodebench"
DATASET = "live_code_bench"
SEED_ARGS = {
    DATASET: {
        "subset_list": ["v5_v6"],
        "extra_params": {"start_date": "2025-01-01", "end_date": "2025-04-30"},
    }
}
TEST_FILE = """
import pytest
pytestmark = pytest.mark.capability

def test_sample(qnext_sample):
    qnext_sample.check()
"""
Comparable = Callable[[Path], dict[str, Any]]
Run = tuple[int, str, Path]


def builder() -> Any:
    """The fixture builder module (problem definitions, dates, release files)."""
    spec = importlib.util.spec_from_file_location("lcb_build", FIXTURES / "build_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def window_ids() -> set[str]:
    """The fixture problems in files test5/test6 (v5_v6) dated 2025-01-01..2025-04-30."""
    source = builder()
    return {
        p["id"]
        for p in [*source.STDIN, *source.CALL]
        if "2025-01-01" <= p["date"] <= "2025-04-30"
        and source.file_for(p["date"]) in ("test5.jsonl", "test6.jsonl")
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lcb")
    (root / "test_capability.py").write_text(TEST_FILE, encoding="utf-8")
    return root


def pytest_cmd(project: Path, name: str, *args: str) -> list[str]:
    """The command line; paths go as `--opt=PATH` (pytest takes a separate path argument for a
    test path and would find the checkout's rootdir from it)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "test_capability.py",
        "-p",
        "no:cacheprovider",
        "-m",
        "capability",
        "--qnext-datasets",
        DATASET,
        f"--qnext-data-dir={DATA}",
        f"--qnext-report-dir={project / f'report-{name}'}",
        f"--qnext-cache-dir={project / f'cache-{name}'}",
        *args,
    ]


def run(project: Path, name: str, *args: str, prefix: tuple[str, ...] = ()) -> Run:
    cmd = [*prefix, *pytest_cmd(project, name, *args)]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr, project / f"report-{name}"


def folder(report: Path) -> Path:
    """The run folder of a report dir (its `latest` link where runs get folders of their own)."""
    return report / "latest" if (report / "latest").exists() else report


def summary(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder(report) / "summary.json").read_text("utf-8"))
    return data


def samples(report: Path) -> list[dict[str, Any]]:
    lines = (folder(report) / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# --- the seed's command ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed(project: Path) -> Run:
    return run(
        project,
        "seed",
        "--qnext-sim",
        "--qnext-dataset-args",
        json.dumps(SEED_ARGS),
        "--qnext-model-cutoff",
        "2025-02-01",
        "-rA",
    )


def test_seed_command_selects_the_window_and_writes_the_seed_row(seed: Run) -> None:
    code, out, report = seed
    rows = samples(report)
    ids = {r["sample_id"] for r in rows}
    assert ids == window_ids() and len(rows) == len(ids), out
    table = summary(report)["table"]
    assert len(table) == 1, out
    row = table[0]
    passed = sum(r["outcome"] == "pass" for r in rows)
    assert (row["task_type"], row["metric"], row["dataset_name"]) == ("code", "pass@1", DATASET)
    assert row["count"] == len(ids) and row["average_score"] == pytest.approx(passed / len(ids))
    assert 0 < passed < len(ids)  # the oracle answers some wrong (p=0.7): both outcomes occur
    assert f"code      | pass@1 | {DATASET} |" in out
    assert out.count(f"PASSED test_capability.py::test_sample[{DATASET}/") == passed
    assert code == 1 and "Traceback" not in out


def test_seed_rows_carry_kinds_dates_and_the_failing_test(seed: Run) -> None:
    _, out, report = seed
    rows = samples(report)
    for row in rows:
        details = row["details"]
        assert details["contest_date"].startswith("2025-") and details["difficulty"]
        assert details["kind"] == ("pass" if row["outcome"] == "pass" else details["kind"])
        assert row["metrics"] == {"pass@1": [float(row["outcome"] == "pass"), 1.0]}
    wrong = [r for r in rows if r["details"]["kind"] == "wrong_answer"]
    assert wrong, "the oracle gives some wrong programs"
    for row in wrong:
        details = row["details"]
        assert details["failed_test"] is not None and details["got"] != details["expected"]
        message = f"{DATASET}/{row['sample_id']}: fail"
        assert message in out and "expected " in out and "got " in out
    breakdown = summary(report)["breakdowns"][DATASET]
    kinds = Counter(r["details"]["kind"] for r in rows)
    assert {r["kind"]: r["count"] for r in breakdown["by_kind"]} == dict(kinds)
    months = Counter(r["details"]["contest_date"][:7] for r in rows)
    assert {r["month"]: r["count"] for r in breakdown["by_month"]} == dict(months)


def test_seed_header_and_report_warn_about_contamination(seed: Run) -> None:
    _, out, report = seed
    assert f"qnext sandbox: namespaces for {DATASET}" in out
    warning = (
        f"{DATASET}: start_date 2025-01-01 is not after the model's cutoff 2025-02-01; "
        "problems up to 2025-02-01 may be in its training data"
    )
    assert out.count(warning) == 2  # the header and the summary under the table
    assert any(w.startswith(warning) for w in summary(report)["warnings"])


# --- a replay with repeats ------------------------------------------------------------------

# answer variant per problem (by position among the window's problems) and repeat
VARIANTS = ("wrong", "crash", "nocode", "reference")
KIND = {"reference": "pass", "wrong": "wrong_answer", "crash": "runtime_error"}


def write_replay(project: Path) -> dict[tuple[str, int], str]:
    """Two repeats per window problem: the reference first, then a variant; one truncated."""
    answers = {}
    for variant in ("reference", *VARIANTS):
        for line in (FIXTURES / "responses" / f"{variant}.jsonl").read_text("utf-8").splitlines():
            row = json.loads(line)
            answers[row["sample_id"], variant] = row["response"]
    chosen: dict[tuple[str, int], str] = {}
    with (project / "replay.jsonl").open("w", encoding="utf-8") as fh:
        for index, sid in enumerate(sorted(window_ids())):
            for repeat, variant in enumerate(("reference", VARIANTS[index % len(VARIANTS)])):
                row: dict[str, Any] = {
                    "dataset": DATASET,
                    "sample_id": sid,
                    "repeat": repeat,
                    "response": "<think>plan it</think>" + answers[sid, variant],
                }
                if index == 0 and repeat == 1:
                    row["finish_reason"] = "length"
                    variant = "truncated"
                chosen[sid, repeat] = variant
                fh.write(json.dumps(row) + "\n")
    return chosen


@pytest.fixture(scope="module")
def replay_runs(project: Path) -> tuple[dict[tuple[str, int], str], Run, Run]:
    chosen = write_replay(project)
    args = (
        "--qnext-responses=replay.jsonl",
        "--qnext-dataset-args",
        json.dumps({DATASET: {**SEED_ARGS[DATASET], "repeats": 2}}),
        "--qnext-sandbox-workers",
        "2",
    )
    plain = run(project, "replay", *args)
    xdist = run(project, "replay-xdist", *args, "-n", "2")
    return chosen, plain, xdist


def test_replay_kinds_and_pass_at_k(
    replay_runs: tuple[dict[tuple[str, int], str], Run, Run],
) -> None:
    chosen, (code, out, report), _ = replay_runs
    rows = {(r["sample_id"], r["repeat"]): r for r in samples(report)}
    assert set(rows) == set(chosen), out
    for key, variant in chosen.items():
        row = rows[key]
        if variant == "truncated":
            assert row["outcome"] == "truncated" and "kind" not in row["details"]
            assert row["details"]["difficulty"]  # kept whatever the outcome
        elif variant == "nocode":
            assert (row["outcome"], row["details"]["kind"]) == ("unparsed", "unparsed")
        else:
            assert row["details"]["kind"] == KIND[variant], (key, row["explanation"])
    breakdown = summary(report)["breakdowns"][DATASET]
    passes = Counter(sid for (sid, _), v in chosen.items() if v == "reference")
    problems = sorted({sid for sid, _ in chosen})
    values = {r["metric"]: r["value"] for r in breakdown["pass_at_k"]}
    for k in (1, 2):
        expected = sum(1 - comb(2 - passes[p], k) / comb(2, k) for p in problems) / len(problems)
        assert values[f"pass@{k}"] == pytest.approx(expected)
    assert values["avg@2"] == pytest.approx(sum(passes.values()) / len(chosen))
    assert summary(report)["table"][0]["average_score"] == pytest.approx(values["avg@2"])
    assert code == 1 and "Traceback" not in out


def test_replay_is_the_same_with_xdist(
    replay_runs: tuple[dict[tuple[str, int], str], Run, Run], comparable_report: Comparable
) -> None:
    _, (code, _, report), (xcode, xout, xreport) = replay_runs
    assert comparable_report(folder(xreport)) == comparable_report(folder(report)), xout
    assert xcode == code


# --- nothing left running -------------------------------------------------------------------


def _process(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, start time, command line) of a live process, else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[1]), fields[19], cmdline


def descendants(root: int) -> dict[int, tuple[str, str]]:
    """pid -> (start time, command line) of every live process below `root`."""
    table = {
        int(name): info
        for name in os.listdir("/proc")
        if name.isdigit() and (info := _process(int(name))) is not None
    }
    found: dict[int, tuple[str, str]] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, start, cmdline) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = (start, cmdline)
                frontier.append(pid)
    return found


def sandboxed(seen: dict[int, tuple[str, str]]) -> list[int]:
    """The pids among `seen` that live in a pid namespace other than ours (sandboxes)."""
    ours = os.readlink("/proc/self/ns/pid")
    found = []
    for pid in seen:
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") != ours:
                found.append(pid)
        except OSError:
            continue
    return found


def still_running(seen: dict[int, tuple[str, str]]) -> list[str]:
    out = []
    for pid, (start, cmdline) in seen.items():
        info = _process(pid)
        if info is not None and info[1] == start:  # the same process, not a reused pid
            out.append(f"{pid} {cmdline[:100]}")
    return out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_run_leaves_no_sandbox_running(project: Path, sig: signal.Signals) -> None:
    """Slow programs (6 s per test) are being graded when the signal comes."""
    cmd = pytest_cmd(
        project,
        f"stop-{sig.name}",
        f"--qnext-responses={FIXTURES / 'responses' / 'slow.jsonl'}",
        "--qnext-sandbox-workers",
        "2",
    )
    proc = subprocess.Popen(cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen: dict[int, tuple[str, str]] = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            seen.update(descendants(proc.pid))
            if len(sandboxed(seen)) >= 2:  # two programs are being graded
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the run ended before any program was graded"
        seen.update(descendants(proc.pid))
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 30
    while still_running(seen) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert still_running(seen) == [], output.decode(errors="replace")[-2000:]
    if sig == signal.SIGINT:
        assert proc.returncode == 2


# --- no namespaces --------------------------------------------------------------------------


def without_namespaces() -> tuple[str, ...]:
    """A command prefix running the rest in a new user namespace where creating network
    namespaces is refused (`user.max_net_namespaces` = 0 there only), like a kernel without
    them. Needs util-linux `unshare` and user namespaces (CI provides both)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("util-linux unshare is required for the sandbox tests", pytrace=False)
    script = 'echo 0 > /proc/sys/user/max_net_namespaces && exec "$@"'
    return (unshare, "--user", "--map-root-user", "sh", "-c", script, "sh")


def test_without_namespaces_code_refuses_to_run_in_one_line(project: Path) -> None:
    replay = FIXTURES / "responses" / "reference.jsonl"
    code, out, report = run(
        project, "nons", f"--qnext-responses={replay}", prefix=without_namespaces()
    )
    assert code == 4, out
    lines = [line for line in out.splitlines() if "runs model-written code" in line]
    assert len(lines) == 1, out
    assert lines[0].startswith(f"ERROR: {DATASET} runs model-written code, but cannot start")
    assert "--qnext-sandbox unsafe-local" in lines[0]
    assert "Traceback" not in out and not (report / "summary.json").exists()


def test_unsafe_local_runs_with_a_loud_warning(project: Path) -> None:
    replay = FIXTURES / "responses" / "reference.jsonl"
    code, out, report = run(
        project,
        "unsafe",
        f"--qnext-responses={replay}",
        "--qnext-sandbox",
        "unsafe-local",
        "--qnext-data-dir=demo",
        prefix=without_namespaces(),
    )
    assert code == 0, out
    assert f"qnext sandbox: unsafe-local for {DATASET}" in out
    assert out.count(UNSAFE_WARNING) == 2  # the header and under the table
    assert summary(report)["warnings"][0] == UNSAFE_WARNING
    assert [r["outcome"] for r in samples(report)] == ["pass"] * 3
