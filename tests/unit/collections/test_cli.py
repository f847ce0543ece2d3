"""`python -m pytest_qnext.collections build|show`: the built-in qwen3 over the offline data,
and one stderr line with exit 2/4 for every bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_qnext.collections import builtin, read_collection
from pytest_qnext.collections.cli import EXIT_INPUT, EXIT_USAGE, PROG, _Bar, main
from pytest_qnext.evals import registry
from pytest_qnext.evals.base import LoadContext


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_qnext.collections", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def _manifest_rows(shared_data: Path) -> dict[str, int]:
    """Rows per benchmark folder from the data's MANIFEST.tsv (path, bytes, sha256, rows)."""
    folders = ("mmlu_pro", "mmlu_redux", "ifeval", "ceval", "iquiz", "math_500", "aime24", "aime25")
    rows: dict[str, int] = {}
    for line in (shared_data / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        path, _, _, count = line.split("\t")
        folder = path.split("/")[0]
        if folder in folders and count:
            rows[folder] = rows.get(folder, 0) + int(count)
    return rows


def test_build_qwen3_takes_every_row_of_each_available_leaf(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "qwen3.jsonl"
    done = _run("build", "qwen3", "-o", str(out), "--count", "100000000",
                "--data-dir", str(shared_data))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    # ../shared/data has no LiveCodeBench copy (the hub is unreachable here): one line
    assert warnings == [
        f"{PROG}: warning: Qwen3/Code/live_code_bench: live_code_bench: no file "
        "livecodebench/test5.jsonl under --qnext-data-dir "
        f"{shared_data}; expected layout: livecodebench/test.jsonl ... test6.jsonl "
        "(code_generation_lite's files); built without it"
    ]
    rows = read_collection(out)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.dataset_name] = counts.get(row.dataset_name, 0) + 1
    expected = _manifest_rows(shared_data)
    # the GPQA zip has no row count in the manifest: its (quick) loader gives it
    gpqa = registry.get("gpqa_diamond").load(LoadContext(shared_data, {}))
    expected["gpqa_diamond"] = len(gpqa)
    leaves = builtin("qwen3").flatten()  # type: ignore[union-attr]
    assert set(expected) == {leaf.name for leaf in leaves} - {"live_code_bench"}
    assert counts == expected
    assert f"wrote {len(rows)} rows to {out}" in done.stdout
    table = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:-1]}
    mmlu_pro = table["Qwen3/English/mmlu_pro"]
    assert mmlu_pro[3] == mmlu_pro[5] == str(expected["mmlu_pro"])
    assert abs(int(mmlu_pro[4]) - 100_000_000 / 12) < 1  # its quota: count x weight
    assert table["Qwen3/Code/live_code_bench"][-1] == "unavailable"

    assert main(["show", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{out}: {len(rows)} rows"
    assert lines[1].startswith(f"Qwen3  {len(rows)} rows  weight 0.7500")
    assert any(
        line.strip().startswith(f"gpqa_diamond  {expected['gpqa_diamond']} rows")
        and line.endswith("(text withheld: ids only)")
        for line in lines
    )


def test_bad_schema_through_python_m_is_one_line(tmp_path: Path) -> None:
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"name": "R", "datasets": [{"name": "mmlu_prox"}]}))
    done = _run("build", str(schema), "-o", str(tmp_path / "o.jsonl"))
    assert done.returncode == EXIT_INPUT
    assert done.stderr.splitlines() == [
        f"{PROG}: error: {schema}: R/mmlu_prox: unknown dataset 'mmlu_prox'; valid: "
        + ", ".join(registry.available())
    ]
    assert not (tmp_path / "o.jsonl").exists()


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    try:
        code = main(list(args))
    except SystemExit as stop:  # argparse's own errors
        code = int(stop.code or 0)
    return code, capsys.readouterr().err.splitlines()


SCHEMAS = {
    "negative.json": ({"name": "R", "datasets": [{"name": "aime24", "weight": -2}]},
                      "R/aime24: weight must be a number > 0, got -2"),
    "empty.yaml": ("name: R\ndatasets:\n  - name: Math\n    datasets: []\n", "R/Math: empty node"),
    "broken.json": ("{", ":1: not valid JSON"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_bad_schema_files_exit_4_with_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, expected = SCHEMAS[name]
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    code, err = _main(capsys, "build", str(path), "-o", str(tmp_path / "o.jsonl"))
    assert code == EXIT_INPUT
    assert len(err) == 1 and err[0].startswith(f"{PROG}: error: {path}")
    assert expected in err[0]


def test_cycle_in_module_attribute_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "loopy.py").write_text(
        "from pytest_qnext.collections import CollectionSchema, DatasetInfo\n"
        "A = CollectionSchema('A', datasets=[DatasetInfo('aime24')])\n"
        "B = CollectionSchema('B', datasets=[A])\n"
        "A.datasets.append(B)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    code, err = _main(capsys, "build", "loopy:B", "-o", str(tmp_path / "o.jsonl"))
    assert code == EXIT_INPUT
    assert err == [f"{PROG}: error: loopy:B: B/A/B: cycle (this node contains itself); a schema "
                   "must be a tree"]  # fmt: skip


def test_show_malformed_row_exits_4_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"index": 0, "dataset_name": "aime24"}\n')
    code, err = _main(capsys, "show", str(path))
    assert code == EXIT_INPUT
    assert len(err) == 1 and err[0].startswith(f"{PROG}: error: {path}:1: missing field(s)")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["build", "qwen3", "-o", "x.jsonl", "--sampler", "random"], "invalid choice: 'random'"),
        (["build", "qwen3", "-o", "x.jsonl", "--count", "0"], "--count must be >= 1, got 0"),
        (["build", "qwen3", "-o", "x.jsonl", "--data-dir", "/nonexistent/dir"],
         "--data-dir: /nonexistent/dir is not a directory"),
        (["build", "qwen3"], "the following arguments are required: -o/--output"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)  # fmt: skip
def test_bad_command_lines_exit_2_with_one_line(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _main(capsys, *args)
    assert code == EXIT_USAGE
    assert len(err) == 1 and err[0].startswith(f"{PROG}: error: ") and expected in err[0]


def test_build_small_schema_and_show(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "mix.yaml"
    schema.write_text(
        "name: Mix\ndatasets:\n"
        "  - {name: aime24, weight: 1, task_type: math, tags: [en]}\n"
        "  - name: Quiz\n    weight: 3\n    datasets:\n"
        "      - {name: iquiz, weight: 1, tags: [zh], args: {subset_list: [IQ]}}\n"
    )
    out = tmp_path / "mix.jsonl"
    code = main(["build", str(schema), "-o", str(out), "--sampler", "uniform", "--count", "8",
                 "--seed", "3", "--data-dir", str(shared_data)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines()[-1] == (
        f"wrote 8 rows to {out} (uniform sampler, count 8, seed 3)"
    )
    assert main(["show", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{out}: 8 rows",
        "Mix  8 rows  weight 1.0000",
        "  Quiz  4 rows  weight 0.7500",
        "    iquiz  4 rows  weight 0.7500  task_type exam  tags zh  subsets 1",
        "  aime24  4 rows  weight 0.2500  task_type math  tags en  subsets 1",
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_on_a_terminal_and_logs_lines_otherwise() -> None:
    tty = _Terminal()
    bar = _Bar(tty)
    for done in range(3):
        bar(done, 2, f"leaf{done}" if done < 2 else "")
    text = tty.getvalue()
    assert text.count("\r") == 3 and text.endswith("loading [########################] 2/2\n")
    log = io.StringIO()
    bar = _Bar(log)
    for done in range(3):
        bar(done, 2, f"leaf{done}" if done < 2 else "")
    assert log.getvalue().splitlines() == [
        "loading [........................] 0/2 leaf0",
        "loading [############............] 1/2 leaf1",
    ]
