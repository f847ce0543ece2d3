"""IFEval's breakdown hook: strict/loose counts per instruction and per instruction family.

The scorer puts each sample's per-instruction verdicts into `Score.details["inst_verdicts"]`
as `[instruction_id, strict, loose]` lists; the session keeps them in the row's `details`.
The aggregator calls `breakdown` with a dataset's scored rows (EvalSpec.breakdown) and stores
the result in summary.json under `breakdowns.ifeval`. Truncated and error rows carry no
verdicts (their instructions count as not followed in the metrics, but not here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_qnext.rows import SampleRow

__all__ = ["VERDICTS", "breakdown", "row_verdicts"]

VERDICTS = "inst_verdicts"  # the Score.details key the scorer writes and this hook reads


def row_verdicts(row: SampleRow) -> list[tuple[str, bool, bool]]:
    """(instruction id, strict, loose) for each instruction of a row (empty when none)."""
    return [
        (str(iid), bool(strict), bool(loose))
        for iid, strict, loose in row.details.get(VERDICTS) or ()
    ]


def _table(column: str, counter: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    out = []
    for name in sorted(counter):
        total, strict, loose = counter[name]
        out.append(
            {
                column: name,
                "count": total,
                "strict": strict,
                "loose": loose,
                "strict_rate": strict / total if total else 0.0,
                "loose_rate": loose / total if total else 0.0,
            }
        )
    return out


def breakdown(rows: Sequence[SampleRow]) -> dict[str, Any] | None:
    """`by_family` (the id's part before ':') and `by_instruction` tables, or None when no row
    carries verdicts."""
    by_id: dict[str, list[int]] = {}
    by_family: dict[str, list[int]] = {}
    seen = False
    for row in rows:
        for iid, strict, loose in row_verdicts(row):
            seen = True
            for table, key in ((by_id, iid), (by_family, iid.split(":", 1)[0])):
                entry = table.setdefault(key, [0, 0, 0])
                entry[0] += 1
                entry[1] += int(strict)
                entry[2] += int(loose)
    if not seen:
        return None
    return {
        "by_family": _table("family", by_family),
        "by_instruction": _table("instruction", by_id),
    }
