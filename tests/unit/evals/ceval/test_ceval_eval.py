"""C-Eval loader (partial offline copy), prompt and few-shot on the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.ceval import SPEC, SUBJECTS
from pytest_qnext.evals.hub import BadDatasetArgs

OFFLINE = ["computer_network", "operating_system", "computer_architecture", "college_programming"]


def test_subjects_match_evalscope_and_mapping(shared_data: Path) -> None:
    meta = json.loads((shared_data / "evalscope_meta" / "ceval.json").read_text())
    mapping = json.loads((shared_data / "ceval" / "subject_mapping.json").read_text())
    assert list(SUBJECTS) == meta["meta"]["subset_list"]
    assert {k: (v[1], v[2]) for k, v in mapping.items()} == SUBJECTS


def test_loads_the_40_offline_rows(shared_data: Path) -> None:
    samples = SPEC.load(LoadContext(shared_data, {}))
    assert len(samples) == 40
    assert [s.subset for s in samples[::10]] == OFFLINE
    assert samples[0].id == "computer_network/0" and samples[-1].id == "college_programming/9"
    assert all(len(s.choices) == 4 and s.target in "ABCD" for s in samples)
    # numeric-looking options stay exact strings
    assert samples[0].choices == ("1", "2", "3", "4")


def test_prompt_matches_evalscope_rendering(shared_data: Path) -> None:
    meta = json.loads((shared_data / "evalscope_meta" / "ceval.json").read_text())
    example = meta["sample_example"]["data"]["input"][0]["content"]
    ctx = LoadContext(shared_data, {})
    sample = SPEC.load(ctx)[0]
    zero_shot = SPEC.prompt(sample, ctx)[0]["content"]
    # EvalScope's example is 5-shot; its tail (after the exemplars) is our zero-shot prompt
    assert example.endswith("\n\n\n" + zero_shot)


def test_requested_missing_subject_and_few_shot_without_dev(shared_data: Path) -> None:
    with pytest.raises(DatasetUnavailable, match=r"^ceval: no file ceval/val/law_val.csv under"):
        SPEC.load(LoadContext(shared_data, {"subset_list": ["law"]}))
    with pytest.raises(BadDatasetArgs, match=r"unknown subset\(s\) laws"):
        SPEC.load(LoadContext(shared_data, {"subset_list": ["laws"]}))
    with pytest.raises(DatasetUnavailable, match=r"no file ceval/dev/computer_network_dev.csv"):
        SPEC.load(LoadContext(shared_data, {"few_shot_num": 1}))


def test_few_shot_from_dev_split(shared_data: Path, tmp_path: Path) -> None:
    (tmp_path / "ceval" / "val").mkdir(parents=True)
    (tmp_path / "ceval" / "dev").mkdir()
    src = shared_data / "ceval" / "val" / "operating_system_val.csv"
    shutil.copy(src, tmp_path / "ceval" / "val" / src.name)
    dev = "id,question,A,B,C,D,answer,explanation\n0,示例问题？,甲,乙,丙,丁,B,因为乙。\n"
    (tmp_path / "ceval" / "dev" / "operating_system_dev.csv").write_text(dev, encoding="utf-8")
    ctx = LoadContext(tmp_path, {"few_shot_num": 1})
    sample = SPEC.load(ctx)[0]
    content = SPEC.prompt(sample, ctx)[0]["content"]
    assert content.startswith(
        "以下是一些示例问题：\n\n问题：示例问题？\n选项：\nA. 甲\nB. 乙\nC. 丙\nD. 丁\n"
        "解析：因为乙。\n答案：B\n\n\n"
        "以下是中国关于操作系统的单项选择题"
    )
