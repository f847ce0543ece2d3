"""End to end: collections evaluated as pytest items, pytest in a subprocess against the simulator.

The collection is drawn from the demo rows bundled with the package (six benchmarks, 48 rows,
`--qnext-data-dir demo`) by `python -m pytest_qnext.collections build`, so nothing here but the
seed's flow needs ../shared/data. The simulator's oracle policy decides right/wrong per sample
from (seed, sample) alone, so every run of the same samples gets the same answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.capability.collection_entries import shuffled
from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.collections import read_collection
from pytest_qnext.evals.hub import DEMO_DATA_DIR

DATASETS = ("mmlu_pro", "mmlu_redux", "ifeval", "math_500", "aime24", "aime25")
ALL_ROWS = 48
DC = "data_collection"
Comparable = Callable[[Path], dict[str, Any]]  # the comparable_report fixture (tests/conftest.py)
TEST_FILE = """
import pytest
pytestmark = pytest.mark.capability

def test_sample(qnext_sample):
    qnext_sample.check()
"""
SCHEMA = """\
name: Demo
datasets:
  - name: English
    weight: 2
    datasets:
      - {name: mmlu_pro, weight: 1, task_type: exam, tags: [en], args: {few_shot_num: 0}}
      - {name: mmlu_redux, weight: 1, task_type: exam, tags: [en]}
      - {name: ifeval, weight: 1, task_type: instruction, tags: [en]}
  - name: Math
    weight: 1
    datasets:
      - {name: math_500, weight: 1, task_type: math, tags: [en, math]}
      - {name: aime24, weight: 1, task_type: math, tags: [en, math]}
      - {name: aime25, weight: 1, task_type: math, tags: [en, math]}
"""
SHUFFLED = ["--qnext-limit", "30", "--qnext-sim", "--qnext-cache", "off"]


def build(project: Path, schema: str, out: str, data_dir: Path, *args: str) -> str:
    """`python -m pytest_qnext.collections build` in `project`; returns its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest_qnext.collections", "build", schema, "-o", out,
         "--data-dir", str(data_dir), *args],
        cwd=project, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("collection")
    (root / "test_capability.py").write_text(TEST_FILE, encoding="utf-8")
    (root / "demo.yaml").write_text(SCHEMA, encoding="utf-8")
    build(root, "demo.yaml", "demo.jsonl", DEMO_DATA_DIR, "--count", "100000000")
    return root


def run(project: Path, name: str, *args: str, timeout: float = 300) -> tuple[int, str, Path]:
    """pytest in a subprocess over the demo data; returns (exit code, output, report dir)."""
    report = project / f"report-{name}"
    cmd = [sys.executable, "-m", "pytest", "test_capability.py", "-p", "no:cacheprovider",
           "-m", "capability", "-rs", "--qnext-data-dir", "demo", "--qnext-report-dir",
           str(report), *args]  # fmt: skip
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr, report


def collection(local_path: str, **own: Any) -> list[str]:
    return [
        "--qnext-datasets",
        DC,
        "--qnext-dataset-args",
        json.dumps({DC: {"local_path": local_path, **own}}),
    ]


def test_a_collection_and_its_datasets_share_answers_and_scores(
    project: Path, comparable_report: Comparable
) -> None:
    """Datasets then collection, and collection then datasets, against one simulator: the second
    run of each pair asks nothing (the simulator's counter stays), and the collection's
    per-dataset rows equal the direct run's."""
    from pytest_qnext.sim import parse_spec, run_in_process
    from pytest_qnext.sim.oracle import write_oracle_file

    oracle = project / "oracle.jsonl"
    assert write_oracle_file(CapabilitySettings(datasets=DATASETS, data_dir=DEMO_DATA_DIR), oracle)
    direct_args = ["--qnext-datasets", ",".join(DATASETS)]
    with run_in_process(parse_spec("policy=oracle,p=0.7"), oracle_file=oracle) as sim:
        url = ["--qnext-url", sim.url]
        _, out, direct = run(project, "direct", *direct_args, *url, "--qnext-cache-dir", "c1")
        asked = sim.stats()["received"]
        _, out2, coll = run(project, "coll", *collection("demo.jsonl"), *url,
                            "--qnext-cache-dir", "c1")  # fmt: skip
        after_collection = sim.stats()["received"]
        run(project, "coll-first", *collection("demo.jsonl"), *url, "--qnext-cache-dir", "c2")
        asked_twice = sim.stats()["received"]
        _, out3, _ = run(project, "direct-second", *direct_args, *url, "--qnext-cache-dir", "c2")
        after_direct = sim.stats()["received"]
    assert asked == ALL_ROWS, out
    assert after_collection == asked, out2  # the collection asked the server nothing
    assert asked_twice == 2 * ALL_ROWS and after_direct == asked_twice, out3
    alone, mixed = comparable_report(direct), comparable_report(coll)
    primary = {name: info["primary_metric"] for name, info in alone["summary"]["datasets"].items()}
    direct_rows = {t["dataset_name"]: t for t in alone["summary"]["table"]
                   if t["metric"] == primary[t["dataset_name"]]}  # fmt: skip
    coll_rows = {t["dataset_name"]: t for t in mixed["summary"]["table"]}
    assert sorted(coll_rows) == sorted(DATASETS)
    for name, row in coll_rows.items():
        skip = ("task_type",)  # the schema's, not the benchmark's
        assert {k: v for k, v in row.items() if k not in skip} == {
            k: v for k, v in direct_rows[name].items() if k not in skip
        }, name
    assert coll_rows["ifeval"]["task_type"] == "instruction"
    assert mixed["summary"]["fingerprint"] == alone["summary"]["fingerprint"]

    def plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in ("collection", "cached", "latency")}
                for r in rows]  # fmt: skip

    assert plain(mixed["samples"]) == plain(alone["samples"])
    assert all(r["cached"] and r["collection"] for r in mixed["samples"])


def test_seeds_flow_on_the_simulator_plain_and_with_xdist(
    project: Path, comparable_report: Comparable
) -> None:
    """Shuffled, limited, gated, every level shown; `-n 2` writes the same report."""
    args = [*collection("demo.jsonl", shuffle=True), *SHUFFLED, "--qnext-collection-levels",
            "all", "--qnext-gate", "collection>=0.3", "--qnext-gate",
            "collection.tag.math.micro>=0.99"]  # fmt: skip
    code, out, report = run(project, "plain", *args)
    xcode, xout, xreport = run(project, "xdist", *args, "-n", "2")
    doc = comparable_report(report)
    assert comparable_report(xreport) == doc, xout
    assert code == xcode == 1, out  # the second gate fails
    expected = Counter(
        r.dataset_name for r in shuffled(read_collection(project / "demo.jsonl"), 0)[:30]
    )
    table = doc["summary"]["table"]
    assert {t["dataset_name"]: t["count"] for t in table} == expected
    assert len(table) == len(expected) >= 4 and sum(expected.values()) == 30
    assert len(doc["samples"]) == 30
    block = doc["summary"]["collection"]
    assert set(block["levels"]) == {"subset", "dataset", "task_type", "tag", "category"}
    assert block["source"] == "demo.jsonl" and block["shuffled"] and block["rows"] == 30
    (whole,) = [e for e in block["levels"]["category"] if e["category"] == ["Demo"]]
    gate = doc["summary"]["gates"][0]
    assert gate["name"] == "collection>=0.3" and gate["measured"] == whole["weighted_avg"]
    assert "gate FAIL collection.tag.math.micro>=0.99" in out
    for level in ("collection | Demo", "tag        | math", "category   | Demo/English"):
        assert level in out, out
    assert "test_sample[data_collection/" in out and "Traceback" not in out


def test_drawing_in_memory_equals_evaluating_the_built_file(
    project: Path, comparable_report: Comparable
) -> None:
    args = ["--qnext-dataset-args", json.dumps({DC: {"shuffle": True}}), *SHUFFLED]
    _, out, memory = run(project, "memory", "--qnext-collection", "demo.yaml", *args)
    _, _, built = run(project, "built", *collection("demo.jsonl", shuffle=True), *SHUFFLED)
    first, second = comparable_report(memory), comparable_report(built)
    source = "demo.yaml (drawn in memory: weighted sampler, count 100000000, seed 0)"
    assert first["summary"]["collection"].pop("source") == source, out
    assert second["summary"]["collection"].pop("source") == "demo.jsonl"
    assert first == second


def test_stale_rows_are_skipped_and_the_baseline_pairs_the_rest(
    project: Path, comparable_report: Comparable
) -> None:
    """A row whose sample the data lost is a skipped item with the reason; the run compares
    with the whole collection's report on the samples both scored."""
    lines = (project / "demo.jsonl").read_text(encoding="utf-8").splitlines()
    gone = json.loads(lines[0])
    lost = {**gone, "sample_id": "lost-1", "sample": {**gone["sample"], "id": "lost-1"}}
    (project / "stale.jsonl").write_text(
        "\n".join([json.dumps(lost), *lines[1:]]) + "\n", encoding="utf-8"
    )
    _, _, base = run(
        project, "base", *collection("demo.jsonl"), "--qnext-sim", "--qnext-cache-dir", "c3"
    )
    code, out, report = run(
        project, "stale", *collection("stale.jsonl"), "--qnext-sim", "--qnext-cache-dir", "c3",
        "--qnext-baseline", str(base), "--qnext-baseline-force", "--qnext-max-drop", "0.1",
        "--qnext-gate", "collection>=0.2",
    )  # fmt: skip
    reason = f"collection row 0: {gone['dataset_name']}/lost-1 is not in the data loaded now"
    assert "SKIPPED [1] " in out and reason in out, out
    doc = comparable_report(report)
    (row,) = [r for r in doc["samples"] if r["sample_id"] == "lost-1"]
    assert row["outcome"] == "skipped" and reason in row["skip_reason"] and row["collection"]
    assert doc["summary"]["datasets"][gone["dataset_name"]]["outcomes"]["skipped"] == 1
    whole = doc["summary"]["comparison"]["collection"]
    assert whole["paired"] == ALL_ROWS - 1 and whole["delta"] == 0.0, out
    assert "collection: inconclusive weighted" in out
    assert "gate PASS collection.max_drop<=0.1" in out
    assert code == 0, out  # gates passed; the skipped row is no failure


BAD_MODULE = """
from pytest_qnext.collections import CollectionSchema, DatasetInfo

LOOP = CollectionSchema("Loop", datasets=[DatasetInfo("aime24")])
LOOP.datasets.append(LOOP)
"""
# name -> (file to write or None, arguments, what the one line says)
BAD = {
    "unknown benchmark": (
        '{"name": "S", "datasets": [{"name": "aime42"}]}',
        ["--qnext-collection", "bad.json"],
        "bad.json: S/aime42: unknown dataset 'aime42'; valid:",
    ),
    "negative weight": (
        '{"name": "S", "datasets": [{"name": "aime24", "weight": -1}]}',
        ["--qnext-collection", "bad.json"],
        "bad.json: S/aime24: weight must be a number > 0, got -1",
    ),
    "empty node": (
        '{"name": "S", "datasets": [{"name": "G", "datasets": []}]}',
        ["--qnext-collection", "bad.json"],
        "bad.json: S/G: empty node; give it at least one dataset or sub-collection",
    ),
    "cycle": (
        None,
        ["--qnext-collection", "loop_schema:LOOP"],
        "loop_schema:LOOP: Loop/Loop: cycle (this node contains itself)",
    ),
    "malformed row": (
        '{"index": 0, "dataset_name": "aime24"\n',
        collection("bad.json"),
        "bad.json:1: not valid JSON",
    ),
    "mixed with a dataset": (
        None,
        [*collection("demo.jsonl"), "--qnext-datasets", f"{DC},aime24"],
        f"--qnext-datasets: {DC} is evaluated on its own; run aime24 in another session",
    ),
    "collection with datasets": (
        None,
        ["--qnext-collection", "demo.yaml", "--qnext-datasets", "aime24"],
        "--qnext-collection: a collection is evaluated on its own; drop --qnext-datasets",
    ),
    "bad level": (None, ["--qnext-collection-levels", "tags"], "unknown level(s) tags; valid:"),
    "bad gate": (
        None,
        [*collection("demo.jsonl"), "--qnext-gate", "collection.tags.zh>=0.5"],
        "unknown collection level or average 'tags'",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_line_and_exit_4(project: Path, name: str) -> None:
    text, args, message = BAD[name]
    if text is not None:
        (project / "bad.json").write_text(text, encoding="utf-8")
    (project / "loop_schema.py").write_text(BAD_MODULE, encoding="utf-8")
    code, out, _ = run(project, f"bad-{name}", *args, "--qnext-sim")
    errors = [line for line in out.splitlines() if line.startswith("ERROR:")]
    assert code == 4, out
    assert len(errors) == 1 and message in errors[0], out
    assert "Traceback" not in out


def test_qwen3_seed_flow_over_the_shared_data(
    shared_data: Path, tmp_path: Path, comparable_report: Comparable
) -> None:
    """EvalScope's flow: build qwen3 with every row, evaluate 100 shuffled rows. The table
    follows the shuffled mixture: its datasets and counts are those of the first 100 rows."""
    (tmp_path / "test_capability.py").write_text(TEST_FILE, encoding="utf-8")
    build(tmp_path, "qwen3", "qwen3.jsonl", shared_data, "--count", "100000000")
    code, out, report = run(
        tmp_path, "qwen3", *collection("qwen3.jsonl", shuffle=True), "--qnext-limit", "100",
        "--qnext-data-dir", str(shared_data), "--qnext-sim", "--qnext-cache", "off",
    )  # fmt: skip
    mixture = shuffled(read_collection(tmp_path / "qwen3.jsonl"), 0)[:100]
    expected = Counter(row.dataset_name for row in mixture)
    table = comparable_report(report)["summary"]["table"]
    assert {t["dataset_name"]: t["count"] for t in table} == expected, out
    assert sum(t["count"] for t in table) == 100 and len(table) >= 3
    kinds = {row.dataset_name: row.task_type for row in mixture}
    assert {t["dataset_name"]: t["task_type"] for t in table} == kinds
    assert "qnext collection Qwen3 from qwen3.jsonl (shuffled)" in out
    assert code in (0, 1) and "Traceback" not in out
