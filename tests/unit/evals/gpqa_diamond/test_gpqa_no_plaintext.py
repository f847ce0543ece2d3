"""No GPQA question or answer text anywhere in the repository (tracked or about to be).

Decrypts the GPQA zip in memory, then searches every repository file that git tracks or would
add (ignored paths such as .venv excluded) for each question's opening and each long answer.
Only counts are printed.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]


def _needles(shared_data: Path) -> set[str]:
    with zipfile.ZipFile(shared_data / "gpqa_diamond" / "gpqa_diamond.zip") as archive:
        text = archive.read("gpqa_diamond.csv", pwd=b"deserted-untie-orchid").decode("utf-8")
    needles: set[str] = set()
    for row in csv.DictReader(io.StringIO(text, newline="")):
        question = " ".join(row["Question"].split())
        needles.add(question[:60])
        for column in ("Correct Answer", "Incorrect Answer 1", "Explanation"):
            value = " ".join(row[column].split())
            if len(value) >= 30:
                needles.add(value[:60])
    return needles


def _repository_files() -> list[Path]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [REPO / name for name in out.split("\0") if name and (REPO / name).is_file()]


def test_no_gpqa_text_in_repository(shared_data: Path) -> None:
    needles = _needles(shared_data)
    assert len(needles) > 300  # every question contributes a snippet: the scan is not vacuous
    files = _repository_files()
    hits = 0
    offending: list[str] = []
    for path in files:
        text = " ".join(path.read_bytes().decode("utf-8", errors="ignore").split())
        found = sum(needle in text for needle in needles)
        if found:
            hits += found
            offending.append(str(path.relative_to(REPO)))  # file names only, never the text
    print(f"\nscanned {len(files)} repository files for {len(needles)} GPQA snippets: {hits} hits")
    assert not offending, f"GPQA text found in: {', '.join(offending)}"
