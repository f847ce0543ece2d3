"""LiveCodeBench loading: release files, the date window, dataset arguments, decoding the private
tests without arbitrary unpickling, one-line errors, demo rows."""

from __future__ import annotations

import base64
import json
import os
import pickle
import shutil
import zlib
from pathlib import Path
from typing import Any

import pytest
from lcb_helpers import DATA_DIR, FIXTURES

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.hub import DEMO_DATA_DIR, BadDatasetArgs
from pytest_qnext.evals.livecodebench import HUB_ID, RELEASE_FILES, SPEC
from pytest_qnext.evals.livecodebench import dataset as lcb_dataset
from pytest_qnext.evals.livecodebench.dataset import decode_private_tests
from pytest_qnext.sample import Sample


def _load(args: dict[str, Any], data_dir: Path = DATA_DIR) -> list[Sample]:
    return list(SPEC.load(LoadContext(data_dir=data_dir, args=args)))


def _records(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _write(folder: Path, name: str, rows: list[dict[str, Any]]) -> Path:
    (folder / "livecodebench").mkdir(parents=True, exist_ok=True)
    path = folder / "livecodebench" / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_release_names_and_files_match_the_official_loader(shared_data: Path) -> None:
    meta = json.loads((shared_data / "evalscope_meta" / "live_code_bench.json").read_text())
    assert sorted(RELEASE_FILES) == sorted(meta["meta"]["subset_list"])
    files = ["test.jsonl"] + [f"test{n}.jsonl" for n in range(2, 7)]
    assert RELEASE_FILES["release_v1"] == tuple(files[:1])
    assert RELEASE_FILES["release_v6"] == RELEASE_FILES["release_latest"] == tuple(files)
    assert RELEASE_FILES["v1"] == ("test.jsonl",) and RELEASE_FILES["v6"] == ("test6.jsonl",)
    assert RELEASE_FILES["v5_v6"] == ("test5.jsonl", "test6.jsonl")
    assert RELEASE_FILES["v2_v4"] == ("test2.jsonl", "test3.jsonl", "test4.jsonl")
    assert meta["meta"]["dataset_id"] == HUB_ID == SPEC.hub_id


def test_every_fixture_problem_loads_once(
    loaded: list[Sample], fixture_problems: dict[str, Any]
) -> None:
    assert sorted(s.id for s in loaded) == sorted(fixture_problems)
    assert {s.subset for s in loaded} == {"release_latest"}
    for sample in loaded:
        problem = fixture_problems[sample.id]
        assert sample.input == problem["statement"]
        assert sample.metadata["contest_date"] == problem["date"] + "T00:00:00"
        assert sample.metadata["fn_name"] == problem.get("fn_name")
        assert sample.metadata["tests"] == len(problem["args" if problem["call"] else "inputs"])


def test_window_and_release_select_like_the_best_practice(
    fixture_problems: dict[str, Any], fixture_source: Any
) -> None:
    """subset_list v5_v6 + 2025-01-01..2025-04-30 (EvalScope's extra_params), both ends in."""
    args = {
        "subset_list": ["v5_v6"],
        "extra_params": {"start_date": "2025-01-01", "end_date": "2025-04-30"},
    }
    samples = _load(args)
    expected = {
        pid
        for pid, p in fixture_problems.items()
        if "2025-01-01" <= p["date"] <= "2025-04-30"
        and fixture_source.file_for(p["date"]) in RELEASE_FILES["v5_v6"]
    }
    assert {s.id for s in samples} == expected
    dates = {s.metadata["contest_date"][:10] for s in samples}
    assert {"2025-01-01", "2025-04-30"} <= dates  # inclusive at both ends
    assert {s.subset for s in samples} == {"v5_v6"}
    plain = _load({"subset_list": ["v5_v6"], "start_date": "2025-01-01", "end_date": "2025-04-30"})
    assert [s.id for s in plain] == [s.id for s in samples]
    outside = _load({"extra_params": {"start_date": "2025-05-01"}})
    assert all(s.metadata["contest_date"] >= "2025-05-01" for s in outside) and outside


def test_a_problem_in_two_requested_releases_appears_once() -> None:
    samples = _load({"subset_list": ["v6", "release_v6"]})
    ids = [s.id for s in samples]
    assert len(ids) == len(set(ids))
    v6_ids = {r["question_id"] for r in _records("test6.jsonl")}
    assert {s.id for s in samples if s.subset == "v6"} == v6_ids
    assert len(samples) == sum(len(_records(name)) for name in RELEASE_FILES["release_v6"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"subset_list": ["v7"]}, "unknown release(s) v7 in subset_list; valid: release_latest"),
        ({"extra_params": {"start_date": "2025/01/01"}}, "start_date '2025/01/01'"),
        ({"end_date": "tomorrow"}, "end_date 'tomorrow'"),
        ({"flavour": "lcb"}, "flavour 'lcb'; valid: evalscope, official"),
        ({"review_timeout": 0}, "review_timeout 0"),
        ({"few_shot_num": 3}, "zero-shot"),
    ],
)
def test_bad_arguments_fail_with_one_line(args: dict[str, Any], needle: str) -> None:
    with pytest.raises(DatasetUnavailable) as info:
        _load(args)
    assert needle in str(info.value) and "\n" not in str(info.value)
    if "few_shot_num" not in args:
        assert isinstance(info.value, BadDatasetArgs)


def test_partial_local_copy_uses_the_files_present(tmp_path: Path) -> None:
    shutil.copytree(
        FIXTURES,
        tmp_path / "livecodebench",
        ignore=shutil.ignore_patterns("test[1-5]*", "test.jsonl"),
    )
    samples = _load({}, tmp_path)
    assert {s.id for s in samples} == {r["question_id"] for r in _records("test6.jsonl")}
    with pytest.raises(DatasetUnavailable, match=r"no file livecodebench/test\.jsonl") as info:
        _load({"subset_list": ["release_v6"]}, tmp_path)
    assert "\n" not in str(info.value)


class _Marker:
    """Unpickling this would run os.system (creating a marker file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (f"touch {self.path}",))


def _encoded(payload: object) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(payload))).decode("ascii")


def test_a_crafted_pickle_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    row = _records("test6.jsonl")[0]
    row["private_test_cases"] = _encoded(_Marker(marker))
    _write(tmp_path, "test6.jsonl", [row])
    with pytest.raises(DatasetUnavailable) as info:
        _load({}, tmp_path)
    message = str(info.value)
    assert "refusing to load it" in message and "posix.system" in message
    assert row["question_id"] in message and "test6.jsonl line 1" in message
    assert "\n" not in message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (["not", "a", "string"], "unpickles to list, not a JSON string"),
        ("{not json", "is not JSON"),
        (json.dumps([{"input": 1}]), "not a list of {input, output} objects"),
    ],
)
def test_other_private_payloads_are_one_line_errors(payload: object, needle: str) -> None:
    with pytest.raises(DatasetUnavailable, match=needle) as info:
        decode_private_tests(_encoded(payload), "where")
    assert "\n" not in str(info.value)


def test_a_decompression_bomb_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lcb_dataset, "MAX_DECODED_BYTES", 1000)
    with pytest.raises(DatasetUnavailable, match="inflate past 1000 bytes"):
        decode_private_tests(_encoded("x" * 100_000), "where")


def test_private_tests_decode_like_the_dataset_encodes_them() -> None:
    for row in _records("test5.jsonl"):
        trusted = json.loads(
            pickle.loads(zlib.decompress(base64.b64decode(row["private_test_cases"])))
        )
        assert decode_private_tests(row["private_test_cases"], "x") == trusted
    plain = json.dumps([{"input": "1\n", "output": "2\n", "testtype": "stdin"}])
    assert decode_private_tests(plain, "x")[0]["output"] == "2\n"  # JSON is tried first


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"question_id": ""}, "lacks question_id"),
        ({"platform": "topcoder"}, "platform 'topcoder'; valid leetcode, codeforces, atcoder"),
        ({"difficulty": "extreme"}, "difficulty 'extreme'"),
        ({"contest_date": "last week"}, "contest_date 'last week' is not an ISO date"),
        ({"metadata": "{"}, "metadata is not JSON"),
        ({"public_test_cases": "[1]"}, "public_test_cases is not a list"),
    ],
)
def test_bad_records_fail_with_one_line(
    tmp_path: Path, change: dict[str, str], needle: str
) -> None:
    row = {**_records("test6.jsonl")[0], **change}
    _write(tmp_path, "test6.jsonl", [row])
    with pytest.raises(DatasetUnavailable, match=needle) as info:
        _load({}, tmp_path)
    assert "test6.jsonl line 1" in str(info.value)
    assert "\n" not in str(info.value)


def test_demo_rows_are_fixture_rows(loaded: list[Sample]) -> None:
    demo = _load({}, DEMO_DATA_DIR)
    by_id = {s.id: s for s in loaded}
    assert len(demo) == 3
    for sample in demo:
        assert sample.metadata == by_id[sample.id].metadata
        assert "2025-02-01" <= sample.metadata["contest_date"] < "2025-05-01"


def test_neither_local_nor_hub_names_dataset_hub_id_and_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datasets
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    try:
        samples = _load({"subset_list": ["v6"]}, None)  # type: ignore[arg-type]
    except DatasetUnavailable as exc:
        message = str(exc)
        assert "live_code_bench" in message and HUB_ID in message and "v6" in message
        assert "--qnext-data-dir" in message and "\n" not in message
    else:  # a machine with the dataset in its HF cache
        assert samples
