"""The same samples across 2-3 runs, keyed by (dataset, sample_id, repeat), flips first.

A row's *kind* is its outcomes joined by arrows in run order ("pass→fail"; "—" where a run has
no such sample). A flip is a row whose outcomes are not all equal. Filters: the kind (or
`flips` / `same`) and the dataset; counts are given per kind for the chosen dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_qnext.rows import natural_key
from pytest_qnext.view.index import SampleIndex

__all__ = ["ARROW", "FLIPS", "MISSING", "SAME", "Comparison", "compare_runs", "tone"]

ARROW = "→"
MISSING = "—"
FLIPS = "flips"
SAME = "same"


@dataclass(frozen=True)
class Comparison:
    keys: list[tuple[str, str, int]]  # flips first, then the rest; each in sample order
    kinds: list[str]
    flip: list[bool]
    cells: list[list[dict[str, Any] | None]]  # per key, per run: the run's preview row

    def select(self, kind: str = "", dataset: str = "") -> list[int]:
        out = []
        for i, key in enumerate(self.keys):
            if dataset and key[0] != dataset:
                continue
            if kind == FLIPS and not self.flip[i]:
                continue
            if kind == SAME and self.flip[i]:
                continue
            if kind not in ("", FLIPS, SAME) and self.kinds[i] != kind:
                continue
            out.append(i)
        return out

    def kind_counts(self, dataset: str = "") -> dict[str, int]:
        """{kind: rows} for `dataset` (all when empty), flip kinds first, most frequent first."""
        counts: dict[str, int] = {}
        flips: dict[str, bool] = {}
        for i, key in enumerate(self.keys):
            if dataset and key[0] != dataset:
                continue
            counts[self.kinds[i]] = counts.get(self.kinds[i], 0) + 1
            flips[self.kinds[i]] = self.flip[i]
        return dict(sorted(counts.items(), key=lambda kv: (not flips[kv[0]], -kv[1], kv[0])))

    def datasets(self) -> list[str]:
        return sorted({k[0] for k in self.keys})


def _order(key: tuple[str, str, int]) -> tuple[Any, ...]:
    return key[0], natural_key(key[1]), key[2]


def tone(kind: str) -> str:
    """'bad' when the first run passed and the last did not, 'good' for the reverse, else
    'other'."""
    outcomes = kind.split(ARROW)
    if outcomes[0] == "pass" and outcomes[-1] != "pass":
        return "bad"
    if outcomes[0] != "pass" and outcomes[-1] == "pass":
        return "good"
    return "other"


def _rank(flip: bool, kind: str) -> int:
    return 3 if not flip else {"bad": 0, "good": 1}.get(tone(kind), 2)


def compare_runs(indexes: Sequence[SampleIndex]) -> Comparison:
    """Pair every sample of 2-3 runs; scored-vs-skipped and missing samples count as flips."""
    maps = [ix.outcomes() for ix in indexes]
    keys = sorted({k for m in maps for k in m}, key=_order)
    rows: list[tuple[bool, tuple[str, str, int], str, list[dict[str, Any] | None]]] = []
    for key in keys:
        outcomes: list[str] = []
        cells: list[dict[str, Any] | None] = []
        for m, ix in zip(maps, indexes, strict=True):
            hit = m.get(key)
            outcomes.append(hit[0] if hit else MISSING)
            cells.append(ix.previews[hit[1]] if hit else None)
        flip = len(set(outcomes)) > 1
        rows.append((flip, key, ARROW.join(outcomes), cells))
    # stable: regressions (pass first, not pass last), improvements, other flips, the rest;
    # each part keeps the sample order
    rows.sort(key=lambda r: _rank(r[0], r[2]))
    return Comparison(
        keys=[r[1] for r in rows],
        kinds=[r[2] for r in rows],
        flip=[r[0] for r in rows],
        cells=[r[3] for r in rows],
    )
