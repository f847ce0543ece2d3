"""The five report levels: EvalScope's documented example, no pooling by subset name, intervals."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest

from pytest_qnext.collections import LEVELS, CollectionRow, ScoredRow, collection_levels
from pytest_qnext.scoring.stats import wilson_interval


def _rows(
    dataset: str,
    subset: str,
    scores: list[float],
    weight: float,
    *,
    task_type: str = "reasoning",
    tags: tuple[str, ...] = ("en",),
    categories: tuple[str, ...] = ("reasoning_index",),
    start: int = 0,
) -> list[ScoredRow]:
    return [
        ScoredRow(dataset, subset, f"{subset}/{start + i}", s, weight, task_type, tags, categories)
        for i, s in enumerate(scores)
    ]


def _evalscope_example() -> list[ScoredRow]:
    """EvalScope's collection guide: arc (weight 0.4) has ARC-Challenge 4/5 and ARC-Easy 4/4;
    ceval (weight 0.6) has one logic question, wrong."""
    return (
        _rows("arc", "ARC-Challenge", [1, 1, 1, 1, 0], 0.4)
        + _rows("arc", "ARC-Easy", [1, 1, 1, 1], 0.4)
        + _rows("ceval", "logic", [0], 0.6, tags=("zh",))
    )


def _entry(result: dict[str, Any], level: str, **key: Any) -> dict[str, Any]:
    (found,) = [e for e in result["levels"][level] if all(e[k] == v for k, v in key.items())]
    return found


def test_evalscope_weighted_example() -> None:
    rows = _evalscope_example()
    result = collection_levels(rows, seed=0)
    # expected values computed from the rows, independently of the implementation
    leaf_means: dict[str, list[float]] = {}
    for row in rows:
        leaf_means.setdefault(row.dataset, []).append(row.score)
    weights = {"arc": 0.4, "ceval": 0.6}
    weighted = sum(weights[d] * sum(s) / len(s) for d, s in leaf_means.items()) / sum(
        weights.values()
    )
    root = _entry(result, "category", category=["reasoning_index"])
    assert root["weighted_avg"] == pytest.approx(weighted)
    assert round(root["weighted_avg"], 4) == 0.3556  # the figure EvalScope's guide prints
    assert root["micro_avg"] == pytest.approx(8 / 10)
    assert root["macro_avg"] == pytest.approx((4 / 5 + 1.0 + 0.0) / 3)
    assert root["count"] == 10 and root["members"] == 3 and root["leaves"] == 2
    task = _entry(result, "task_type", task_type="reasoning")
    assert {k: task[k] for k in ("micro_avg", "macro_avg", "weighted_avg")} == {
        k: root[k] for k in ("micro_avg", "macro_avg", "weighted_avg")
    }
    arc = _entry(result, "dataset", dataset="arc")
    assert arc["micro_avg"] == pytest.approx(8 / 9)
    assert arc["macro_avg"] == pytest.approx((4 / 5 + 1.0) / 2)
    assert arc["weighted_avg"] == pytest.approx(8 / 9)  # one leaf: weighted = micro
    en = _entry(result, "tag", tag="en")
    assert (en["micro_avg"], en["count"]) == (arc["micro_avg"], 9)
    challenge = _entry(result, "subset", dataset="arc", subset="ARC-Challenge")
    assert challenge["micro_avg"] == challenge["macro_avg"] == challenge["weighted_avg"] == 0.8
    assert [e["subset"] for e in result["levels"]["subset"]] == [
        "ARC-Challenge",
        "ARC-Easy",
        "logic",
    ]
    assert list(result["levels"]) == list(LEVELS)


def test_same_subset_name_in_two_datasets_stays_apart() -> None:
    rows = _rows("aime24", "default", [1, 1], 0.5, task_type="math") + _rows(
        "ifeval", "default", [0, 0, 0, 0], 0.5, task_type="instruction"
    )
    result = collection_levels(rows)
    subsets = result["levels"]["subset"]
    assert [(e["dataset"], e["subset"], e["micro_avg"]) for e in subsets] == [
        ("aime24", "default", 1.0),
        ("ifeval", "default", 0.0),
    ]
    root = _entry(result, "category", category=["reasoning_index"])
    assert root["members"] == 2
    assert root["macro_avg"] == pytest.approx(0.5)  # EvalScope's pooled "default" gives 2/6
    assert root["weighted_avg"] == pytest.approx(0.5)
    assert root["micro_avg"] == pytest.approx(2 / 6)


def test_category_prefixes_tags_and_repeats() -> None:
    rows = (
        _rows("a", "s", [1, 0, 1], 0.25, categories=("R", "X"), tags=("en", "hard"))
        + _rows("b", "s", [1], 0.75, categories=("R", "Y"))
        # a repeat of sample b s/0 and a second one: averaged into one sample of score 0.5
        + _rows("b", "s", [0], 0.75, categories=("R", "Y"))
    )
    result = collection_levels(rows)
    paths = [e["category"] for e in result["levels"]["category"]]
    assert paths == [["R"], ["R", "X"], ["R", "Y"]]
    b = _entry(result, "dataset", dataset="b")
    assert (b["count"], b["micro_avg"]) == (1, 0.5)
    lo, hi = b["micro_ci"]
    assert lo <= 0.5 <= hi
    hard = _entry(result, "tag", tag="hard")
    assert hard["count"] == 3
    assert _entry(result, "tag", tag="en")["count"] == 4
    root = _entry(result, "category", category=["R"])
    assert root["weighted_avg"] == pytest.approx(0.25 * 2 / 3 + 0.75 * 0.5)


def _all_entries(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for entries in result["levels"].values() for e in entries]


def _mixed_rows(seed: int) -> list[ScoredRow]:
    rng = random.Random(seed)
    rows: list[ScoredRow] = []
    for d, (n, p, w, cat) in enumerate(
        [(40, 0.7, 0.2, "A"), (15, 0.3, 0.5, "A"), (25, 0.9, 0.3, "B")]
    ):
        for subset in ("x", "y"):
            scores = [float(rng.random() < p) for _ in range(n)]
            rows += _rows(f"d{d}", subset, scores, w, categories=("R", cat), tags=(cat,))
    return rows


def test_intervals_contain_estimates_and_are_seeded() -> None:
    rows = _mixed_rows(1)
    result = collection_levels(rows, seed=3)
    for entry in _all_entries(result):
        for kind in ("micro", "macro", "weighted"):
            lo, hi = entry[f"{kind}_ci"]
            assert 0.0 <= lo <= entry[f"{kind}_avg"] <= hi <= 1.0, (entry, kind)
        # binary scores: the micro interval is Wilson's
        ok = entry["micro_avg"] * entry["count"]
        assert entry["micro_ci"] == pytest.approx(list(wilson_interval(round(ok), entry["count"])))
    shuffled = rows[:]
    random.Random(9).shuffle(shuffled)
    assert collection_levels(shuffled, seed=3) == result  # row order does not matter
    other = collection_levels(rows, seed=4)
    root, root_other = (_entry(r, "category", category=["R"]) for r in (result, other))
    assert root["weighted_avg"] == root_other["weighted_avg"]
    assert root["weighted_ci"] != root_other["weighted_ci"]


def test_weighted_interval_covers_the_true_index() -> None:
    """Over repeated draws from known leaf rates, the 95 % weighted interval covers the true
    schema-weighted score about 95 % of the time (a too-narrow bootstrap fails this)."""
    leaves = [(120, 0.7, 0.2), (60, 0.3, 0.5), (90, 0.85, 0.3)]
    truth = sum(p * w for _, p, w in leaves)
    rng = np.random.default_rng(2024)
    trials, covered = 150, 0
    for trial in range(trials):
        rows: list[ScoredRow] = []
        for d, (n, p, w) in enumerate(leaves):
            scores = (rng.random(n) < p).astype(float).tolist()
            rows += _rows(f"d{d}", "s", scores, w, categories=("R",))
        root = collection_levels(rows, seed=trial, n_resamples=300)["levels"]["category"][0]
        lo, hi = root["weighted_ci"]
        covered += lo <= truth <= hi
    assert 0.88 <= covered / trials <= 0.99, covered


def test_scored_row_of_a_collection_row() -> None:
    row = CollectionRow(3, "aime24", "61", "default", "math", ("en",), ("Q", "Math"), 0.25,
                        {}, False, {"id": "61"})  # fmt: skip
    scored = ScoredRow.of(row, 1.0)
    assert scored == ScoredRow("aime24", "default", "61", 1.0, 0.25, "math", ("en",), ("Q", "Math"))


def test_empty_and_invalid_rows() -> None:
    assert all(v == [] for v in collection_levels([])["levels"].values())
    bad = _rows("a", "s", [1.5], 0.5)
    with pytest.raises(ValueError, match=r"^a/s/0: score must be a number in \[0, 1\]"):
        collection_levels(bad)
    mixed = _rows("a", "s", [1], 0.5) + _rows("a", "s", [1], 0.4, start=1)
    with pytest.raises(ValueError, match=r"weight 0\.4 differs from 0\.5"):
        collection_levels(mixed)
    with pytest.raises(ValueError, match="weight must be a number in"):
        collection_levels(_rows("a", "s", [1], 0.0))
    assert math.isclose(
        collection_levels(_rows("a", "s", [1, 0], 1.0))["levels"]["dataset"][0]["micro_avg"], 0.5
    )
