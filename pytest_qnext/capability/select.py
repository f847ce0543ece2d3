"""The checks every way of selecting a benchmark's samples shares: its `subset_list`, unique ids.

A direct run (`collect.load_entries`), a collection build (`collections.load.load_leaf`) and a
collection run (`capability.collection_entries`) all load a benchmark through its loader and then
apply these, so a subset the data does not hold or a repeated id reads the same everywhere. The
messages name no option: each caller prefixes where the arguments came from.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_qnext.sample import Sample

__all__ = ["SelectionError", "UnknownSubset", "select_samples"]


class SelectionError(ValueError):
    """The samples cannot be selected as asked; one line, without the caller's prefix."""


class UnknownSubset(SelectionError):
    """`subset_list` names a subset the data does not hold (a problem of the arguments)."""


def select_samples(
    name: str, samples: Sequence[Sample], subsets: Sequence[str] | None
) -> list[Sample]:
    """`samples` restricted to `subsets` (all when None or empty), in loader order; every id
    checked unique. `SelectionError` names the first problem and the valid subsets."""
    chosen = list(samples)
    if subsets:
        known = {s.subset for s in chosen}
        unknown = [s for s in subsets if s not in known]
        if unknown:
            raise UnknownSubset(
                f"{name} has no subset(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
            )
        wanted = set(subsets)
        chosen = [s for s in chosen if s.subset in wanted]
    seen: set[str] = set()
    for sample in chosen:
        if sample.id in seen:
            raise SelectionError(
                f"{name}: sample id {sample.id!r} occurs twice; ids must be unique"
            )
        seen.add(sample.id)
    return chosen
