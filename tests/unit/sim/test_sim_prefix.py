"""The simulator's prefix cache (block hashing, LRU bound) and its /metrics exposition."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from pytest_qnext.sim import SimConfig, run_in_thread
from pytest_qnext.sim.prefix import PrefixCache, block_hashes


def test_blocks_chain_on_the_whole_prefix() -> None:
    a = block_hashes(list(range(40)), 16)
    b = block_hashes([*range(16), *range(100, 124)], 16)
    assert len(a) == 2  # only full blocks
    assert a[0] == b[0] and a[1] != b[1]
    # the same second block after another first block is another hash
    assert block_hashes([*range(200, 216), *range(16, 32)], 16)[1] != a[1]


def test_hits_count_matched_leading_blocks_then_insert() -> None:
    cache = PrefixCache(block_size=4, capacity=100)
    assert cache.lookup_and_insert([1, 2, 3, 4, 5, 6, 7, 8, 9]) == 0
    assert cache.lookup_and_insert([1, 2, 3, 4, 5, 6, 7, 8, 0]) == 8
    assert cache.lookup_and_insert([1, 2, 3, 4, 0, 0, 0, 0]) == 4
    assert (cache.queries, cache.hits) == (9 + 9 + 8, 12)


def test_lru_bound_and_off() -> None:
    cache = PrefixCache(block_size=2, capacity=2)
    cache.lookup_and_insert([1, 2, 3, 4])
    cache.lookup_and_insert([9, 9, 8, 8])  # evicts the first prompt's blocks
    assert cache.lookup_and_insert([1, 2, 3, 4]) == 0
    off = PrefixCache(block_size=2, capacity=8, enabled=False)
    off.lookup_and_insert([1, 2])
    assert off.lookup_and_insert([1, 2]) == 0 and off.queries == 4


def test_metrics_endpoint_has_vllms_names() -> None:
    with (
        run_in_thread(SimConfig(model="m")) as sim,
        urllib.request.urlopen(sim.base + "/metrics", timeout=10) as resp,
    ):
        text = resp.read().decode()
    names = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    for name in (
        "vllm:num_requests_running",
        "vllm:num_requests_waiting",
        "vllm:kv_cache_usage_perc",
        "vllm:prefix_cache_queries_total",
        "vllm:prefix_cache_hits_total",
        "vllm:num_preemptions_total",
        "vllm:time_to_first_token_seconds_count",
        "vllm:e2e_request_latency_seconds_bucket",
    ):
        assert name in names, name
