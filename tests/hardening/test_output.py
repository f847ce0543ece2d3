"""Big runs do not read like a log file: by default a wrong answer is at most one short line,
the table, gates and verdict end the output; -v and --tb=long still show every block."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hardening_project import Project

MAX_LINES = 200
BIG = 12_000


def test_a_12000_sample_replay_prints_at_most_200_lines(tmp_path: Path) -> None:
    project = Project(tmp_path, samples=BIG)
    replay = project.replay_file(wrong_every=2)
    result = project.run(
        "-m",
        "capability",
        *project.mcq_args(),
        "--qnext-responses",
        str(replay),
        "--qnext-gate",
        "general_mcq>=0.4",
        timeout=1800,
    )
    lines = result.out.splitlines()
    assert result.code == 0, result.out[-5000:]
    assert len(lines) <= MAX_LINES, "\n".join(lines[:60])
    # pytest's final counts stay; just above them: the table, the gate, the verdict
    assert re.search(r"6000 failed, 6000 passed", lines[-1]), lines[-1]
    end = "\n".join(lines[-8:])
    assert re.search(r"exam\s+\|\s+acc\s+\|\s+general_mcq\s+\|\s+0\.5000 \|\s+12000", end), end
    assert "gate PASS general_mcq>=0.4" in end
    assert (
        "qnext: 6000 wrong answer(s) failed their items, but the gates decide the exit status: "
        "every gate passed, exit 0" in end
    )
    # 20 wrong answers as short lines and one line counting all of them; no FAILURES blocks
    listed = [line for line in lines if line.startswith("FAILED test_capability.py::")]
    assert len(listed) == 20 and all(" - general_mcq/q" in line for line in listed)
    assert any(line.startswith("qnext: 6000 sample(s) failed (wrong answers)") for line in lines)
    assert not any("= FAILURES =" in line for line in lines)
    # no progress letter per sample, one progress line per tenth
    assert sum(1 for line in lines if re.match(r"qnext: \d+ of 12000 samples done", line)) == 10


def test_verbose_and_long_tracebacks_show_every_block(project: Project) -> None:
    (project.root / "test_other.py").write_text(
        "def test_other_bug():\n    assert 1 + 1 == 3\n", encoding="utf-8"
    )
    replay = project.replay_file(wrong_every=2)
    args = [
        "test_capability.py",
        "test_other.py",
        *project.mcq_args(),
        "--qnext-responses",
        str(replay),
    ]
    # CI services set CI=true, which makes pytest print each failure's whole message in its
    # short summary: a wrong answer stays one line there too
    for ci_style in ({}, {"CI": "true"}):
        quiet = project.run(*args, extra_env=ci_style)
        assert quiet.code == 1, quiet.out
        # the real test bug keeps its block; the 7 wrong answers get one line each, no block
        assert "_ test_other_bug _" in quiet.out and "assert 1 + 1 == 3" in quiet.out
        assert "_ test_sample[" not in quiet.out and "  response: 'Thinking" not in quiet.out
        assert quiet.out.count("FAILED test_capability.py::test_sample[general_mcq/") == 7
    for flag in ("-v", "--tb=long"):
        full = project.run(*args, flag)
        assert full.code == 1, full.out
        blocks = failures_section(full.out)
        assert blocks.count("_ test_sample[general_mcq/") == 7, full.out
        assert blocks.count("  response: 'Thinking it over. ANSWER: ") == 7, full.out


def failures_section(out: str) -> str:
    """pytest's FAILURES blocks: from its FAILURES header to the next section header."""
    start = out.index("= FAILURES =")
    end = out.index("\n=", start + len("= FAILURES ="))
    return out[start:end]


def test_under_xdist_the_output_stays_quiet_and_lists_the_reason(tmp_path: Path) -> None:
    # xdist's controller collects nothing: the workers tell it how many samples were selected
    # (else it printed a letter per sample), and a listed failure's text is the sample's reason
    # (not the worker line "[gw1] linux -- Python ..." that starts xdist's report text)
    samples = 1200
    project = Project(tmp_path, samples=samples)
    replay = project.replay_file(wrong_every=2)
    result = project.run(
        "-n", "2", "-m", "capability", *project.mcq_args(), "--qnext-responses", str(replay)
    )
    assert result.code == 1, result.out[-3000:]
    lines = result.out.splitlines()
    assert not any(re.fullmatch(r"[.F]+\s*(\[\s*\d+%\])?", line) for line in lines), result.out
    done = [line for line in lines if re.match(rf"qnext: \d+ of {samples} samples done", line)]
    assert len(done) == 10, result.out
    listed = [line for line in lines if line.startswith("FAILED test_capability.py::")]
    assert len(listed) == 20, result.out
    assert all(re.search(r" - general_mcq/q\d+: fail — target '.'", line) for line in listed)
    assert "[gw" not in "\n".join(listed)
    assert "600 failed, 600 passed" in lines[-1]


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["plain", "xdist"])
def test_pytests_own_junitxml_gets_each_samples_outcome_not_its_row(
    project: Project, xdist: list[str]
) -> None:
    # pytest's --junitxml writes every property of a teardown report; the row (prompt and
    # response) stays in samples.jsonl, the testcase gets the outcome
    replay = project.replay_file(wrong_every=2)
    junit = project.root / "pytest-junit.xml"
    result = project.run(
        *xdist,
        "-m",
        "capability",
        *project.mcq_args(),
        "--qnext-responses",
        str(replay),
        f"--junitxml={junit}",
    )
    assert result.code == 1, result.out
    text = junit.read_text(encoding="utf-8")
    assert "which letter is it" not in text and "'messages'" not in text
    cases = ET.fromstring(text).iter("testcase")
    outcomes = {
        case.get("name"): [(p.get("name"), p.get("value")) for p in case.iter("property")]
        for case in cases
    }
    assert len(outcomes) == len(project.rows)
    expected = {"fail" if i % 2 else "pass" for i in range(len(project.rows))}
    assert {props[0][1] for props in outcomes.values()} == expected
    assert all(len(props) == 1 and props[0][0] == "qnext_outcome" for props in outcomes.values())
    rows = project.samples((project.root / ".qnext_report" / "latest").resolve())
    assert len(rows) == len(project.rows) and all(row["messages"] for row in rows)
