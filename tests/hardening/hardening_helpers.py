"""Helpers of the hardening suite: a capability project on disk, pytest in a subprocess.

Each test here reproduces one defect a hostile tester found (issue #11) end to end: pytest in a
subprocess, the plugin against the built-in simulator over real loopback sockets, the report
read back from disk. A defect that comes back shows as a failed assertion or as the
subprocess's timeout (a hang), never as a hang of this suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.evals.hub import DEMO_DATA_DIR

TEST_FILE = """
import pytest
pytestmark = pytest.mark.capability

def test_sample(qnext_sample):
    qnext_sample.check()
"""
RUN_TIMEOUT = 240.0  # seconds; a run that takes longer hangs (the defects did)


def mcq_rows(count: int, question_suffix: str = "") -> list[dict[str, Any]]:
    """`count` general_mcq rows built from the bundled MMLU-Pro demo rows (ids q000, ...);
    a variant number keeps every prompt distinct."""
    with (DEMO_DATA_DIR / "mmlu_pro" / "test.jsonl").open(encoding="utf-8") as fh:
        demo = [json.loads(line) for line in fh if line.strip()]
    return [
        {
            "id": f"q{i:03d}",
            "question": f"{demo[i % len(demo)]['question']} (variant {i}){question_suffix}",
            "choices": demo[i % len(demo)]["options"],
            "answer": demo[i % len(demo)]["answer"],
        }
        for i in range(count)
    ]


@dataclass
class Run:
    code: int
    out: str
    root: Path  # --qnext-report-dir

    @property
    def folder(self) -> Path:
        """The run's report folder (the report root, or its `latest` run folder)."""
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
    """A folder with the capability test file and a general_mcq dataset."""

    def __init__(self, root: Path, rows: Sequence[dict[str, Any]]) -> None:
        self.root = root
        (root / "test_capability.py").write_text(TEST_FILE, encoding="utf-8")
        self.rows = list(rows)
        with (root / "mcq.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in self.rows)

    def run(
        self,
        name: str,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = RUN_TIMEOUT,
        **popen: Any,
    ) -> Run:
        """pytest in a subprocess (report under `report-<name>`, cache `cache-<name>` unless
        `args` name another)."""
        report = self.root / f"report-{name}"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "test_capability.py",
            "-p",
            "no:cacheprovider",
            "-m",
            "capability",
            "-rA",
            "-W",
            "ignore::pytest.PytestDeprecationWarning",  # pytest-asyncio's, from outside
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
        try:
            proc = subprocess.run(
                cmd,
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                **popen,
            )
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
            pytest.fail(f"the run hung (no exit within {timeout:g} s):\n{(out or '')[-3000:]}")
        return Run(proc.returncode, proc.stdout + proc.stderr, report)
