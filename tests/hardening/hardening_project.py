"""Helpers of the hardening suite (issue #11, part B): each test runs pytest in a subprocess
against the built-in simulator (or a replay file) in a throwaway project, as a user or CI would.

`Project` holds a capability test file, the real benchmarks/test_perf.py and N general_mcq rows
of its own (no ../shared/data needed); `project.run(*args)` runs pytest there and returns its
exit code and output, with TMPDIR pointed at a folder of the test's own so leftovers show.
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

REPO = Path(__file__).resolve().parents[2]
CAPABILITY_TEST = """
import pytest
pytestmark = pytest.mark.capability

def test_sample(qnext_sample):
    qnext_sample.check()
"""
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings =\n    error\n"
LETTERS = "ABCD"


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

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith("ERROR:")]


class Project:
    """A throwaway project folder; `run()` is pytest in a subprocess there."""

    def __init__(self, root: Path, samples: int = 14) -> None:
        self.root = root
        self.tmp = root / "tmp"  # TMPDIR of every run: what a run leaves behind shows here
        self.tmp.mkdir()
        (root / "pytest.ini").write_text(INI, encoding="utf-8")
        (root / "test_capability.py").write_text(CAPABILITY_TEST, encoding="utf-8")
        perf = (REPO / "benchmarks" / "test_perf.py").read_text(encoding="utf-8")
        (root / "test_qnext_perf.py").write_text(perf, encoding="utf-8")
        self.rows = mcq_rows(samples)
        write_jsonl(root / "mcq.jsonl", self.rows)

    def mcq_args(self, path: str = "mcq.jsonl") -> list[str]:
        return [
            "--qnext-datasets",
            "general_mcq",
            "--qnext-dataset-args",
            json.dumps({"general_mcq": {"local_path": path}}),
        ]

    def env(self, tmp: Path | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST_", "QNEXT_", "OPENAI_")) and k != "COLUMNS"
        }
        env["TMPDIR"] = str(tmp or self.tmp)
        env["COLUMNS"] = "80"
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]

    def run(self, *args: str, timeout: float = 240, tmp: Path | None = None) -> Result:
        """pytest with `args` in the project; `tmp`: its TMPDIR (default: the project's)."""
        proc = subprocess.run(
            self.command(*args),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(tmp),
        )
        return Result(proc.returncode, proc.stdout + proc.stderr)

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
