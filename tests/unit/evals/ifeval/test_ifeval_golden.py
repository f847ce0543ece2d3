"""Replay Google's GPT-4 responses and compare with the official checker output, row by row.

The official files are `eval_results_{strict,loose}.jsonl` (google-research output over the
responses in `input_response_data_gpt4_20231107_145030.jsonl`, the even positions of
`input_data.jsonl`). Expected figures are computed from those files, never typed in; the files
themselves are checked in tests/unit/evals/test_shared_data.py.

One row cannot be reproduced by any deterministic checker: key 1129 asks for at least six "!"
through `keywords:letter_frequency`. The original reference replaces a non-letter by a random
letter each time it builds the instruction, so its strict and loose runs drew different letters
(strict: not followed; loose: followed). We count "!" literally (13 in the response: followed).
The test pins that row as the only difference, checks the official verdicts are what random
letters can give, and checks the figures on every other row exactly.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from pytest_qnext.evals.ifeval import instruction_verdicts, score
from pytest_qnext.evals.ifeval.scorer import loose_variants
from pytest_qnext.sample import Sample

# key -> why the official verdicts are not reproducible (see module docstring)
RANDOM_LETTER_ROWS = {"1129"}


def _figures(rows: Sequence[tuple[list[bool], list[bool]]]) -> dict[str, tuple[int, int]]:
    """(numerator, denominator) of the four metrics from (strict list, loose list) rows."""
    return {
        "prompt_level_strict": (sum(all(s) for s, _ in rows), len(rows)),
        "inst_level_strict": (sum(sum(s) for s, _ in rows), sum(len(s) for s, _ in rows)),
        "prompt_level_loose": (sum(all(lo) for _, lo in rows), len(rows)),
        "inst_level_loose": (sum(sum(lo) for _, lo in rows), sum(len(lo) for _, lo in rows)),
    }


def _fmt(fig: dict[str, tuple[int, int]]) -> str:
    return ", ".join(f"{k} {n}/{d} = {n / d:.4f}" for k, (n, d) in fig.items())


def test_per_instruction_verdicts_match_official(
    gpt4_replay: list[tuple[Sample, dict[str, Any], dict[str, Any]]],
) -> None:
    differing = []
    ours_rows, official_rows = [], []
    for sample, s_row, l_row in gpt4_replay:
        verdicts = instruction_verdicts(sample, s_row["response"])
        strict = [v[1] for v in verdicts]
        loose = [v[2] for v in verdicts]
        ours_rows.append((strict, loose))
        official_rows.append((s_row["follow_instruction_list"], l_row["follow_instruction_list"]))
        if (strict, loose) != official_rows[-1]:
            differing.append(sample.id)
    same = len(gpt4_replay) - len(differing)
    print(
        f"\nIFEval GPT-4 replay: {same}/{len(gpt4_replay)} rows identical; differing: {differing}"
    )
    print(f"  ours     (all rows): {_fmt(_figures(ours_rows))}")
    print(f"  official (all rows): {_fmt(_figures(official_rows))}")
    assert set(differing) == RANDOM_LETTER_ROWS

    keep = [
        i for i, (sample, _, _) in enumerate(gpt4_replay) if sample.id not in RANDOM_LETTER_ROWS
    ]
    ours_kept = _figures([ours_rows[i] for i in keep])
    official_kept = _figures([official_rows[i] for i in keep])
    print(f"  without {sorted(RANDOM_LETTER_ROWS)}: ours == official: {_fmt(ours_kept)}")
    assert ours_kept == official_kept


def test_random_letter_row_is_explained(
    gpt4_replay: list[tuple[Sample, dict[str, Any], dict[str, Any]]],
) -> None:
    """Row 1129: the official strict/loose verdicts are ones random letters produce."""
    for sample, s_row, l_row in gpt4_replay:
        if sample.id not in RANDOM_LETTER_ROWS:
            continue
        ids = list(sample.metadata["instruction_id_list"])
        idx = ids.index("keywords:letter_frequency")
        kw = sample.metadata["kwargs"][idx]
        assert not kw["letter"].isalpha()  # the reference would substitute a random letter
        response: str = s_row["response"]
        need = kw["let_frequency"]
        assert kw["let_relation"] == "at least"
        # some letter fails strictly and some letter passes on a loose variant
        letters = string.ascii_lowercase
        assert any(response.lower().count(c) < need for c in letters)
        assert any(
            v.strip() and v.lower().count(c) >= need
            for v in loose_variants(response)
            for c in letters
        )
        assert s_row["follow_instruction_list"][idx] is False
        assert l_row["follow_instruction_list"][idx] is True
        # our deterministic verdict counts the character itself, in strict and loose alike
        assert response.count(kw["letter"]) >= need
        assert instruction_verdicts(sample, response)[idx][1:] == (True, True)


def test_scores_agree_with_verdicts(
    gpt4_replay: list[tuple[Sample, dict[str, Any], dict[str, Any]]],
) -> None:
    """score() outcome and metrics are the prompt/instruction counts of the verdicts."""
    for sample, s_row, _ in gpt4_replay:
        verdicts = instruction_verdicts(sample, s_row["response"])
        result = score(sample, s_row["response"])
        failed = [iid for iid, strict, _ in verdicts if not strict]
        assert result.outcome == ("fail" if failed else "pass")
        assert result.metrics["inst_level_strict"] == (
            sum(v[1] for v in verdicts),
            len(verdicts),
        )
        assert result.metrics["inst_level_loose"][0] == sum(v[2] for v in verdicts)
        assert result.metrics["prompt_level_loose"][0] == float(all(v[2] for v in verdicts))
        for iid in failed:
            assert iid in result.explanation
