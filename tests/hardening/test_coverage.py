"""Partial results are never silent: coverage (scored/selected) is reported, unmatched replay
rows are listed, and a gate on a partly scored dataset fails unless the user opts in."""

from __future__ import annotations

from hardening_project import Project, replay_rows, write_jsonl

GATE = "general_mcq>=0.5"


def _partial_replay(project: Project) -> list[str]:
    """5 of the 14 samples answered (all right), plus rows for an unknown dataset and id."""
    rows = replay_rows(project.rows[:5], wrong_every=0)
    rows.append({"dataset": "mmlu_pro", "sample_id": "70", "response": "ANSWER: A"})
    rows.append({"dataset": "general_mcq", "sample_id": "q99999", "response": "ANSWER: B"})
    path = write_jsonl(project.root / "partial.jsonl", rows)
    return ["-m", "capability", *project.mcq_args(), "--qnext-responses", str(path)]


def test_a_gate_on_a_partly_replayed_dataset_fails_and_says_why(shared_project: Project) -> None:
    project = shared_project
    result = project.run(*_partial_replay(project), "--qnext-gate", GATE, "--qnext-report-dir", "a")
    assert result.code == 1, result.out
    assert (
        f"gate FAIL {GATE}: cannot check: dataset 'general_mcq' covers only 5 of its 14 selected "
        "samples (9 skipped); pass --qnext-allow-partial" in result.out
    )
    assert "general_mcq: 5 of 14 selected samples were scored" in result.out
    assert "2 row(s) of the replay file" in result.out
    assert "match no selected sample and were not used: mmlu_pro/70, general_mcq/q99999" in (
        result.out
    )
    doc = project.summary(project.root / "a" / "latest")
    assert doc["datasets"]["general_mcq"]["coverage"] == {"scored": 5, "selected": 14}
    assert doc["coverage"] == {"scored": 5, "selected": 14}
    assert doc["replay"]["unmatched"] == ["mmlu_pro/70", "general_mcq/q99999"]
    assert doc["replay"]["unmatched_count"] == 2 and doc["replay"]["rows"] == 7
    assert doc["gates"][0]["passed"] is False and doc["gates"][0]["measured"] is None


def test_allow_partial_gates_on_the_scored_samples(shared_project: Project) -> None:
    project = shared_project
    result = project.run(
        *_partial_replay(project),
        "--qnext-gate",
        GATE,
        "--qnext-gate",
        "error_rate<=0",
        "--qnext-allow-partial",
        "--qnext-report-dir",
        "b",
    )
    assert result.code == 0, result.out
    assert f"gate PASS {GATE}: measured 1.0000" in result.out
    assert "gate PASS error_rate<=0" in result.out
    assert "general_mcq: 5 of 14 selected samples were scored" in result.out  # still reported


def test_a_lone_surrogate_in_a_replay_row_does_not_destroy_the_report(
    shared_project: Project,
) -> None:
    project = shared_project
    path = project.root / "surrogate.jsonl"
    rows = replay_rows(project.rows, wrong_every=0)
    # JSON escapes of a lone surrogate: valid JSON, but no UTF-8 writer takes the string
    lines = [
        '{"dataset": "general_mcq", "sample_id": "q00000", "response": "x \\ud800 ANSWER: A"}',
        *(
            f'{{"dataset": "general_mcq", "sample_id": "{r["sample_id"]}", '
            f'"response": "ANSWER: {row["answer"]}", "reasoning_content": "hm \\udfff"}}'
            for r, row in zip(rows[1:], project.rows[1:], strict=True)
        ),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = project.run(
        "-m",
        "capability",
        *project.mcq_args(),
        "--qnext-responses",
        str(path),
        "--qnext-report-dir",
        "c",
    )
    assert result.code == 0, result.out
    assert "Traceback" not in result.out
    folder = project.root / "c" / "latest"
    samples = {row["sample_id"]: row for row in project.samples(folder)}
    assert samples["q00000"]["prediction"] == "x \ufffd ANSWER: A"
    assert samples["q00000"]["outcome"] == "pass"
    assert samples["q00001"]["reasoning"] == "hm \ufffd"
    assert project.summary(folder)["table"][0]["average_score"] == 1.0
    assert (folder / "report.html").is_file() and (folder / "junit.xml").is_file()
