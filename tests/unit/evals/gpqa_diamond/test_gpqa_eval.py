"""GPQA-Diamond: loader, deterministic per-repeat shuffle, and extraction vs EvalScope.

GPQA text is only ever decrypted in memory here, and nothing below prints or asserts on it in
a way that would show it in a failure message (comparisons are reduced to booleans/counts).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.gpqa_diamond import SPEC, for_repeat, shuffle_order
from pytest_qnext.scoring.extract import extract_letter
from pytest_qnext.scoring.think import strip_think

PASSWORD = b"deserted-untie-orchid"
VIZ = Path("responses/evalscope_examples/6dfd4bd141d4/examples/viz")


def _raw_rows(shared_data: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(shared_data / "gpqa_diamond" / "gpqa_diamond.zip") as archive:
        text = archive.read("gpqa_diamond.csv", pwd=PASSWORD).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_loader_counts_domains_and_ids(shared_data: Path) -> None:
    samples = SPEC.load(LoadContext(shared_data, {}))
    raw = _raw_rows(shared_data)
    assert len(samples) == 198
    assert [s.id for s in samples] == [r["Record ID"] for r in raw]
    assert Counter(s.subset for s in samples) == {"Chemistry": 93, "Physics": 86, "Biology": 19}
    physics = SPEC.load(LoadContext(shared_data, {"subset_list": ["Physics"]}))
    assert len(physics) == 86


def test_target_follows_the_correct_answer_through_every_repeat(shared_data: Path) -> None:
    raw = {r["Record ID"]: r for r in _raw_rows(shared_data)}
    samples = SPEC.load(LoadContext(shared_data, {}))
    wrong_targets = changed_orders = 0
    for sample in samples:
        correct = raw[sample.id]["Correct Answer"].strip()
        original = set(sample.choices)
        for k in range(4):
            shown = for_repeat(sample, k)
            wrong_targets += shown.choices["ABCD".index(shown.target)] != correct
            wrong_targets += set(shown.choices) != original
            assert shown == for_repeat(for_repeat(sample, 3), k)  # stable, path-independent
        changed_orders += for_repeat(sample, 1).choices != sample.choices
    assert wrong_targets == 0
    assert changed_orders > 150  # repeats really reshuffle (24 orders: ~1/24 stay put)


def test_shuffle_is_seeded_by_record_id_and_repeat() -> None:
    assert shuffle_order("recX", 0) == shuffle_order("recX", 0)
    orders = {shuffle_order("recX", k) for k in range(20)}
    assert len(orders) > 5
    assert sorted(shuffle_order("recY", 7)) == [0, 1, 2, 3]


def test_target_letters_are_spread(shared_data: Path) -> None:
    letters = Counter(s.target for s in SPEC.load(LoadContext(shared_data, {})))
    print(f"\ngpqa_diamond target letters at repeat 0: {dict(sorted(letters.items()))}")
    assert set(letters) == set("ABCD") and min(letters.values()) >= 25


def test_repr_and_oracle_hide_question_text(shared_data: Path) -> None:
    samples = SPEC.load(LoadContext(shared_data, {}))
    assert SPEC.oracle is not None
    leaks = 0
    for sample in samples:
        texts = (repr(sample), str(sample), SPEC.oracle(sample, True), SPEC.oracle(sample, False))
        secrets = [sample.input[:40], *(c for c in sample.choices if len(c) >= 12)]
        leaks += any(secret in t for secret in secrets for t in texts)
        assert SPEC.score(sample, SPEC.oracle(sample, True)).outcome == "pass"
        assert SPEC.score(sample, SPEC.oracle(sample, False)).outcome == "fail"
    assert leaks == 0


def _evalscope_reviews(shared_data: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted((shared_data / VIZ).glob("*/reviews/*/gpqa_diamond_default.jsonl.zip")):
        with zipfile.ZipFile(path) as archive:
            text = archive.read(archive.namelist()[0], pwd=PASSWORD).decode("utf-8")
        rows.extend(json.loads(line) for line in text.split("\n") if line.strip())
    return rows


def test_extraction_agrees_with_evalscope(shared_data: Path) -> None:
    compared = agreed = 0
    for review in _evalscope_reviews(shared_data):
        score_info = review["sample_score"]["score"]  # type: ignore[index]
        theirs = score_info["extracted_prediction"]
        if not theirs:
            continue
        text, _ = strip_think(score_info["prediction"])
        compared += 1
        agreed += extract_letter(text, "ABCD") == theirs
    print(f"\ngpqa_diamond: {agreed}/{compared} extracted letters equal EvalScope's")
    assert agreed == compared > 0  # each review has a prediction: test_shared_data.py


def test_bad_password_is_one_clear_line(shared_data: Path) -> None:
    ctx = LoadContext(shared_data, {"zip_password": "wrong"})
    with pytest.raises(DatasetUnavailable, match=r"zip_password") as info:
        SPEC.load(ctx)
    assert "\n" not in str(info.value)
