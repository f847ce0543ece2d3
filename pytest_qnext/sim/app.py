"""The simulated OpenAI-compatible server (aiohttp.web).

Latency model, per request: the request waits for one of `max_num_seqs` slots (FIFO); from
admission the first token is due after `ttft + prefill_per_token * prompt_tokens`, and each
further token `itl * (1 + batch_slowdown * (running - 1))` after the previous one's deadline.
Deadlines are absolute (`loop.time()`, counted from when the request's bytes arrived: see
listen.py), so oversleeping never accumulates drift; no write goes out before its deadline
(the loop waits with sub-millisecond precision, aioloop.py); when the loop falls behind, every
token already due goes out in one write.

Streams look like vLLM's: response headers at once; at the first token's deadline the
role-only chunk followed by the first token's chunk (vLLM sends both on its first iteration);
one chunk per token, finish_reason on the last one, an optional usage chunk, `data: [DONE]`.
`/sim/stats` reports how late writes went out versus their deadlines (`write_lag_*`,
`first_token_lag_*`): the simulator's own share of any measured error. `/sim/requests` lists
the last `RECENT_BODIES` request bodies as received (for tests of what clients send).
`/metrics` is a Prometheus exposition with vLLM's names (exposition.py) and `/sim/truth` the
per-request ground truth behind it (arrival-based TTFT and E2E, prompt and output tokens,
prefix-cache hit tokens, the injected fault): tests compare what a client scraped with it.
Prefix cache (prefix.py): a prompt is looked up (and its blocks cached) once its token count
is known: before its first token when `prefill_per_token` > 0 (cached tokens then need no
prefill time), else when its stream ends.

Nothing costly runs on the event loop between a request's arrival and its first token: with a
real tokenizer the prompt is counted in a worker thread (counting.py) and awaited only where
the number is needed (usage, prefill time, context check, `max_tokens` left out), and the echo
policy repeats a bounded prefix of the prompt (requests.ECHO_CHARS).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from pytest_qnext.sim.chunks import DONE, MALFORMED, ChunkEncoder
from pytest_qnext.sim.config import SimConfig
from pytest_qnext.sim.faults import Fault, decide_fault
from pytest_qnext.sim.generation import GenerationPlan
from pytest_qnext.sim.listen import ARRIVED, stamp_arrival
from pytest_qnext.sim.policy import OracleEntry
from pytest_qnext.sim.requests import BadRequest, ParsedRequest, check_context, parse_request
from pytest_qnext.sim.state import RECENT_BODIES, SimState, Timeline
from pytest_qnext.sim.stats import Stats
from pytest_qnext.tokenizer import TokenCounter

__all__ = ["RECENT_BODIES", "SimState", "Stats", "create_app"]

STATE_KEY: web.AppKey[SimState] = web.AppKey("qnext_sim_state")
_WRITE_ERRORS = (ConnectionError, OSError, RuntimeError)
# a stream has its prompt counted this long after its first token (in a worker thread; at
# half-way for shorter streams): by then the first tokens of a burst of requests that arrived
# with it are out
_COUNT_DELAY = 0.05


def _error(
    status: int, message: str, kind: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": status}}
    return web.json_response(body, status=status, headers=headers)


async def _health(request: web.Request) -> web.Response:
    return web.Response(status=200)


async def _models(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    if (denied := _check_auth(request, state)) is not None:
        return denied
    model = {
        "id": state.config.model,
        "object": "model",
        "created": state.created,
        "owned_by": "qnext-sim",
        "root": state.config.model,
        "parent": None,
        "max_model_len": state.config.max_model_len,
    }
    return web.json_response({"object": "list", "data": [model]})


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE_KEY].stats.as_json())


async def _requests(request: web.Request) -> web.Response:
    return web.json_response({"bodies": list(request.app[STATE_KEY].bodies)})


async def _truth(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    prefix = state.prefix
    return web.json_response(
        {
            "requests": list(state.truth),
            "prefix_cache_queries": prefix.queries,
            "prefix_cache_hits": prefix.hits,
            "max_running": state.stats.max_running,
            "preemptions": 0,
        }
    )


async def _metrics(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.Response(
        body=state.exposition.render(state),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )


async def _reset(request: web.Request) -> web.Response:
    request.app[STATE_KEY].reset()
    return web.json_response({"ok": True})


def _check_auth(request: web.Request, state: SimState) -> web.Response | None:
    key = state.config.api_key
    if not key:
        return None
    header = request.headers.get("Authorization", "")
    if secrets.compare_digest(header.encode(), f"Bearer {key}".encode()):
        return None
    return _error(
        401, "missing or wrong API key (send 'Authorization: Bearer <key>')", "AuthenticationError"
    )


async def _chat(request: web.Request) -> web.StreamResponse:
    return await _generate(request, chat=True)


async def _completions(request: web.Request) -> web.StreamResponse:
    return await _generate(request, chat=False)


async def _generate(request: web.Request, *, chat: bool) -> web.StreamResponse:
    arrived: float = request[ARRIVED]  # when its bytes came in (listen.py)
    # The CPU work of a request (chat template, echo tokens, plan) runs in turns (`_Turns`):
    # when a burst of requests arrives, the loop keeps reading the burst's other requests
    # between two requests' work.
    state = request.app[STATE_KEY]
    if (denied := _check_auth(request, state)) is not None:
        return denied
    try:
        body = await request.json()
        state.bodies.append(body)
        async with state.turns:
            req = parse_request(body, chat=chat, config=state.config, work=state.work)
        if req.count_pending or req.max_tokens is None:
            check_context(await _counted(req), req.max_tokens, state.config.max_model_len)
    except json.JSONDecodeError as exc:
        state.stats.rejected += 1
        return _error(400, f"request body is not valid JSON: {exc.msg}", "BadRequestError")
    except BadRequest as exc:
        state.stats.rejected += 1
        return _error(exc.status, str(exc), exc.kind)
    stats = state.stats
    stats.received += 1
    attempt = state.attempts[req.key]
    state.attempts[req.key] += 1
    fault = decide_fault(state.config, req.key, attempt)
    if fault.kind is not None:
        stats.faults[fault.kind] += 1
        if fault.injected_failure:
            stats.failed_injected += 1
    if fault.kind in ("fail", "rate429"):
        req.prompt.discard()
    if fault.kind == "fail":
        return _error(500, "injected server error (qnext-sim fail_rate)", "InternalServerError")
    if fault.kind == "rate429":
        return _error(
            429,
            "injected rate limit (qnext-sim rate429)",
            "RateLimitError",
            headers={"Retry-After": "0"},
        )
    async with state.turns:
        plan, sample_key = state.plan(req)
    prefix = "chatcmpl-" if chat else "cmpl-"
    enc = ChunkEncoder(
        chat=chat,
        request_id=prefix + secrets.token_hex(12),
        created=int(time.time()),
        model=state.config.model,
    )
    stats.in_flight += 1
    timeline = Timeline(arrived)
    try:
        run = _stream if req.stream else _respond
        outcome, response = await run(request, state, req, plan, enc, fault, timeline)
    finally:
        stats.in_flight -= 1
    if outcome == "cancelled":
        stats.cancelled += 1
    if outcome == "ok" and not fault.injected_failure:
        stats.completed += 1
        stats.completed_by_key[sample_key] += 1
        with contextlib.suppress(BadRequest):
            count = await _counted(req)
            stats.prompt_tokens += count
            state.lookup(req, timeline, count)
        stats.completion_tokens += plan.completion_tokens
        state.finished(req, timeline, plan, fault)
    else:
        req.prompt.discard()
    return response


async def _counted(req: ParsedRequest) -> int:
    """The exact prompt token count; BadRequest (one line) if counting failed."""
    try:
        return await req.prompt.get()
    except Exception as exc:  # a tokenizer failure: say so instead of a traceback
        detail = str(exc).splitlines()[0] if str(exc) else ""
        message = f"could not count the prompt's tokens: {type(exc).__name__}: {detail}"
        raise BadRequest(message) from None


class _Admission:
    """Holds one of the `max_num_seqs` slots and keeps the running count."""

    def __init__(self, state: SimState, timeline: Timeline) -> None:
        self.state = state
        self.timeline = timeline

    async def __aenter__(self) -> float:
        """The admission time: the arrival time when a slot was free, else when one freed."""
        admitted = self.timeline.arrived
        if self.state.slots.locked():
            self.state.waiting += 1
            try:
                await self.state.slots.acquire()
            finally:
                self.state.waiting -= 1
            admitted = asyncio.get_running_loop().time()
        else:
            await self.state.slots.acquire()
        self.timeline.admitted = admitted
        self.state.active[id(self.timeline)] = self.timeline
        self.state.running += 1
        stats = self.state.stats
        stats.max_running = max(stats.max_running, self.state.running)
        return admitted

    async def __aexit__(self, *exc: object) -> None:
        self.state.running -= 1
        self.state.active.pop(id(self.timeline), None)
        self.state.slots.release()


async def _first_deadline(
    state: SimState, req: ParsedRequest, admitted: float, timeline: Timeline
) -> float:
    c = state.config
    if c.prefill_per_token <= 0:
        return admitted + c.ttft
    count = await _counted(req)
    state.lookup(req, timeline, count)
    uncached = count - (timeline.hit_tokens or 0)
    return admitted + c.ttft + c.prefill_per_token * uncached


async def _stream(
    request: web.Request,
    state: SimState,
    req: ParsedRequest,
    plan: GenerationPlan,
    enc: ChunkEncoder,
    fault: Fault,
    timeline: Timeline,
) -> tuple[str, web.StreamResponse]:
    n = max(1, plan.completion_tokens)
    at = min(n - 1, int(fault.at * n)) if fault.kind is not None else -1
    resp = web.StreamResponse(
        status=200,
        headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"},
    )
    loop = asyncio.get_running_loop()
    stats = state.stats
    try:
        await resp.prepare(request)
        pending = enc.role() if req.chat else b""  # goes out with the first token, as in vLLM
        async with _Admission(state, timeline) as admitted:
            deadline = await _first_deadline(state, req, admitted, timeline)
            count_at = deadline + min(_COUNT_DELAY, 0.5 * (n - 1) * state.gap())
            i = 0
            while i < n:
                if i == at and fault.kind is not None:
                    if fault.kind == "drop":
                        if request.transport is not None:
                            request.transport.abort()
                        return "dropped", resp
                    if fault.kind == "stall":
                        deadline += state.config.stall_s
                delay = deadline - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                now = loop.time()
                lag = now - deadline
                stats.lag_sum += lag
                stats.lag_count += 1
                if lag > stats.lag_max:
                    stats.lag_max = lag
                if i == 0:
                    stats.first_lag_sum += lag
                    stats.first_lag_count += 1
                    stats.first_lag_max = max(stats.first_lag_max, lag)
                batch = [pending, enc.event(plan, i)] if pending else [enc.event(plan, i)]
                pending = b""
                if i == at and fault.kind == "malformed":
                    batch.insert(len(batch) - 1, MALFORMED)
                i += 1
                deadline += state.gap()
                while i < n and deadline <= now and i != at:
                    batch.append(enc.event(plan, i))
                    i += 1
                    deadline += state.gap()
                data = b"".join(batch)
                timeline.generated = i
                if data:
                    await resp.write(data)
                    if timeline.first is None:
                        timeline.first = loop.time()
                if now >= count_at:
                    req.prompt.start()  # idempotent
        tail = b""
        if req.include_usage:
            tail = enc.usage(await _counted(req), plan.completion_tokens)
        await resp.write(tail + DONE)
        await resp.write_eof()
        timeline.end = loop.time()
    except _WRITE_ERRORS:
        return "cancelled", resp
    except BadRequest as exc:  # counting failed after the answer had begun
        with contextlib.suppress(*_WRITE_ERRORS):
            error = {"error": {"message": str(exc), "type": exc.kind, "code": exc.status}}
            await resp.write(f"data: {json.dumps(error)}\n\n".encode())
            await resp.write_eof()
        return "failed", resp
    return "ok", resp


async def _respond(
    request: web.Request,
    state: SimState,
    req: ParsedRequest,
    plan: GenerationPlan,
    enc: ChunkEncoder,
    fault: Fault,
    timeline: Timeline,
) -> tuple[str, web.StreamResponse]:
    loop = asyncio.get_running_loop()
    req.prompt.start()
    async with _Admission(state, timeline) as admitted:
        deadline = await _first_deadline(state, req, admitted, timeline)
        if fault.kind == "stall":
            deadline += state.config.stall_s
        for _ in range(max(0, plan.completion_tokens - 1)):
            deadline += state.gap()
            if deadline - loop.time() > 0.02:  # re-read the running count every ~20 ms
                await asyncio.sleep(deadline - loop.time())
        delay = deadline - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        timeline.first = timeline.end = loop.time()
    if fault.kind == "drop":
        if request.transport is not None:
            request.transport.abort()
        return "dropped", web.Response(status=500)
    if fault.kind == "malformed":
        return "ok", web.Response(status=200, body=MALFORMED[6:], content_type="application/json")
    try:
        prompt_tokens = await _counted(req)
    except BadRequest as exc:
        return "failed", _error(500, str(exc), "InternalServerError")
    return "ok", web.json_response(enc.body(plan, prompt_tokens))


def create_app(
    config: SimConfig,
    oracle: Mapping[str, OracleEntry | Mapping[str, Any]] | None = None,
    tokenizer: TokenCounter | None = None,
) -> web.Application:
    """The aiohttp application; `oracle` (in-process mapping) overrides `config.oracle`."""
    app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[stamp_arrival])
    state = SimState(config, oracle=oracle, tokenizer=tokenizer)
    app[STATE_KEY] = state

    async def close_work(_app: web.Application) -> None:
        state.work.close()

    app.on_cleanup.append(close_work)
    app.router.add_get("/health", _health)
    app.router.add_get("/v1/models", _models)
    app.router.add_post("/v1/chat/completions", _chat)
    app.router.add_post("/v1/completions", _completions)
    app.router.add_get("/sim/stats", _stats)
    app.router.add_get("/sim/requests", _requests)
    app.router.add_get("/sim/truth", _truth)
    app.router.add_get("/metrics", _metrics)
    app.router.add_post("/sim/reset", _reset)
    return app
