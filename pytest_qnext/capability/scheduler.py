"""A deterministic xdist scheduler: worker `gw<i>` of `n` runs one contiguous block of items.

Because the assignment is a pure function of (collected item list, worker index, worker count),
each worker computes its own share at collection time and prefetches exactly those answers, in
order. The controller uses `ContiguousScheduling` through xdist's `pytest_xdist_make_scheduler`
hook (only for `--dist load`, the default of `-n`, and only when capability datasets are
selected). A worker that replaces a crashed one takes over the dead worker's remaining items;
those are fetched on demand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

__all__ = ["ContiguousScheduling", "block", "worker_index"]

T = TypeVar("T")


def block(items: Sequence[T], index: int, count: int) -> list[T]:
    """Worker `index`'s contiguous share of `items` split over `count` workers."""
    if count < 1 or not 0 <= index < count:
        return []
    total = len(items)
    return list(items[index * total // count : (index + 1) * total // count])


def worker_index(worker_id: str) -> int | None:
    """`gw3` -> 3 (None for anything else)."""
    match = re.fullmatch(r"gw(\d+)", worker_id)
    return int(match.group(1)) if match else None


def _make_class() -> type:
    from xdist.scheduler import EachScheduling

    class ContiguousScheduling(EachScheduling):  # type: ignore[misc]
        """Like `--dist each`, but node `gw<i>` gets only block i of the collection."""

        def schedule(self) -> None:
            assert self.collection_is_completed
            nodes = sorted(
                (n for n in self.node2pending if n not in self._started),
                key=lambda n: worker_index(n.gateway.id) or 0,
            )
            count = self.numnodes
            for node in nodes:
                pending = self.node2pending[node]
                if pending:  # replaces a crashed node: run what it left
                    node.send_runtest_some(pending)
                    node.shutdown()
                    self._started.append(node)
                    continue
                index = worker_index(node.gateway.id)
                indices = range(len(self.node2collection[node]))
                share = block(indices, index, count) if index is not None else []
                pending[:] = share
                if share:
                    node.send_runtest_some(share)
                node.shutdown()
                self._started.append(node)

    return ContiguousScheduling


_CLASS: type | None = None


def ContiguousScheduling(config: Any, log: Any = None) -> Any:
    """An xdist scheduler instance (xdist is imported only when it is used)."""
    global _CLASS
    if _CLASS is None:
        _CLASS = _make_class()
    return _CLASS(config, log)
