"""The sample index of one run: filters, counts per filter value and paging, server side.

Built once per run (lazily, on the first sample query) from `samples.jsonl`: per row only the
facets, the score, a short preview and the byte offset of its line, so a sample page re-reads
just its own line. The case-folded search texts (sample id, prompt, response, reasoning,
extracted answer) are read right after, in a background thread.
A query is one pass over the rows; the last few results are cached so paging is a slice.
Facet counts (dataset, subset, outcome) count, for each facet, the rows that pass every *other*
filter, so each option shows how many rows choosing it would give.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_qnext.view.loader import brief_row, normalise_row, row_score, search_text

__all__ = ["FACETS", "NOT_PASS", "PREVIEW_CHARS", "Filters", "Page", "SampleIndex"]

FACETS = ("dataset", "subset", "outcome")
NOT_PASS = "not_pass"  # outcome filter value: every outcome but pass (and skipped)
PREVIEW_CHARS = 160
_CACHE = 8


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class Filters:
    """What the sample browser asks for; empty strings mean "any"."""

    dataset: str = ""
    subset: str = ""
    outcome: str = ""
    text: str = ""
    sample_id: str = ""
    score_min: float | None = None
    score_max: float | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        return cls(
            dataset=query.get("dataset", ""),
            subset=query.get("subset", ""),
            outcome=query.get("outcome", ""),
            text=query.get("q", "").strip(),
            sample_id=query.get("id", "").strip(),
            score_min=_float(query.get("score_min")),
            score_max=_float(query.get("score_max")),
        )


@dataclass(frozen=True)
class Page:
    total: int  # rows matching every filter
    offset: int
    rows: list[dict[str, Any]]
    counts: dict[str, dict[str, int]]  # facet -> value -> rows (other filters applied)
    size: int  # rows in the run


def _outcome_ok(wanted: str, outcome: str) -> bool:
    if not wanted:
        return True
    if wanted == NOT_PASS:
        return outcome not in ("pass", "skipped")
    return outcome == wanted


class SampleIndex:
    """Compact per-row columns of a samples.jsonl and the queries over them."""

    def __init__(self, path: Path, primary_metric: Callable[[str], str | None]) -> None:
        self.path = path
        self.facets: dict[str, list[str]] = {f: [] for f in FACETS}
        self.ids: list[str] = []
        self.scores: list[float | None] = []
        self.offsets: list[int] = []
        self._search: list[str] | None = None
        self.previews: list[dict[str, Any]] = []
        self.position: dict[tuple[str, str, int], int] = {}
        self.bad_lines = 0
        self._cache: OrderedDict[Filters, tuple[list[int], dict[str, dict[str, int]]]]
        self._cache = OrderedDict()
        self._lock = threading.Lock()
        self._search_lock = threading.Lock()
        self._build(primary_metric)
        # the search texts are read in the background, so the first page does not wait for
        # them and a text search typed a few seconds later finds them ready
        threading.Thread(target=self._search_texts, daemon=True).start()

    def __len__(self) -> int:
        return len(self.ids)

    def _rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(byte offset, row) for every readable line of the file."""
        with self.path.open("rb") as handle:
            offset = 0
            for raw in handle:
                start, offset = offset, offset + len(raw)
                try:
                    data = json.loads(raw)
                except ValueError:
                    self.bad_lines += raw.strip() != b""
                    continue
                if isinstance(data, dict):
                    yield start, data
                else:
                    self.bad_lines += 1

    def _build(self, primary_metric: Callable[[str], str | None]) -> None:
        metric_of: dict[str, str | None] = {}
        for offset, data in self._rows():
            brief = brief_row(data, PREVIEW_CHARS)
            ds = brief["dataset"]
            if ds not in metric_of:
                metric_of[ds] = primary_metric(ds)
            brief["score"] = score = row_score(data, metric_of[ds])
            self.position[(ds, brief["sample_id"], brief["repeat"])] = len(self.ids)
            for facet in FACETS:
                self.facets[facet].append(brief[facet])
            self.ids.append(brief["sample_id"])
            self.scores.append(score)
            self.offsets.append(offset)
            self.previews.append(brief)

    def _search_texts(self) -> list[str]:
        """The case-folded search text of every row, read apart from the index (the list
        pages need none of it, so the index is ready sooner)."""
        with self._search_lock:
            return self._read_search_texts()

    def _read_search_texts(self) -> list[str]:
        if self._search is None:
            texts = [""] * len(self.ids)
            for offset, data in self._rows():
                brief = brief_row(data, 0)
                i = self.position.get((brief["dataset"], brief["sample_id"], brief["repeat"]))
                if i is not None and self.offsets[i] == offset:
                    texts[i] = search_text(data)
            self._search = texts
        return self._search

    # -- queries ------------------------------------------------------------------------------
    def _base(self, f: Filters) -> list[int]:
        """Rows passing the filters that are not facets (they apply to every count)."""
        rows: list[int] = list(range(len(self.ids)))
        if f.sample_id:
            ids = self.ids
            rows = [i for i in rows if f.sample_id in ids[i]]
        scores = self.scores
        if f.score_min is not None:
            low = f.score_min
            rows = [i for i in rows if (s := scores[i]) is not None and s >= low]
        if f.score_max is not None:
            high = f.score_max
            rows = [i for i in rows if (s := scores[i]) is not None and s <= high]
        text = f.text.casefold()
        if text:
            search = self._search_texts()
            rows = [i for i in rows if text in search[i]]
        return rows

    def _facet_ok(self, name: str, f: Filters) -> Callable[[str], bool] | None:
        wanted = getattr(f, name)
        if not wanted:
            return None
        if name == "outcome":
            return lambda value: _outcome_ok(wanted, value)
        return lambda value: value == wanted

    def _match(self, f: Filters) -> tuple[list[int], dict[str, dict[str, int]]]:
        """One filtering pass per active filter over plain lists (no per-row Python frames
        beyond the comprehensions); facet counts from the rows that pass the other filters."""
        base = self._base(f)
        tests = {name: self._facet_ok(name, f) for name in FACETS}
        passing: dict[str, list[int]] = {}
        for name in FACETS:
            test, column = tests[name], self.facets[name]
            # memoise the test per distinct value: facets have few of them
            if test is None:
                passing[name] = base
            else:
                verdict = {v: test(v) for v in set(column[i] for i in base)}
                passing[name] = [i for i in base if verdict[column[i]]]
        hits = base
        for name in FACETS:
            if tests[name] is not None:
                keep = set(passing[name])
                hits = [i for i in hits if i in keep]
        counts: dict[str, dict[str, int]] = {}
        for name in FACETS:
            others = [passing[o] for o in FACETS if o != name and tests[o] is not None]
            rows = base
            for other in others:
                keep = set(other)
                rows = [i for i in rows if i in keep]
            column = self.facets[name]
            counts[name] = dict(sorted(Counter(column[i] for i in rows).items()))
        return hits, counts

    def query(self, filters: Filters, offset: int = 0, limit: int = 50) -> Page:
        with self._lock:
            cached = self._cache.get(filters)
            if cached is None:
                cached = self._match(filters)
                self._cache[filters] = cached
                while len(self._cache) > _CACHE:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(filters)
        hits, counts = cached
        offset = max(0, min(offset, max(len(hits) - 1, 0)))
        rows = [self.previews[i] for i in hits[offset : offset + max(1, limit)]]
        return Page(len(hits), offset, rows, counts, len(self.ids))

    def row(self, dataset: str, sample_id: str, repeat: int = 0) -> dict[str, Any] | None:
        """The full normalised row (re-read from its line), or None when there is none."""
        i = self.position.get((dataset, sample_id, repeat))
        if i is None:
            return None
        with self.path.open("rb") as handle:
            handle.seek(self.offsets[i])
            data = json.loads(handle.readline())
        row = normalise_row(data)
        row["score"] = self.scores[i]
        return row

    def outcomes(self) -> dict[tuple[str, str, int], tuple[str, int]]:
        """(dataset, sample_id, repeat) -> (outcome, position): what compare pairs on."""
        outcomes = self.facets["outcome"]
        return {key: (outcomes[i], i) for key, i in self.position.items()}
