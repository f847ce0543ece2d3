"""Nothing to evaluate never passes: an empty dataset is a usage error, and a gate that no
sample reached fails with the reason (it never passes or disappears)."""

from __future__ import annotations

from hardening_project import Project

GATE = "general_mcq>=0.9"


def test_an_empty_dataset_file_with_a_gate_is_a_usage_error(shared_project: Project) -> None:
    project = shared_project
    (project.root / "empty.jsonl").write_text("\n", encoding="utf-8")
    result = project.run(
        "-m",
        "capability",
        *project.mcq_args("empty.jsonl"),
        "--qnext-sim",
        "--qnext-gate",
        GATE,
        "--qnext-report-dir",
        "empty",
    )
    assert result.code == 4, result.out
    (line,) = result.error_lines
    assert "general_mcq: no samples selected" in line and "empty.jsonl" in line
    assert "Traceback" not in result.out
    assert not (project.root / "empty").exists()


def test_a_gate_no_sample_reached_fails(shared_project: Project) -> None:
    """-k leaves only an unrelated passing test: the gate could not be evaluated, so the run
    fails (exit 1) and says why, instead of passing with the gate silently unchecked."""
    project = shared_project
    (project.root / "test_other.py").write_text("def test_other():\n    pass\n", "utf-8")
    result = project.run(
        "test_capability.py",
        "test_other.py",
        *project.mcq_args(),
        "--qnext-sim",
        "--qnext-gate",
        GATE,
        "-k",
        "test_other",
        "--qnext-report-dir",
        "deselected",
    )
    assert result.code == 1, result.out
    assert f"gate FAIL {GATE}: cannot check: no capability sample ran in this session" in (
        result.out
    )
    assert "1 passed" in result.out
