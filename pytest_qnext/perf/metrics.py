"""Perf metrics of one sweep point, computed after its measurement window closed.

Definitions (also in the README):
- TTFT: request sent -> first chunk with non-empty content or reasoning text (never the
  role-only chunk). E2E: sent -> last byte. TPOT: (E2E - TTFT) / (output tokens - 1).
  ITL: gaps between successive content chunks (chunks that arrived in one read share a time).
- Output tokens come from the server's `usage`; a tokenizer re-count of the streamed text and
  the counts the request asked for are checked against it, and mismatches are counted with
  examples instead of being averaged away.
- Throughput: tokens (or successful requests) / wall time of the measurement window.
- Achieved concurrency: time-weighted mean of requests in flight over the window.
- Percentiles: linear interpolation between order statistics, each with its n; p99 with
  n < 100 is flagged (`<metric>_p99_low_n`), because it is then (nearly) the maximum.
- Noise: relative half-width of a 95 % bootstrap interval (200 resamples), used to state the
  uncertainty of baseline comparisons.
- Goodput (--qnext-goodput): goodput.py. multi_turn: per-turn statistics in `turns`, and each
  turn's expected prompt tokens (the whole history) counted here, after the window.
- Server telemetry (`server_*`): telemetry.py.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from pytest_qnext.perf.catalog import LATENCIES, LOW_N, PERCENTILES, STATS
from pytest_qnext.perf.goodput import RequestLimit, is_good, request_values
from pytest_qnext.perf.loadgen import PerfRecord, PointRun
from pytest_qnext.tokenizer import TokenCounter, TokenizerError

__all__ = [
    "compute_metrics",
    "percentile",
    "record_row",
    "time_weighted_concurrency",
]

BOOTSTRAP_RESAMPLES = 200
MAX_EXAMPLES = 5
# the event loop lagging this much (p99) may distort the ITL/TTFT the client measures
LAG_WARN_ABS = 0.005
LAG_WARN_REL = 0.25


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    data = sorted(values)
    rank = (len(data) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


def time_weighted_concurrency(
    intervals: Sequence[tuple[float, float]], start: float, end: float
) -> float:
    """Mean number of intervals open over [start, end] (each clipped to the window)."""
    span = end - start
    if span <= 0:
        return 0.0
    busy = sum(max(0.0, min(b, end) - max(a, start)) for a, b in intervals)
    return busy / span


def _stats(prefix: str, values: list[float], out: dict[str, Any]) -> None:
    out[f"{prefix}_n"] = len(values)
    out[f"{prefix}_mean"] = sum(values) / len(values) if values else math.nan
    for p in PERCENTILES:
        out[f"{prefix}_p{p}"] = percentile(values, p)
    out[f"{prefix}_p99_low_n"] = len(values) < LOW_N


def _noise(values: list[float], stat: str, rng: np.random.Generator) -> float:
    """Relative half-width of a 95 % bootstrap interval of `stat` over `values`."""
    if len(values) < 2:
        return math.nan
    data = np.asarray(values, dtype=float)
    picks = data[rng.integers(0, len(data), size=(BOOTSTRAP_RESAMPLES, len(data)))]
    if stat == "mean":
        estimates = picks.mean(axis=1)
        center = float(data.mean())
    else:
        q = float(stat[1:])
        estimates = np.percentile(picks, q, axis=1)
        center = float(np.percentile(data, q))
    if center == 0:
        return math.nan
    low, high = np.percentile(estimates, [2.5, 97.5])
    return float((high - low) / 2 / abs(center))


def _output_tokens(rec: PerfRecord, recount: int | None) -> int | None:
    usage = rec.record.completion_tokens
    if isinstance(usage, int):
        return usage
    return recount


def _history_counts(records: Sequence[PerfRecord], tokenizer: TokenCounter | None) -> None:
    """multi_turn: each turn's expected prompt tokens are its whole history's (counted now)."""
    if tokenizer is None:
        return
    for r in records:
        req = r.request
        if req.turn is None or req.expected_prompt_tokens is not None or not req.messages:
            continue
        kwargs = req.gen_config.get("chat_template_kwargs") or {}
        try:
            count = tokenizer.count_chat(req.messages, kwargs)
        except TokenizerError:
            continue
        r.request = replace(req, expected_prompt_tokens=count)


def _turns(records: Sequence[PerfRecord]) -> list[dict[str, Any]]:
    """Per turn index (1-based) of a multi_turn point: n, TTFT and E2E, prompt tokens."""
    by_turn: dict[int, list[PerfRecord]] = {}
    for r in records:
        if r.request.turn is not None and r.record.ok:
            by_turn.setdefault(r.request.turn, []).append(r)
    out = []
    for turn in sorted(by_turn):
        rows = by_turn[turn]
        ttft = [r.record.ttft for r in rows if r.record.ttft is not None]
        e2e = [r.record.latency for r in rows]
        prompts = [p for r in rows if isinstance(p := r.record.prompt_tokens, int)]
        out.append(
            {
                "turn": turn + 1,
                "n": len(rows),
                "ttft_mean": sum(ttft) / len(ttft) if ttft else math.nan,
                "ttft_p50": percentile(ttft, 50),
                "ttft_p99": percentile(ttft, 99),
                "e2e_p50": percentile(e2e, 50),
                "prompt_tokens_mean": sum(prompts) / len(prompts) if prompts else math.nan,
            }
        )
    return out


def _goodput(
    run: PointRun,
    limits: Sequence[RequestLimit],
    tokens: dict[int, int | None],
    out: dict[str, Any],
) -> None:
    if not limits:
        return
    good = good_tokens = 0
    for r in run.records:
        rec = r.record
        if not rec.ok:
            continue
        values = request_values(rec.ttft, rec.latency, tokens.get(id(r)), rec.chunk_times)
        if is_good(values, limits):
            good += 1
            good_tokens += tokens.get(id(r)) or 0
    total = len(run.records)
    out["good_requests"] = good
    out["good_fraction"] = good / total if total else math.nan
    out["goodput"] = good / run.duration
    out["good_output_throughput"] = good_tokens / run.duration


def compute_metrics(
    run: PointRun,
    tokenizer: TokenCounter | None = None,
    *,
    seed: int = 0,
    goodput: Sequence[RequestLimit] = (),
) -> dict[str, Any]:
    """The flat metrics dict of a point (plain JSON values; gateable names: catalog.py)."""
    records = run.records
    _history_counts(records, tokenizer)
    ok = [r for r in records if r.record.ok]
    out: dict[str, Any] = {
        "parallel": run.parallel,
        "number": run.number,
        "rate": run.rate,
        "duration_s": run.duration,
        "completed": len(ok),
        "failed": len(records) - len(ok),
        "jobs_sent": run.jobs_sent,
        "workers": run.workers,
        "client_cpu_s": run.client_cpu_s,
        "invalid_text": sum(1 for r in records if r.record.invalid_text),
    }
    errors = Counter(str(r.record.error_kind) for r in records if not r.record.ok)
    out["errors"] = sum(errors.values())
    out["errors_by_kind"] = dict(sorted(errors.items()))
    out["error_rate"] = out["errors"] / len(records) if records else math.nan
    out["error_examples"] = [
        {"index": r.request.index, "kind": r.record.error_kind, "error": r.record.error}
        for r in records
        if not r.record.ok
    ][:MAX_EXAMPLES]

    ttft: list[float] = []
    tpot: list[float] = []
    itl: list[float] = []
    e2e: list[float] = []
    rates: list[float] = []
    per_chunk: list[float] = []
    prompt_total = completion_total = 0
    mismatches: dict[str, list[dict[str, Any]]] = {"prompt": [], "completion": [], "recount": []}
    missing_usage = 0
    token_counts: dict[int, int | None] = {}
    for r in ok:
        rec = r.record
        recount = (
            len(tokenizer.encode(rec.reasoning + rec.content)) if tokenizer is not None else None
        )
        tokens = _output_tokens(r, recount)
        token_counts[id(r)] = tokens
        latency = rec.latency
        e2e.append(latency)
        if rec.ttft is not None:
            ttft.append(rec.ttft)
            if tokens is not None and tokens > 1:
                tpot.append((latency - rec.ttft) / (tokens - 1))
        times = rec.chunk_times
        itl.extend(b - a for a, b in itertools.pairwise(times))
        if tokens is not None:
            completion_total += tokens
            if times:
                per_chunk.append(tokens / len(times))
            if latency > 0:
                rates.append(tokens / latency)
        if rec.usage is None:
            missing_usage += 1
        _check_counts(r, recount, mismatches)
        if isinstance(rec.prompt_tokens, int):
            prompt_total += rec.prompt_tokens
        elif r.request.expected_prompt_tokens is not None:
            prompt_total += r.request.expected_prompt_tokens
    for name, values in zip(LATENCIES, (ttft, tpot, itl, e2e), strict=False):
        _stats(name, values, out)
    span = run.duration
    out["output_tokens"] = completion_total
    out["prompt_tokens"] = prompt_total
    out["output_throughput"] = completion_total / span
    out["total_throughput"] = (completion_total + prompt_total) / span
    out["request_throughput"] = len(ok) / span
    intervals = [(r.record.send_time, r.record.end_time) for r in records if r.record.end_time]
    out["achieved_concurrency"] = time_weighted_concurrency(
        intervals, run.window_start, run.window_end
    )
    out["tokens_per_chunk"] = sum(per_chunk) / len(per_chunk) if per_chunk else math.nan
    out["missing_usage"] = missing_usage
    for kind, found in mismatches.items():
        out[f"{kind}_mismatches"] = len(found)
        out[f"{kind}_mismatch_examples"] = found[:MAX_EXAMPLES]
    _loop_lag(run, out)
    _send_lag(run, out)
    _goodput(run, goodput, token_counts, out)
    turns = _turns(records)
    if turns:
        out["turns"] = turns
    if run.scrapes:
        from pytest_qnext.perf.telemetry import summarize

        out.update(summarize(run.scrapes))
    rng = np.random.default_rng(seed)
    noise: dict[str, float] = {}
    for name, values in zip(LATENCIES, (ttft, tpot, itl, e2e), strict=False):
        for stat in STATS:
            noise[f"{name}_{stat}"] = _noise(values, stat, rng)
    rate_noise = _noise(rates, "mean", rng)
    for name in ("output_throughput", "total_throughput", "request_throughput"):
        noise[name] = rate_noise
    out["noise"] = {k: v for k, v in noise.items() if not math.isnan(v)}
    return out


def _check_counts(
    r: PerfRecord, recount: int | None, found: dict[str, list[dict[str, Any]]]
) -> None:
    rec, req = r.record, r.request
    prompt, completion = rec.prompt_tokens, rec.completion_tokens
    base = {"index": req.index}
    if req.expected_prompt_tokens is not None and prompt != req.expected_prompt_tokens:
        found["prompt"].append({**base, "sent": req.expected_prompt_tokens, "usage": prompt})
    if req.expected_completion_tokens is not None:
        if completion != req.expected_completion_tokens:
            found["completion"].append(
                {**base, "asked": req.expected_completion_tokens, "usage": completion}
            )
    elif completion is None or not (
        req.min_completion_tokens <= completion <= (req.max_completion_tokens or completion)
    ):
        found["completion"].append(
            {
                **base,
                "asked": f"{req.min_completion_tokens}..{req.max_completion_tokens}",
                "usage": completion,
            }
        )
    if recount is not None and completion is not None and recount != completion:
        found["recount"].append({**base, "recount": recount, "usage": completion})


def _loop_lag(run: PointRun, out: dict[str, Any]) -> None:
    lags = run.loop_lags
    out["loop_lag_n"] = len(lags)
    out["loop_lag_p99"] = percentile(lags, 99)
    out["loop_lag_max"] = max(lags) if lags else math.nan
    p99, itl = out["loop_lag_p99"], out.get("itl_p50", math.nan)
    warn = not math.isnan(p99) and (
        p99 > LAG_WARN_ABS or (not math.isnan(itl) and itl > 0 and p99 > LAG_WARN_REL * itl)
    )
    out["loop_lag_warning"] = (
        f"event-loop lag p99 {p99 * 1e3:.1f} ms (ITL p50 {itl * 1e3:.1f} ms): the client's own "
        "loop was busy, so measured ITL/TTFT may be inflated"
        if warn
        else None
    )


def _send_lag(run: PointRun, out: dict[str, Any]) -> None:
    """Open loop: how late requests went out compared with their Poisson schedule."""
    lags = [
        r.record.send_time - r.intended_time for r in run.records if r.intended_time is not None
    ]
    out["send_lag_mean"] = sum(lags) / len(lags) if lags else math.nan
    out["send_lag_p99"] = percentile(lags, 99)


def record_row(r: PerfRecord, point: str, origin: float) -> dict[str, Any]:
    """One perf.jsonl row: a request's timings (seconds from the window start) and counts."""
    rec = r.record
    times = rec.chunk_times
    return {
        "point": point,
        "index": r.request.index,
        "warmup": r.warmup,
        "url": rec.url,
        "send": rec.send_time - origin,
        "intended_send": None if r.intended_time is None else r.intended_time - origin,
        "ttft": rec.ttft,
        "e2e": rec.latency,
        "chunk_offsets": [t - rec.send_time for t in times],
        "chunks": len(times),
        "finish_reason": rec.finish_reason,
        "usage": rec.usage,
        "expected_prompt_tokens": r.request.expected_prompt_tokens,
        "expected_completion_tokens": r.request.expected_completion_tokens,
        "output_chars": len(rec.content) + len(rec.reasoning),
        "status": rec.status,
        "error_kind": rec.error_kind,
        "error": rec.error,
        "attempts": rec.attempts,
        "conversation": r.request.conversation,
        "turn": r.request.turn,
        "invalid_text": rec.invalid_text,
    }
