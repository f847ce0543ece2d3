"""LiveCodeBench's breakdown hook: outcome kinds, difficulty, contest month, pass@k over repeats.

Every row of a problem carries its `contest_date`, `difficulty`, `platform` and `release` in
`details` whatever its outcome (`EvalSpec.sample_details`), and graded rows their `kind`
(`wrong_answer`, `compile_error`, `runtime_error`, `timeout`, `memory`, `output_limit`,
`killed`, or `pass`); unparsed rows have kind `unparsed`, and rows the engine decided without
grading (truncated, error) count under their outcome. The aggregator stores the result in
summary.json under `breakdowns.live_code_bench`:

* `by_kind`: [{kind, count}] (all rows, so compile errors, timeouts and kills are counted);
* `by_difficulty`, `by_month` (YYYY-MM of the contest date), `by_platform`:
  [{<key>, count, passed, pass_rate}] (pass_rate = the pass@1 of those rows);
* `pass_at_k` (only with repeats): [{metric, value, problems}] = `summarize` of the passes per
  problem: the unbiased pass@k for k = 1, 2, 4, ... and k = n (every k that each problem has at
  least k programs for), and avg@n.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_qnext.evals.livecodebench.metrics import summarize
from pytest_qnext.rows import SampleRow

__all__ = ["breakdown", "ks_for", "row_kind"]


def row_kind(row: SampleRow) -> str:
    """How a row's program fared: the grader's kind, else the row's outcome."""
    kind = row.details.get("kind")
    return str(kind) if kind else row.outcome


def _rates(column: str, groups: Mapping[str, list[bool]]) -> list[dict[str, Any]]:
    return [
        {
            column: name,
            "count": len(passed),
            "passed": sum(passed),
            "pass_rate": sum(passed) / len(passed),
        }
        for name, passed in sorted(groups.items())
    ]


def _grouped(rows: Iterable[SampleRow], key: str, cut: int | None = None) -> dict[str, list[bool]]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        value = str(row.details.get(key) or "unknown")
        groups[value[:cut] if cut and value != "unknown" else value].append(row.outcome == "pass")
    return groups


def ks_for(n: int) -> list[int]:
    """The k of pass@k reported for n programs per problem: 1, 2, 4, ... below n, and n."""
    ks, k = [], 1
    while k < n:
        ks.append(k)
        k *= 2
    return [*ks, n]


def breakdown(rows: Sequence[SampleRow]) -> dict[str, Any] | None:
    """The tables above, or None for no rows."""
    if not rows:
        return None
    kinds = Counter(row_kind(row) for row in rows)
    out: dict[str, Any] = {
        "by_kind": [{"kind": k, "count": n} for k, n in sorted(kinds.items())],
        "by_difficulty": _rates("difficulty", _grouped(rows, "difficulty")),
        "by_month": _rates("month", _grouped(rows, "contest_date", cut=7)),
        "by_platform": _rates("platform", _grouped(rows, "platform")),
    }
    per_problem: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        per_problem[row.sample_id].append(row.outcome == "pass")
    repeats = max(len(passed) for passed in per_problem.values())
    if repeats > 1:
        summary = summarize(per_problem, ks_for(repeats))
        out["pass_at_k"] = [
            {"metric": name, "value": value, "problems": len(per_problem)}
            for name, value in summary.items()
        ]
    return out
