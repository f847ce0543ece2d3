"""Perf metrics on hand-built request records with known timings (no server needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.client import RequestRecord
from pytest_qnext.perf.loadgen import PerfRecord, PointRun
from pytest_qnext.perf.metrics import (
    compute_metrics,
    percentile,
    record_row,
    time_weighted_concurrency,
)
from pytest_qnext.perf.prompts import PerfRequest
from pytest_qnext.tokenizer import SimpleTokenCounter

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=200), st.floats(min_value=0, max_value=100))
def test_percentile_matches_numpy_linear(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), abs=1e-6)


def test_percentile_of_nothing_is_nan() -> None:
    assert math.isnan(percentile([], 50))


@given(
    st.lists(
        st.tuples(st.floats(0, 100), st.floats(0, 100)).map(lambda t: (min(t), max(t))),
        max_size=50,
    )
)
def test_concurrency_is_total_busy_time_over_window(intervals: list[tuple[float, float]]) -> None:
    value = time_weighted_concurrency(intervals, 0.0, 100.0)
    assert 0.0 <= value <= len(intervals) + 1e-9
    assert value == pytest.approx(sum(b - a for a, b in intervals) / 100.0)


def test_concurrency_clips_to_window() -> None:
    # 3 requests always in flight over [10, 20], one outside the window
    intervals = [(0.0, 30.0), (5.0, 25.0), (10.0, 20.0), (40.0, 50.0)]
    assert time_weighted_concurrency(intervals, 10.0, 20.0) == pytest.approx(3.0)


def _record(
    send: float, ttft: float, itl: float, tokens: int, *, prompt: int = 100, per_chunk: int = 1
) -> RequestRecord:
    """A record as the client fills it: chunk_times hold content chunks only (no role chunk)."""
    chunks = tokens // per_chunk
    times = [send + ttft + i * itl * per_chunk for i in range(chunks)]
    rec = RequestRecord(url="http://x/v1/chat/completions", send_time=send)
    rec.chunk_times = times
    rec.chunk_texts = [" the" * per_chunk] * chunks
    rec.first_token_time = times[0]
    rec.end_time = times[-1] + 0.001
    rec.content = " the" * tokens
    rec.finish_reason = "length"
    rec.usage = {"prompt_tokens": prompt, "completion_tokens": tokens}
    return rec


def _request(index: int, prompt: int = 100, completion: int | None = 20) -> PerfRequest:
    return PerfRequest(index, {}, prompt, completion, 0, completion)


def _run(records: list[PerfRecord], start: float, end: float, parallel: int = 2) -> PointRun:
    return PointRun(parallel, len(records), None, records, [], start, end, [0.0001] * 50)


def test_definitions_on_known_timings() -> None:
    recs = [
        PerfRecord(_request(i), _record(send=float(i), ttft=0.05, itl=0.01, tokens=20))
        for i in range(4)
    ]
    run = _run(recs, 0.0, 3.0 + 0.05 + 19 * 0.01 + 0.001)
    m = compute_metrics(run, SimpleTokenCounter())
    assert m["ttft_p50"] == pytest.approx(0.05)
    assert m["ttft_n"] == 4 and m["ttft_p99_low_n"] is True
    # TPOT = (E2E - TTFT) / (tokens - 1): the last byte is 1 ms after the last token here
    assert m["tpot_p50"] == pytest.approx((19 * 0.01 + 0.001) / 19)
    assert m["itl_p50"] == pytest.approx(0.01)
    assert m["itl_n"] == 4 * 19
    assert m["e2e_p50"] == pytest.approx(0.05 + 0.19 + 0.001)
    assert m["output_tokens"] == 80
    assert m["output_throughput"] == pytest.approx(80 / run.duration)
    assert m["total_throughput"] == pytest.approx((80 + 400) / run.duration)
    assert m["request_throughput"] == pytest.approx(4 / run.duration)
    busy = 4 * (0.05 + 0.19 + 0.001)
    assert m["achieved_concurrency"] == pytest.approx(busy / run.duration)
    assert m["tokens_per_chunk"] == pytest.approx(1.0)
    assert m["prompt_mismatches"] == m["completion_mismatches"] == m["recount_mismatches"] == 0
    assert m["error_rate"] == 0 and m["errors_by_kind"] == {}


def test_tokens_per_chunk_when_server_batches_tokens() -> None:
    recs = [PerfRecord(_request(0), _record(0.0, 0.05, 0.01, 20, per_chunk=4))]
    m = compute_metrics(_run(recs, 0.0, 1.0))
    assert m["tokens_per_chunk"] == pytest.approx(4.0)
    assert m["itl_p50"] == pytest.approx(0.04)


def test_mismatches_are_counted_with_examples_not_averaged() -> None:
    good = PerfRecord(_request(0), _record(0.0, 0.05, 0.01, 20))
    short_prompt = PerfRecord(_request(1, prompt=120), _record(0.0, 0.05, 0.01, 20))
    short_output = PerfRecord(_request(2, completion=25), _record(0.0, 0.05, 0.01, 20))
    m = compute_metrics(_run([good, short_prompt, short_output], 0.0, 1.0), SimpleTokenCounter())
    assert m["prompt_mismatches"] == 1
    assert m["prompt_mismatch_examples"] == [{"index": 1, "sent": 120, "usage": 100}]
    assert m["completion_mismatches"] == 1
    assert m["completion_mismatch_examples"] == [{"index": 2, "asked": 25, "usage": 20}]


def test_recount_mismatch_when_usage_disagrees_with_the_text() -> None:
    rec = _record(0.0, 0.05, 0.01, 20)
    rec.usage = {"prompt_tokens": 100, "completion_tokens": 21}
    m = compute_metrics(
        _run([PerfRecord(_request(0, completion=None), rec)], 0.0, 1.0), SimpleTokenCounter()
    )
    assert m["recount_mismatches"] == 1
    assert m["recount_mismatch_examples"][0] == {"index": 0, "recount": 20, "usage": 21}


def test_errors_by_kind_and_rate() -> None:
    ok = PerfRecord(_request(0), _record(0.0, 0.05, 0.01, 20))
    failed = []
    for i, kind in enumerate(["http_5xx", "http_5xx", "timeout"], 1):
        rec = RequestRecord(send_time=0.0, end_time=0.1)
        rec.error_kind = kind  # type: ignore[assignment]
        rec.error = f"{kind} happened"
        failed.append(PerfRecord(_request(i), rec))
    m = compute_metrics(_run([ok, *failed], 0.0, 1.0))
    assert m["errors_by_kind"] == {"http_5xx": 2, "timeout": 1}
    assert m["error_rate"] == pytest.approx(0.75)
    assert m["completed"] == 1 and m["ttft_n"] == 1


def test_loop_lag_warning_when_lag_rivals_itl() -> None:
    recs = [PerfRecord(_request(0), _record(0.0, 0.05, 0.01, 20))]
    run = _run(recs, 0.0, 1.0)
    assert compute_metrics(run)["loop_lag_warning"] is None
    run.loop_lags = [0.008] * 100
    warning = compute_metrics(run)["loop_lag_warning"]
    assert warning is not None and "8.0 ms" in warning


def test_p99_flag_clears_at_100_values() -> None:
    recs = [PerfRecord(_request(i), _record(float(i), 0.05, 0.01, 3)) for i in range(100)]
    m = compute_metrics(_run(recs, 0.0, 101.0))
    assert m["ttft_p99_low_n"] is False and m["itl_p99_low_n"] is False


def test_record_row_is_relative_to_the_window() -> None:
    rec = PerfRecord(_request(7), _record(10.0, 0.05, 0.01, 3), intended_time=9.5)
    row = record_row(rec, "parallel=1-number=1", origin=9.0)
    assert row["send"] == pytest.approx(1.0) and row["intended_send"] == pytest.approx(0.5)
    assert row["ttft"] == pytest.approx(0.05)
    assert row["chunk_offsets"] == pytest.approx([0.05, 0.06, 0.07])
    assert row["index"] == 7 and row["usage"]["completion_tokens"] == 3
