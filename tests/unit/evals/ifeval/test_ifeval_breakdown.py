"""IFEval's breakdown hook against the official checker output on Google's GPT-4 responses.

The rows are what a capability run reports: each response scored by the real scorer, the row
sent through `to_json` / `from_json` as across xdist, and aggregated by the report layer, which
finds the hook through the eval registry. The expected counts come from the official
`eval_results_{strict,loose}.jsonl`, never typed in.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from pytest_qnext.evals.ifeval import SPEC, breakdown
from pytest_qnext.report import Aggregator
from pytest_qnext.rows import SampleRow
from pytest_qnext.sample import Sample

# key 1129: its official verdicts came from a random letter (see test_ifeval_golden.py)
UNREPRODUCIBLE = {"1129"}

Replay = list[tuple[Sample, dict[str, Any], dict[str, Any]]]


def _row(sample: Sample, response: str) -> SampleRow:
    """The report row of a scored response, as it reaches the controller."""
    score = SPEC.score(sample, response)
    row = SampleRow(
        "ifeval",
        sample.id,
        score.outcome,
        metrics=score.metrics,
        prediction=response,
        details=score.details,
    )
    return SampleRow.from_json(json.loads(json.dumps(row.to_json())))


def _official(replay: Replay, key: Any) -> dict[str, tuple[int, int, int]]:
    """(count, strict, loose) per key(instruction id) from the official verdicts."""
    counts: Counter[tuple[str, str]] = Counter()
    for _, s_row, l_row in replay:
        strict_list, loose_list = s_row["follow_instruction_list"], l_row["follow_instruction_list"]
        for iid, strict, loose in zip(
            s_row["instruction_id_list"], strict_list, loose_list, strict=True
        ):
            counts[(key(iid), "count")] += 1
            counts[(key(iid), "strict")] += int(strict)
            counts[(key(iid), "loose")] += int(loose)
    names = {name for name, _ in counts}
    return {n: (counts[(n, "count")], counts[(n, "strict")], counts[(n, "loose")]) for n in names}


@pytest.fixture(scope="module")
def kept(gpt4_replay: Replay, ifeval_nltk: Any) -> Replay:
    return [r for r in gpt4_replay if r[0].id not in UNREPRODUCIBLE]


def _counts(table: list[dict[str, Any]], column: str) -> dict[str, tuple[int, int, int]]:
    return {e[column]: (e["count"], e["strict"], e["loose"]) for e in table}


def test_breakdown_equals_the_official_per_instruction_counts(kept: Replay) -> None:
    agg = Aggregator(n_resamples=20)
    for sample, s_row, _ in kept:
        agg.add_row(_row(sample, s_row["response"]))
    result = agg.summary()["breakdowns"]["ifeval"]
    assert set(result) == {"by_family", "by_instruction"}
    by_id = _counts(result["by_instruction"], "instruction")
    assert by_id == _official(kept, lambda iid: iid)
    by_family = _counts(result["by_family"], "family")
    assert by_family == _official(kept, lambda iid: iid.split(":", 1)[0])
    assert "punctuation" in by_family and len(by_id) > len(by_family) > 1
    for entry in result["by_instruction"]:
        assert entry["strict_rate"] == entry["strict"] / entry["count"]
        assert entry["loose_rate"] == entry["loose"] / entry["count"]
    # the family totals are the instruction-level metrics' numerators and denominators
    inst = {t["metric"]: t for t in agg.summary()["table"]}["inst_level_loose"]
    total = sum(c for c, _, _ in by_family.values())
    assert inst["average_score"] == sum(lo for _, _, lo in by_family.values()) / total


def test_rows_without_verdicts_add_nothing(kept: Replay) -> None:
    """Truncated/error rows carry no details: they count in the metrics, not in the breakdown."""
    sample, s_row, _ = kept[0]
    scored = _row(sample, s_row["response"])
    truncated = SampleRow("ifeval", "t", "truncated", metrics={"prompt_level_strict": (0, 1)})
    assert breakdown([scored, truncated]) == breakdown([scored])
    assert breakdown([truncated]) is None
    assert breakdown([]) is None
    agg = Aggregator(n_resamples=20)
    agg.add_row(truncated)
    assert agg.summary()["breakdowns"] == {}
