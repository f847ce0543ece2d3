"""The simulator's prefix cache: vLLM-style block hashing, so prefix-sharing workloads show
cache hits in /metrics with the simulator's ground truth in /sim/truth.

A prompt's token ids are cut into full blocks of `block_size`; block i's hash chains block i-1's
hash and its own ids (a block is only reused after the same whole prefix). A request's lookup
walks its blocks from the start while they are cached: the hit tokens are the matched blocks'
(vLLM counts queried and hit tokens); then all its full blocks are inserted (least recently
used ones are evicted past `capacity` blocks). With `prefix_caching=0` nothing is cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

__all__ = ["PrefixCache", "block_hashes"]


def block_hashes(ids: Sequence[int], block_size: int) -> list[int]:
    """Chained hashes of the full blocks of `ids` (ints and tuples of ints hash the same in
    every process)."""
    out: list[int] = []
    previous = 0
    for start in range(0, len(ids) - block_size + 1, block_size):
        previous = hash((previous, tuple(ids[start : start + block_size])))
        out.append(previous)
    return out


class PrefixCache:
    """An LRU set of block hashes with hit accounting."""

    def __init__(self, block_size: int, capacity: int, enabled: bool = True) -> None:
        self.block_size = block_size
        self.capacity = capacity
        self.enabled = enabled
        self._blocks: OrderedDict[int, None] = OrderedDict()
        self.queries = 0  # prompt tokens looked up
        self.hits = 0  # of those, tokens found in the cache

    def lookup_and_insert(self, ids: Sequence[int]) -> int:
        """The hit tokens of a prompt (then its blocks are cached)."""
        self.queries += len(ids)
        if not self.enabled:
            return 0
        hashes = block_hashes(ids, self.block_size)
        matched = 0
        for h in hashes:
            if h not in self._blocks:
                break
            matched += 1
        for h in hashes:
            self._blocks[h] = None
            self._blocks.move_to_end(h)
        while len(self._blocks) > self.capacity:
            self._blocks.popitem(last=False)
        hit = matched * self.block_size
        self.hits += hit
        return hit
