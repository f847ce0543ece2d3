"""Bad input -> exit code and one clear line, for every kind of input a user gives.

One table, one parametrized test: each row is a pytest command line in a throwaway project
(files prepared by `bad_project`), the exit code it must end with (4: usage error, before the
first request) and a fragment of its one `ERROR:` line. No row may print a traceback or leave
a qnext file in the run's TMPDIR. `{port}` stands for a loopback port nothing listens on
(the `closed_port` fixture of tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hardening_project import Project, mcq_rows, replay_rows, write_jsonl

MCQ = ["--qnext-datasets", "general_mcq"]
SIM = ["--qnext-sim", "ttft=0,itl=0"]
CAP = ["-m", "capability", "test_capability.py"]
PERF = ["-m", "perf", "test_qnext_perf.py"]


def args_for(path: str, **extra: object) -> list[str]:
    return ["--qnext-dataset-args", json.dumps({"general_mcq": {"local_path": path, **extra}})]


GOOD = [*MCQ, *args_for("mcq.jsonl")]
COLLECTION = ["--qnext-collection", "schema.json"]  # one general_mcq leaf over mcq.jsonl

# (id, arguments, exit code, fragment of the ERROR line)
TABLE: list[tuple[str, list[str], int, str]] = [
    # the server under test
    ("url-not-http", [*CAP, *GOOD, "--qnext-url", "ftp://x/v1"], 4, "--qnext-url"),
    ("url-no-host", [*CAP, *GOOD, "--qnext-url", "http:///v1"], 4, "has no host"),
    (
        "sim-and-url",
        [*CAP, *GOOD, *SIM, "--qnext-url", "http://127.0.0.1:9/v1"],
        4,
        "--qnext-sim and --qnext-url",
    ),
    ("sim-and-serve", [*CAP, *GOOD, *SIM, "--qnext-serve", "true"], 4, "give one of them"),
    (
        "url-unreachable",
        [*CAP, *GOOD, "--qnext-url", "http://127.0.0.1:{port}/v1"],
        4,
        "127.0.0.1:{port}",
    ),
    (
        "model-not-served",
        [*CAP, *GOOD, *SIM, "--qnext-model", "nope"],
        4,
        "model 'nope' is not served",
    ),
    (
        "serve-not-a-command",
        [*CAP, *GOOD, "--qnext-serve", "qnext-no-such-program --port 9"],
        4,
        "cannot start 'qnext-no-such-program'",
    ),
    (
        "serve-unparsable",
        [*CAP, *GOOD, "--qnext-serve", "'unclosed"],
        4,
        "cannot parse the command",
    ),
    ("no-target", [*CAP, *GOOD], 4, "no server to test was given"),
    ("no-datasets", [*CAP, *SIM], 4, "no benchmark is; give --qnext-datasets"),
    ("api", [*CAP, *GOOD, *SIM, "--qnext-api", "grpc"], 4, "--qnext-api: 'grpc' is not valid"),
    ("timeout-zero", [*CAP, *GOOD, *SIM, "--qnext-timeout", "0"], 4, "--qnext-timeout"),
    ("retries-negative", [*CAP, *GOOD, *SIM, "--qnext-retries", "-1"], 4, "--qnext-retries"),
    ("serve-timeout", [*CAP, *GOOD, "--qnext-serve-timeout", "soon"], 4, "--qnext-serve-timeout"),
    # simulator specs
    ("sim-unknown-key", [*CAP, *GOOD, "--qnext-sim", "ttfb=0.1"], 4, "unknown key 'ttfb'"),
    ("sim-bad-policy", [*CAP, *GOOD, "--qnext-sim", "policy=magic"], 4, "policy='magic'"),
    ("sim-p-range", [*CAP, *GOOD, "--qnext-sim", "p=2"], 4, "p=2.0 must be between 0 and 1"),
    ("sim-not-a-number", [*CAP, *GOOD, "--qnext-sim", "itl=fast"], 4, "expected float"),
    ("sim-no-value", [*CAP, *GOOD, "--qnext-sim", "ttft"], 4, "has no value"),
    # datasets and their arguments
    (
        "dataset-unknown",
        [*CAP, *SIM, "--qnext-datasets", "mmlu_prp"],
        4,
        "unknown dataset 'mmlu_prp'",
    ),
    ("args-not-json", [*CAP, *SIM, *MCQ, "--qnext-dataset-args", "{bad"], 4, "not valid JSON"),
    (
        "args-entry-not-object",
        [*CAP, *SIM, *MCQ, "--qnext-dataset-args", '{"general_mcq": 3}'],
        4,
        "must be an object",
    ),
    (
        "args-unselected",
        [*CAP, *SIM, *MCQ, "--qnext-dataset-args", '{"mmlu_pro": {}}'],
        4,
        "'mmlu_pro' is not among --qnext-datasets",
    ),
    (
        "args-misspelled-key",
        [*CAP, *SIM, *MCQ, *args_for("mcq.jsonl", subset_lst=["a"])],
        4,
        "'subset_lst' (did you mean 'subset_list'?)",
    ),
    (
        "args-benchmark-key",
        [
            *CAP,
            *SIM,
            "--qnext-datasets",
            "mmlu_pro",
            "--qnext-data-dir",
            "demo",
            "--qnext-dataset-args",
            '{"mmlu_pro": {"extration": "strict"}}',
        ],
        4,
        "did you mean 'extraction'?",
    ),
    (
        "args-repeats",
        [*CAP, *SIM, *MCQ, *args_for("mcq.jsonl", repeats=0)],
        4,
        "general_mcq.repeats must be an integer >= 1",
    ),
    (
        "args-unknown-subset",
        [*CAP, *SIM, *MCQ, *args_for("mcq.jsonl", subset_list=["x"])],
        4,
        "has no subset(s) x",
    ),
    ("no-local-path", [*CAP, *SIM, *MCQ], 4, "general_mcq: no file given"),
    (
        "local-path-missing",
        [*CAP, *SIM, *MCQ, *args_for("missing.jsonl")],
        4,
        "missing.jsonl does not exist",
    ),
    (
        "dataset-empty",
        [*CAP, *SIM, *MCQ, *args_for("empty.jsonl"), "--qnext-gate", "general_mcq>=0.9"],
        4,
        "general_mcq: no samples selected",
    ),
    (
        "dataset-duplicate-id",
        [*CAP, *SIM, *MCQ, *args_for("dup.jsonl")],
        4,
        "dup.jsonl:3: id 'q00001' occurs twice (first at",
    ),
    (
        "dataset-bad-json",
        [*CAP, *SIM, *MCQ, *args_for("badjson.jsonl")],
        4,
        "badjson.jsonl:2: not valid JSON",
    ),
    (
        "dataset-bad-answer",
        [*CAP, *SIM, *MCQ, *args_for("badanswer.jsonl")],
        4,
        "'answer' 'Z' must be one of the letters A-D",
    ),
    (
        "data-dir-missing",
        [*CAP, *SIM, *GOOD, "--qnext-data-dir", "nowhere"],
        4,
        "nowhere is not a directory",
    ),
    ("limit-zero", [*CAP, *SIM, *GOOD, "--qnext-limit", "0"], 4, "--qnext-limit"),
    (
        "limit-fraction-above-one",
        [*CAP, *SIM, *GOOD, "--qnext-limit", "1.5"],
        4,
        "must be a whole count >= 1 or a fraction in (0,1)",
    ),
    (
        "gen-config-not-json",
        [*CAP, *SIM, *GOOD, "--qnext-gen-config", "{temp: 1}"],
        4,
        "--qnext-gen-config: not valid JSON",
    ),
    ("batch-size-zero", [*CAP, *SIM, *GOOD, "--qnext-batch-size", "0"], 4, "--qnext-batch-size"),
    ("repeats-zero", [*CAP, *SIM, *GOOD, "--qnext-repeats", "0"], 4, "--qnext-repeats"),
    (
        "cache-mode",
        [*CAP, *SIM, *GOOD, "--qnext-cache", "sometimes"],
        4,
        "--qnext-cache: 'sometimes' is not valid",
    ),
    # gates
    (
        "gate-percent",
        [*CAP, *SIM, *GOOD, "--qnext-gate", "general_mcq>=75"],
        4,
        "outside [0, 1] (write 0.75, not 75)",
    ),
    (
        "gate-operator",
        [*CAP, *SIM, *GOOD, "--qnext-gate", "general_mcq==0.5"],
        4,
        "operator '==' is not supported",
    ),
    (
        "gate-not-a-number",
        [*CAP, *SIM, *GOOD, "--qnext-gate", "general_mcq>=high"],
        4,
        "limit 'high' is not a number",
    ),
    ("gate-garbage", [*CAP, *SIM, *GOOD, "--qnext-gate", "pass everything"], 4, "bad gate"),
    (
        "gate-misspelled-dataset",
        [*CAP, *SIM, *GOOD, "--qnext-gate", "genral_mcq>=0.5"],
        4,
        "'genral_mcq' (did you mean 'general_mcq'?), which this run does not select",
    ),
    (
        "gate-unselected-dataset",
        [*CAP, *SIM, *GOOD, "--qnext-gate", "mmlu_pro>=0.5"],
        4,
        "which this run does not select (--qnext-datasets: general_mcq)",
    ),
    (
        "gate-unknown-metric",
        [*CAP, *SIM, *GOOD, "--qnext-gate", "general_mcq.accuracy>=0.5"],
        4,
        "general_mcq has no metric 'accuracy'",
    ),
    # gates of a collection run: checked once its rows are read, before the first request
    (
        "collection-gate-unknown-tag",
        [*CAP, *SIM, *COLLECTION, "--qnext-gate", "collection.tag.eng>=0.5"],
        4,
        "the collection has no tag 'eng' (did you mean 'en'?) (tags: en)",
    ),
    (
        "collection-gate-not-a-leaf",
        [*CAP, *SIM, *COLLECTION, "--qnext-gate", "mmlu_pro>=0.5"],
        4,
        "which this run does not select (the collection's benchmarks: general_mcq)",
    ),
    (
        "collection-gate-without-collection",
        [*CAP, *SIM, *GOOD, "--qnext-gate", "collection>=0.5"],
        4,
        "this run evaluates no collection",
    ),
    # baselines
    (
        "baseline-missing",
        [*CAP, *SIM, *GOOD, "--qnext-baseline", "old_run"],
        4,
        "old_run does not exist",
    ),
    (
        "baseline-empty-folder",
        [*CAP, *SIM, *GOOD, "--qnext-baseline", "emptydir"],
        4,
        "emptydir holds no summary.json and no latest-capability link",
    ),
    (
        "baseline-corrupt",
        [*CAP, *SIM, *GOOD, "--qnext-baseline", "corrupt"],
        4,
        "is not valid JSON",
    ),
    (
        "baseline-is-perf",
        [*CAP, *SIM, *GOOD, "--qnext-baseline", "perfrun/summary.json"],
        4,
        "has no 'table'; give a capability run's summary",
    ),
    (
        "max-drop-without-baseline",
        [*CAP, *SIM, *GOOD, "--qnext-max-drop", "0.02"],
        4,
        "--qnext-max-drop: needs --qnext-baseline",
    ),
    (
        "force-without-baseline",
        [*CAP, *SIM, *GOOD, "--qnext-baseline-force"],
        4,
        "--qnext-baseline-force: needs --qnext-baseline",
    ),
    (
        "perf-baseline-missing",
        [*PERF, *SIM, "--qnext-perf-baseline", "old_run"],
        4,
        "--qnext-perf-baseline: old_run does not exist",
    ),
    (
        "perf-baseline-no-perf-run",
        [*PERF, *SIM, "--qnext-perf-baseline", "emptydir"],
        4,
        "emptydir holds no summary.json and no latest-perf link",
    ),
    # replay files
    (
        "replay-missing",
        [*CAP, *GOOD, "--qnext-responses", "gone.jsonl"],
        4,
        "--qnext-responses: cannot read",
    ),
    (
        "replay-bad-json",
        [*CAP, *GOOD, "--qnext-responses", "badreplay.jsonl"],
        4,
        "badreplay.jsonl:2: not valid JSON",
    ),
    (
        "replay-no-response",
        [*CAP, *GOOD, "--qnext-responses", "noresponse.jsonl"],
        4,
        "field 'response' must be a string",
    ),
    (
        "replay-duplicate",
        [*CAP, *GOOD, "--qnext-responses", "twice.jsonl"],
        4,
        "a second row for general_mcq/q00000 (first on line 1)",
    ),
    # report dirs
    (
        "report-dir-is-file",
        [*CAP, *SIM, *GOOD, "--qnext-report-dir", "afile"],
        4,
        "--qnext-report-dir: afile is a file",
    ),
    (
        "report-dir-under-file",
        [*CAP, *SIM, *GOOD, "--qnext-report-dir", "afile/reports"],
        4,
        "cannot be created: afile is a file",
    ),
    # perf (the perf helper owns these parsers; rows here pass already)
    ("perf-under-xdist", [*PERF, *SIM, "-n", "2"], 4, "perf sweeps refuse to run under xdist"),
    ("perf-parallel-zero", [*PERF, *SIM, "--qnext-parallel", "0"], 4, "--qnext-parallel"),
    ("perf-slo-unknown", [*PERF, *SIM, "--qnext-slo", "speed>=1"], 4, "--qnext-slo"),
]


@pytest.fixture(scope="module")
def bad_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The files the table's rows name."""
    project = Project(tmp_path_factory.mktemp("bad_inputs"))
    root = project.root
    rows = mcq_rows(3)
    (root / "empty.jsonl").write_text("", encoding="utf-8")
    leaf = {"name": "general_mcq", "tags": ["en"], "args": {"local_path": "mcq.jsonl"}}
    schema = {"name": "Mix", "datasets": [leaf]}
    (root / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    write_jsonl(root / "dup.jsonl", [rows[0], rows[1], rows[1]])
    (root / "badjson.jsonl").write_text(json.dumps(rows[0]) + "\n{oops\n", encoding="utf-8")
    write_jsonl(root / "badanswer.jsonl", [{**rows[0], "answer": "Z"}])
    good = json.dumps(replay_rows(rows[:1])[0])
    (root / "badreplay.jsonl").write_text(good + "\n{oops\n", encoding="utf-8")
    write_jsonl(root / "noresponse.jsonl", [{"dataset": "general_mcq", "sample_id": "q00000"}])
    write_jsonl(root / "twice.jsonl", replay_rows([rows[0], rows[0]]))
    (root / "emptydir").mkdir()
    (root / "corrupt").mkdir()
    (root / "corrupt" / "summary.json").write_text("{not json", encoding="utf-8")
    (root / "corrupt" / "samples.jsonl").write_text("", encoding="utf-8")
    (root / "perfrun").mkdir()
    (root / "perfrun" / "summary.json").write_text('{"kind": "perf", "perf": []}', "utf-8")
    (root / "afile").write_text("not a folder", encoding="utf-8")
    return project


def test_the_table_is_big_enough() -> None:
    assert len(TABLE) >= 40
    assert len({row[0] for row in TABLE}) == len(TABLE)


@pytest.mark.parametrize(
    ("args", "code", "fragment"), [r[1:] for r in TABLE], ids=[r[0] for r in TABLE]
)
def test_bad_input_is_one_clear_line(
    bad_project: Project,
    closed_port: int,
    tmp_path: Path,
    args: list[str],
    code: int,
    fragment: str,
) -> None:
    args = [a.replace("{port}", str(closed_port)) for a in args]
    fragment = fragment.replace("{port}", str(closed_port))
    reports = tmp_path / "reports"  # a row's own --qnext-report-dir comes later and wins
    result = bad_project.run(
        "--qnext-report-dir", str(reports), *args, timeout=120, tmp=tmp_path
    )  # and a TMPDIR of its own
    assert result.code == code, result.out
    assert "Traceback" not in result.out, result.out
    (line,) = result.error_lines or [""]
    assert fragment in line, result.out
    assert not bad_project.leftovers(tmp_path), bad_project.leftovers(tmp_path)
    assert not reports.exists(), "a report was written"
