"""The offline benchmark data (../shared/data) that the golden scorer tests read.

The golden tests compare our scorers with the official verdicts row by row; they trust that the
files are the ones described in the data's README and MANIFEST.tsv, that files meant to line up
row by row do, and that the official figures are what the files give. That trust is checked
here, once, so a golden test fails only for what it tests: a scorer.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

VIZ = "responses/evalscope_examples/6dfd4bd141d4/examples/viz"
MODELS = ("qwen-plus", "qwen3-max")
IFEVAL_GPT4 = "responses/ifeval_gpt4"
GPQA_PASSWORD = b"deserted-untie-orchid"

#: every file a golden scorer test reads (the GPQA review zips have no row count in MANIFEST)
GOLDEN_INPUTS = (
    "ifeval/input_data.jsonl",
    f"{IFEVAL_GPT4}/eval_results_strict.jsonl",
    f"{IFEVAL_GPT4}/eval_results_loose.jsonl",
    f"{IFEVAL_GPT4}/input_response_data_gpt4_20231107_145030.jsonl",
    "mmlu_pro/test.jsonl",
    "responses/mmlu_pro_llama31_8b.jsonl",
    "math_500/test.jsonl",
    "responses/math_cot/math_cot_100_first50.jsonl",
    "responses/reference_figures.json",
    *(f"{VIZ}/{m}/reviews/{m}/iquiz_{s}.jsonl" for m in MODELS for s in ("IQ", "EQ")),
    *(f"{VIZ}/{m}/reviews/{m}/gpqa_diamond_default.jsonl.zip" for m in MODELS),
)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def manifest(shared_data: Path) -> dict[str, dict[str, str]]:
    with (shared_data / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        return {row["path"]: row for row in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture(scope="module")
def figures(shared_data: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (shared_data / "responses" / "reference_figures.json").read_text(encoding="utf-8")
    )
    return data


@pytest.mark.parametrize("relative", GOLDEN_INPUTS)
def test_golden_inputs_are_the_manifests_files(
    shared_data: Path, manifest: dict[str, dict[str, str]], relative: str
) -> None:
    entry = manifest[relative]
    data = (shared_data / relative).read_bytes()
    assert len(data) == int(entry["bytes"])
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    if entry["rows"]:
        assert sum(1 for line in data.split(b"\n") if line.strip()) == int(entry["rows"])


def test_ifeval_gpt4_files_line_up_with_the_even_inputs(shared_data: Path) -> None:
    """The strict and loose checker outputs and the responses are the same rows in the same
    order, and each is the input row at an even position with the same instructions."""
    folder = shared_data / IFEVAL_GPT4
    strict = _jsonl(folder / "eval_results_strict.jsonl")
    loose = _jsonl(folder / "eval_results_loose.jsonl")
    responses = _jsonl(folder / "input_response_data_gpt4_20231107_145030.jsonl")
    inputs = _jsonl(shared_data / "ifeval" / "input_data.jsonl")
    position = {row["prompt"]: i for i, row in enumerate(inputs)}
    assert len(strict) == len(loose) == len(responses) == len(inputs[::2])
    for s_row, l_row, r_row in zip(strict, loose, responses, strict=True):
        assert s_row["prompt"] == l_row["prompt"] == r_row["prompt"]
        assert s_row["response"] == l_row["response"] == r_row["response"]
        index = position[s_row["prompt"]]
        assert index % 2 == 0
        assert s_row["instruction_id_list"] == inputs[index]["instruction_id_list"]
        assert len(s_row["follow_instruction_list"]) == len(s_row["instruction_id_list"])
        assert len(l_row["follow_instruction_list"]) == len(s_row["instruction_id_list"])


def test_ifeval_gpt4_official_verdicts_give_the_published_figures(
    shared_data: Path, figures: dict[str, Any]
) -> None:
    folder = shared_data / IFEVAL_GPT4
    for mode in ("strict", "loose"):
        rows = [r["follow_instruction_list"] for r in _jsonl(folder / f"eval_results_{mode}.jsonl")]
        ref = figures["ifeval_gpt4"][mode]
        prompts, followed = len(rows), sum(all(r) for r in rows)
        instructions, inst_followed = sum(len(r) for r in rows), sum(sum(r) for r in rows)
        assert (prompts, followed) == (ref["prompts"], ref["prompt_level_correct"])
        assert (instructions, inst_followed) == (
            ref["instructions"],
            ref["instruction_level_correct"],
        )
        assert round(followed / prompts, 4) == ref["prompt_level_accuracy"]
        assert round(inst_followed / instructions, 4) == ref["instruction_level_accuracy"]


def test_mmlu_pro_llama_predictions_match_the_dataset_and_figures(
    shared_data: Path, figures: dict[str, Any]
) -> None:
    """One graded row per MMLU-Pro question, with the dataset's answer; the README's figures."""
    answers = {r["question_id"]: r["answer"] for r in _jsonl(shared_data / "mmlu_pro/test.jsonl")}
    rows = _jsonl(shared_data / "responses" / "mmlu_pro_llama31_8b.jsonl")
    official = figures["mmlu_pro_llama31_8b"]
    assert len(rows) == official["rows"] == len(answers)
    assert sorted(r["question_id"] for r in rows) == sorted(answers)
    assert all(r["answer"] == answers[r["question_id"]] for r in rows)
    correct = sum(r["pred"] == r["answer"] for r in rows)
    assert correct == official["pred_eq_answer"]
    assert round(correct / len(rows), 4) == official["accuracy"]
    assert sum(r["pred"] is None for r in rows) == official["null_preds"]


def test_math_cot_rows_hold_eight_graded_samples(
    shared_data: Path, figures: dict[str, Any]
) -> None:
    rows = _jsonl(shared_data / "responses" / "math_cot" / "math_cot_100_first50.jsonl")
    ref = figures["math_cot"]
    assert len(rows) == ref["problems"]
    verdicts = []
    for row in rows:
        # list fields are lists or python-list strings, as in the source (README)
        responses, scores, preds = (
            row[k] if isinstance(row[k], list) else ast.literal_eval(row[k])
            for k in ("response", "score", "pred")
        )
        assert len(responses) == len(scores) == len(preds) == 8
        verdicts.extend(bool(v) for v in scores)
    assert len(verdicts) == ref["samples"]
    assert sum(verdicts) == ref["correct_samples"]


def test_math_500_rows_have_a_solution_and_an_answer(shared_data: Path) -> None:
    rows = _jsonl(shared_data / "math_500" / "test.jsonl")
    assert len({r["unique_id"] for r in rows}) == len(rows)
    assert all(r["solution"] and r["answer"] for r in rows)


def _reviews(shared_data: Path, name: str) -> list[dict[str, Any]]:
    path = shared_data / VIZ
    if name.endswith(".zip"):
        rows = []
        for file in sorted(path.glob(f"*/reviews/*/{name}")):
            with zipfile.ZipFile(file) as archive:
                text = archive.read(archive.namelist()[0], pwd=GPQA_PASSWORD).decode("utf-8")
            rows.extend(json.loads(line) for line in text.split("\n") if line.strip())
        return rows
    return [row for file in sorted(path.glob(f"*/reviews/*/{name}")) for row in _jsonl(file)]


@pytest.mark.parametrize(
    ("name", "rows"),
    [("gpqa_diamond_default.jsonl.zip", 20), ("iquiz_IQ.jsonl", 20), ("iquiz_EQ.jsonl", 20)],
)
def test_evalscope_reviews_have_an_extracted_prediction_each(
    shared_data: Path, name: str, rows: int
) -> None:
    """Ten samples per model and file (README), each with EvalScope's extracted prediction."""
    reviews = _reviews(shared_data, name)
    assert len(reviews) == rows
    assert all(r["sample_score"]["score"]["extracted_prediction"] for r in reviews)
