"""Helpers of the hardening suite (issue #11): each test reproduces one defect a hostile tester
found, end to end: pytest in a subprocess against the built-in simulator (or a replay file) in a
throwaway project, as a user or CI would, the report read back from disk. A defect that comes
back shows as a failed assertion or as the subprocess's timeout (a hang), never as a hang of
this suite.

`Project` holds a capability test file, the real benchmarks/test_perf.py and general_mcq rows of
its own (no ../shared/data needed). `project.run(*args)` runs pytest there and returns its exit
code and output, with TMPDIR pointed at a folder of the test's own so leftovers show;
`project.capability(name, *args)` is a capability run with its own report root and cache.
Every run gets the same environment wherever the suite runs: no PYTEST_*/QNEXT_*/OPENAI_*
variables, 80 columns, and none of the variables that switch pytest's output to its CI style
(`CI`, `BUILD_NUMBER`: full messages in the short summary); tests that check the CI style set
them through `extra_env`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.evals.hub import DEMO_DATA_DIR

REPO = Path(__file__).resolve().parents[2]
CAPABILITY_TEST = """
import pytest
pytestmark = pytest.mark.capability

def test_sample(qnext_sample):
    qnext_sample.check()
"""
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
LETTERS = "ABCD"
RUN_TIMEOUT = 240.0  # seconds; a run that takes longer hangs (the defects did)
CI_STYLE = ("CI", "BUILD_NUMBER")  # pytest prints full messages in its short summary when set


def mcq_rows(n: int, prefix: str = "q") -> list[dict[str, Any]]:
    """`n` four-option general_mcq rows, ids `q00000`, `q00001`, ...; answer cycles A-D."""
    return [
        {
            "id": f"{prefix}{i:05d}",
            "question": f"Question number {i}: which letter is it?",
            "choices": ["first", "second", "third", "fourth"],
            "answer": LETTERS[i % 4],
        }
        for i in range(n)
    ]


def demo_mcq_rows(count: int) -> list[dict[str, Any]]:
    """`count` general_mcq rows built from the bundled MMLU-Pro demo rows (ids q000, ...; real
    question lengths); a variant number keeps every prompt distinct."""
    with (DEMO_DATA_DIR / "mmlu_pro" / "test.jsonl").open(encoding="utf-8") as fh:
        demo = [json.loads(line) for line in fh if line.strip()]
    return [
        {
            "id": f"q{i:03d}",
            "question": f"{demo[i % len(demo)]['question']} (variant {i})",
            "choices": demo[i % len(demo)]["options"],
            "answer": demo[i % len(demo)]["answer"],
        }
        for i in range(count)
    ]


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row) + "\n" for row in rows)
    return path


def replay_rows(rows: Sequence[dict[str, Any]], wrong_every: int = 2) -> list[dict[str, Any]]:
    """A recorded answer per row: every `wrong_every`-th one names the next letter (wrong)."""
    out = []
    for i, row in enumerate(rows):
        letter = row["answer"]
        if wrong_every and i % wrong_every == wrong_every - 1:
            letter = LETTERS[(LETTERS.index(letter) + 1) % 4]
        out.append(
            {
                "dataset": "general_mcq",
                "sample_id": row["id"],
                "response": f"Thinking it over.\nANSWER: {letter}",
            }
        )
    return out


@dataclass
class Result:
    code: int
    out: str
    root: Path | None = None  # the run's --qnext-report-dir, when the helper chose it

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith("ERROR:")]

    @property
    def folder(self) -> Path:
        """The run's report folder (its report root's `latest` run folder, or the root)."""
        assert self.root is not None, "only capability() runs know their report root"
        latest = self.root / "latest"
        return latest if latest.exists() else self.root

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "summary.json").read_text("utf-8"))
        return data

    def rows(self) -> list[dict[str, Any]]:
        lines = (self.folder / "samples.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def items(self, status: str) -> int:
        """How many capability items pytest's short summary lists with `status` (-rA)."""
        return self.out.count(f"{status} test_capability.py::test_sample[")


class Project:
    """A throwaway project folder; `run()` is pytest in a subprocess there."""

    def __init__(
        self, root: Path, samples: int = 14, rows: Sequence[dict[str, Any]] | None = None
    ) -> None:
        """`rows`: the general_mcq rows of mcq.jsonl (default: `mcq_rows(samples)`)."""
        self.root = root
        self.tmp = root / "tmp"  # TMPDIR of every run: what a run leaves behind shows here
        self.tmp.mkdir()
        (root / "pytest.ini").write_text(INI, encoding="utf-8")
        (root / "test_capability.py").write_text(CAPABILITY_TEST, encoding="utf-8")
        perf = (REPO / "benchmarks" / "test_perf.py").read_text(encoding="utf-8")
        (root / "test_qnext_perf.py").write_text(perf, encoding="utf-8")
        self.rows = list(rows) if rows is not None else mcq_rows(samples)
        write_jsonl(root / "mcq.jsonl", self.rows)

    def replay_file(self, wrong_every: int = 2) -> Path:
        """replay.jsonl in the project: a recorded answer per row (`replay_rows`)."""
        return write_jsonl(self.root / "replay.jsonl", replay_rows(self.rows, wrong_every))

    def mcq_args(self, path: str = "mcq.jsonl") -> list[str]:
        return [
            "--qnext-datasets",
            "general_mcq",
            "--qnext-dataset-args",
            json.dumps({"general_mcq": {"local_path": path}}),
        ]

    def env(self, tmp: Path | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST_", "QNEXT_", "OPENAI_"))
            and k not in ("COLUMNS", *CI_STYLE)
        }
        env["TMPDIR"] = str(tmp or self.tmp)
        env["COLUMNS"] = "80"
        env.update(extra or {})
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]

    def run(
        self,
        *args: str,
        timeout: float = RUN_TIMEOUT,
        tmp: Path | None = None,
        extra_env: dict[str, str] | None = None,
        root: Path | None = None,
        **popen: Any,
    ) -> Result:
        """pytest with `args` in the project; `tmp`: its TMPDIR (default: the project's);
        `extra_env`: variables on top of the clean environment; `root`: the report root the
        args name (kept in the result); `popen`: more subprocess.run arguments."""
        try:
            proc = subprocess.run(
                self.command(*args),
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=self.env(tmp, extra_env),
                **popen,
            )
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
            pytest.fail(f"the run hung (no exit within {timeout:g} s):\n{(out or '')[-3000:]}")
        return Result(proc.returncode, proc.stdout + proc.stderr, root)

    def capability(self, name: str, *args: str, **run: Any) -> Result:
        """A capability run of test_capability.py over mcq.jsonl with -rA: report under
        `report-<name>`, cache `cache-<name>` unless `args` name another; `run`: run()'s
        keyword arguments."""
        report = self.root / f"report-{name}"
        return self.run(
            "test_capability.py",
            "-m",
            "capability",
            "-rA",
            *self.mcq_args(),
            "--qnext-report-dir",
            str(report),
            "--qnext-cache-dir",
            f"cache-{name}",
            *args,
            root=report,
            **run,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env(),
        )

    def leftovers(self, tmp: Path | None = None) -> list[str]:
        """What runs left in their TMPDIR (only qnext's own files count)."""
        return sorted(p.name for p in (tmp or self.tmp).iterdir() if p.name.startswith("qnext-"))

    def summary(self, folder: Path) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return data

    def samples(self, folder: Path) -> list[dict[str, Any]]:
        text = (folder / "samples.jsonl").read_text(encoding="utf-8")
        return [json.loads(line) for line in text.split("\n") if line.strip()]
