"""Real runs, the viewer and a real Chromium for the browser tests.

Chromium is the system one (`scripts/install_browser.sh`), driven by Playwright with
`executable_path` (never `playwright install`). Without it these tests skip with the reason,
or FAIL when QNEXT_REQUIRE_BROWSER=1 (CI sets it, so CI never skips them).

Every report dir here is written by a real pytest run in a subprocess: the simulator for the
demo, replay files (real Llama-3.1-8B MMLU-Pro outputs) for the compare pair and the 12 032-sample
run.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.view.launch import (
    CHROMIUM_ARGS,
    DEMO_CAPABILITY,
    ViewerError,
    find_chromium,
    report_run,
    running_viewer,
)

CAPABILITY_TEST = """
import pytest
pytestmark = pytest.mark.capability

def test_sample(qnext_sample):
    qnext_sample.check()
"""
PERF_TEST = """
import pytest
pytestmark = pytest.mark.perf

def test_sweep(qnext_perf_point, qnext_perf, benchmark):
    qnext_perf(qnext_perf_point, benchmark).check()
"""
# payloads that would set window.__pwned if any model output were ever treated as markup
HOSTILE = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "</script><script>window.__pwned = 'breakout'</script>",
    "[click me](javascript:window.__pwned='md-link')",
    "<a href=\"javascript:window.__pwned='a'\">a</a>",
    "$\\href{javascript:window.__pwned='tex'}{x}$ **bold** <svg onload=\"window.__pwned='svg'\">",
    "<iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>",
]
COMPARE_N = 40
PASS_TO_FAIL = 3  # the first 3 right answers of run A are wrong in run B
FAIL_TO_PASS = 2  # the first 2 wrong answers of run A are right in run B


def _need_browser() -> str:
    path = find_chromium()
    problem = None
    if path is None:
        problem = (
            "Chromium not found (/usr/bin/chromium); install it with scripts/install_browser.sh"
        )
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing; pip install -e '.[test]'"
    if problem is not None:
        if os.environ.get("QNEXT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"QNEXT_REQUIRE_BROWSER=1: {problem}", pytrace=False)
        pytest.skip(problem)
    assert path is not None
    return path


# Module scope, not session: Playwright's sync API keeps an asyncio loop running on the main
# thread until it is stopped, and every asyncio test run after it in the same session would fail.
@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = _need_browser()
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    context = pw.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")),
        executable_path=path,
        headless=True,
        args=list(CHROMIUM_ARGS),
        viewport={"width": 1400, "height": 1000},
    )
    try:
        yield context
    finally:
        context.close()
        pw.stop()


@dataclass
class Watched:
    """A page with what went wrong on it: console errors, page errors, dialogs, requests."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def pwned(self) -> Any:
        return self.page.evaluate("() => window.__pwned")


@pytest.fixture
def watched(browser_context: Any) -> Iterator[Watched]:
    page = browser_context.new_page()
    w = Watched(page)
    page.on("console", lambda m: w.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: w.errors.append(str(e)))
    page.on("request", lambda r: w.requests.append(r.url))

    def dialog(d: Any) -> None:
        w.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    yield w
    page.close()


def _project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "test_capability.py").write_text(CAPABILITY_TEST, encoding="utf-8")
    (root / "test_perf.py").write_text(PERF_TEST, encoding="utf-8")
    return root


def qnext_run(project: Path, report: Path, *args: str, timeout: float = 900) -> Path:
    """A real pytest run in a subprocess writing `report`; fails with its output if no
    summary.json came out."""
    out = report_run(report, *args, cwd=project, timeout=timeout)
    if not (report / "summary.json").is_file():
        pytest.fail(
            f"run {report.name} wrote no summary.json:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        )
    return report


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="session")
def demo_run(runs_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/demo.sh's capability and perf runs in one session (bundled demo data, simulator)."""
    project = _project(tmp_path_factory.mktemp("demo"))
    return qnext_run(
        project,
        runs_root / "demo",
        "-m",
        "capability or perf",
        "--qnext-sim",
        "ttft=0.02,itl=0.002,policy=oracle,p=0.7",
        *DEMO_CAPABILITY,
        "--qnext-parallel",
        "1",
        "2",
        "4",
        "--qnext-number",
        "2",
        "4",
        "8",
        "--qnext-min-prompt-length",
        "64",
        "--qnext-max-prompt-length",
        "64",
        "--qnext-min-tokens",
        "16",
        "--qnext-max-tokens",
        "16",
        "--qnext-extra-args",
        '{"ignore_eos": true}',
    )


@pytest.fixture(scope="session")
def collection_run(runs_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in qwen3 collection drawn in memory from the bundled demo data and evaluated
    on the simulator (leaves without demo rows are left out, with a note)."""
    project = _project(tmp_path_factory.mktemp("collection"))
    return qnext_run(
        project,
        runs_root / "collection",
        "-m",
        "capability",
        "--qnext-sim",
        "policy=oracle,p=0.7",
        "--qnext-collection",
        "qwen3",
        "--qnext-data-dir",
        "demo",
        "--qnext-dataset-args",
        '{"data_collection": {"count": 40}}',
    )


def _graded(shared: Path, n: int | None = None) -> list[dict[str, Any]]:
    rows = []
    with (shared / "responses" / "mmlu_pro_llama31_8b.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if n is not None and len(rows) == n:
                break
    return rows


@dataclass(frozen=True)
class ComparePair:
    a: Path
    b: Path
    pass_to_fail: list[str]
    fail_to_pass: list[str]
    hostile: list[str]  # sample ids whose run-B response carries a HOSTILE payload


@pytest.fixture(scope="session")
def compare_pair(
    shared_data: Path, runs_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> ComparePair:
    """Two replay runs over the first COMPARE_N MMLU-Pro questions with known flips: run A
    replays Llama-3.1-8B's answers; run B flips the first right/wrong ones and carries the
    hostile payloads in front of some answers."""
    project = _project(tmp_path_factory.mktemp("compare"))
    graded = _graded(shared_data, COMPARE_N)
    right = [r for r in graded if r["pred"] == r["answer"]]
    wrong = [r for r in graded if r["pred"] != r["answer"]]
    p2f = [str(r["question_id"]) for r in right[:PASS_TO_FAIL]]
    f2p = [str(r["question_id"]) for r in wrong[:FAIL_TO_PASS]]
    hostile_rows = right[PASS_TO_FAIL : PASS_TO_FAIL + len(HOSTILE)]
    hostile = {str(r["question_id"]): HOSTILE[i] for i, r in enumerate(hostile_rows)}

    def replay(name: str, flip: bool) -> Path:
        path = project / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for r in graded:
                qid = str(r["question_id"])
                text = r["generated_text"]
                if flip and qid in p2f:
                    other = "A" if r["answer"] != "A" else "B"
                    text = f"Reconsidering. The answer is ({other})."
                elif flip and qid in f2p:
                    text = f"Reconsidering. The answer is ({r['answer']})."
                elif flip and qid in hostile:
                    text = hostile[qid] + "\n" + text
                fh.write(
                    json.dumps({"dataset": "mmlu_pro", "sample_id": qid, "response": text}) + "\n"
                )
        return path

    common = [
        "-m",
        "capability",
        "--qnext-data-dir",
        str(shared_data),
        "--qnext-datasets",
        "mmlu_pro",
        "--qnext-limit",
        str(COMPARE_N),
    ]
    a = qnext_run(
        project, runs_root / "compare-a", *common, "--qnext-responses", str(replay("a", False))
    )
    b = qnext_run(
        project, runs_root / "compare-b", *common, "--qnext-responses", str(replay("b", True))
    )
    return ComparePair(a, b, p2f, f2p, list(hostile))


@pytest.fixture(scope="session")
def big_run(shared_data: Path, runs_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All 12 032 MMLU-Pro questions replaying Llama-3.1-8B's generated text."""
    project = _project(tmp_path_factory.mktemp("big"))
    replay = project / "replay.jsonl"
    with replay.open("w", encoding="utf-8") as fh:
        for r in _graded(shared_data):
            fh.write(
                json.dumps(
                    {
                        "dataset": "mmlu_pro",
                        "sample_id": str(r["question_id"]),
                        "response": r["generated_text"],
                    }
                )
                + "\n"
            )
    return qnext_run(
        project,
        runs_root / "big",
        "-m",
        "capability",
        "--qnext-responses",
        str(replay),
        "--qnext-data-dir",
        str(shared_data),
        "--qnext-datasets",
        "mmlu_pro",
        timeout=1800,
    )


@dataclass
class Viewer:
    url: str

    def __call__(self, path: str) -> str:
        return self.url.rstrip("/") + path


@contextlib.contextmanager
def start_viewer(*roots: Path) -> Iterator[Viewer]:
    """`python -m pytest_qnext.view ROOT...` in a subprocess on an OS-chosen port."""
    try:
        with running_viewer(*roots) as url:
            yield Viewer(url)
    except ViewerError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def viewer_factory() -> Any:
    """start_viewer(*roots): a context manager giving a fresh viewer process."""
    return start_viewer


@pytest.fixture(scope="session")
def viewer(
    runs_root: Path,
    demo_run: Path,
    compare_pair: ComparePair,
    big_run: Path,
    collection_run: Path,
) -> Iterator[Viewer]:
    """The viewer over every run of this session."""
    with start_viewer(runs_root) as v:
        yield v
