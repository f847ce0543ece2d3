"""The state of a running simulator (`SimState`): configuration, tokenizer, answer policy,
counters, the slots of `max_num_seqs`, the prefix cache, the /metrics objects and the
per-request truth; `Timeline` is one request's moments. The server itself is app.py.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_qnext.sim.config import SimConfig
from pytest_qnext.sim.counting import TokenWork
from pytest_qnext.sim.exposition import Exposition
from pytest_qnext.sim.faults import Fault
from pytest_qnext.sim.generation import GenerationPlan, plan_generation
from pytest_qnext.sim.policy import REASONING_TEXT, AnswerPolicy, OracleEntry, load_oracle
from pytest_qnext.sim.prefix import PrefixCache
from pytest_qnext.sim.requests import ParsedRequest
from pytest_qnext.sim.stats import Stats
from pytest_qnext.tokenizer import TokenCounter, load_tokenizer

__all__ = ["RECENT_BODIES", "TRUTH_ROWS", "SimState", "Timeline"]

# loop iterations between two requests' preparation work: enough for aiohttp to read the
# requests that came in meanwhile (their arrival times are taken at the poll, listen.py)
_TURN_YIELDS = 3
RECENT_BODIES = 64  # request bodies kept for /sim/requests (the oldest are dropped)
TRUTH_ROWS = 100_000  # per-request truth rows kept for /sim/truth (the oldest are dropped)


@dataclass
class Timeline:
    """One request's moments (loop time) and what the simulator knows about it."""

    arrived: float
    admitted: float | None = None
    first: float | None = None
    end: float | None = None
    generated: int = 0  # tokens written so far (KV usage)
    prompt_tokens: int = 0
    hit_tokens: int | None = None  # prefix-cache hit tokens, once looked up


def _pick_filler(tok: TokenCounter) -> str:
    for cand in (" the", " and", " a", " ok"):
        if tok.pieces(cand * 3) == [cand] * 3 and len(tok.encode(cand * 3)) == 3:
            return cand
    return " the"


class SimState:
    """Everything a running simulator holds: config, tokenizer, policy, counters, slots."""

    def __init__(
        self,
        config: SimConfig,
        oracle: Mapping[str, OracleEntry | Mapping[str, Any]] | None = None,
        tokenizer: TokenCounter | None = None,
    ) -> None:
        self.config = config
        self.tokenizer = tokenizer if tokenizer is not None else load_tokenizer(config.tokenizer)
        self.work = TokenWork(self.tokenizer)
        self.work.warm_up()
        entries: dict[str, OracleEntry] | None = None
        if oracle is not None:
            entries = load_oracle(oracle)
        elif config.oracle:
            entries = load_oracle(config.oracle)
        self.policy = AnswerPolicy(
            config.policy, text=config.text, oracle=entries, p=config.p, seed=config.seed
        )
        self.filler = _pick_filler(self.tokenizer)
        self.reasoning_pieces = self.tokenizer.pieces(REASONING_TEXT)
        self.stats = Stats()
        self.bodies: deque[Any] = deque(maxlen=RECENT_BODIES)
        self.attempts: Counter[str] = Counter()
        self.slots = asyncio.Semaphore(config.max_num_seqs)
        self.turns = _Turns()
        self.running = 0
        self.waiting = 0
        self.created = int(time.time())
        self.prefix = PrefixCache(config.block_size, config.kv_blocks, bool(config.prefix_caching))
        self.exposition = Exposition(config.model)
        self.active: dict[int, Timeline] = {}  # running requests (KV usage)
        self.truth: deque[dict[str, Any]] = deque(maxlen=TRUTH_ROWS)

    def reset(self) -> None:
        self.stats = Stats(in_flight=self.stats.in_flight)
        self.bodies.clear()
        self.attempts.clear()
        self.truth.clear()

    def kv_usage(self) -> float:
        """Blocks held by the running sequences over `kv_blocks` (at most 1)."""
        size = self.config.block_size
        used = sum(math.ceil((t.prompt_tokens + t.generated) / size) for t in self.active.values())
        return min(1.0, used / self.config.kv_blocks)

    def lookup(self, req: ParsedRequest, timeline: Timeline, count: int) -> None:
        """The prefix-cache lookup of a request whose token count is known (once)."""
        timeline.prompt_tokens = count
        if timeline.hit_tokens is not None:
            return
        ids = req.prompt.ids
        timeline.hit_tokens = self.prefix.lookup_and_insert(ids if ids is not None else [])
        self.exposition.prefix_queries.inc(len(ids) if ids is not None else 0)
        self.exposition.prefix_hits.inc(timeline.hit_tokens)

    def finished(
        self, req: ParsedRequest, timeline: Timeline, plan: GenerationPlan, fault: Fault
    ) -> None:
        """Record a request that completed: histograms and the truth row."""
        if timeline.first is None or timeline.end is None:
            return
        ttft, e2e = timeline.first - timeline.arrived, timeline.end - timeline.arrived
        self.exposition.ttft.observe(ttft)
        self.exposition.e2e.observe(e2e)
        self.exposition.success.inc()
        self.truth.append(
            {
                "key": req.key,
                "ttft": ttft,
                "e2e": e2e,
                "queue": (timeline.admitted or timeline.arrived) - timeline.arrived,
                "prompt_tokens": timeline.prompt_tokens,
                "completion_tokens": plan.completion_tokens,
                "prefix_hit_tokens": timeline.hit_tokens or 0,
                "fault": fault.kind,
            }
        )

    def gap(self) -> float:
        c = self.config
        return c.itl * (1.0 + c.batch_slowdown * max(0, self.running - 1))

    def _pieces(self, text: str, limit: int) -> list[str]:
        """The first pieces of `text`: more than `limit` of them, or all (cheap for long
        echo prompts: only a prefix is tokenised, minus a margin where the cut may matter)."""
        cut = max(1024, 32 * (limit + 1))
        while cut < len(text):
            kept: list[str] = []
            used = 0
            for piece in self.work.pieces(text[:cut]):
                used += len(piece)
                if used > cut - 64:
                    break
                kept.append(piece)
            if len(kept) > limit:
                return kept
            cut *= 4
        return self.work.pieces(text)

    def plan(self, req: ParsedRequest) -> tuple[GenerationPlan, str]:
        answer = self.policy.answer(req.key, req.echo_text)
        think = self.config.think
        if req.enable_thinking is False:
            think = "none"
        if think == "split" and not req.chat:
            think = "inline"  # the completions API has no reasoning field
        reasoning: list[str] = []
        text = answer.content
        if think == "split":
            reasoning = self.reasoning_pieces
        elif think == "inline":
            text = f"<think>\n{REASONING_TEXT}\n</think>\n\n{text}"
        max_tokens = req.max_tokens
        if max_tokens is None:
            max_tokens = self.config.max_model_len - req.prompt_tokens
        plan = plan_generation(
            reasoning,
            self._pieces(text, max_tokens),
            max_tokens=max_tokens,
            min_tokens=req.min_tokens,
            ignore_eos=req.ignore_eos,
            stop=req.stop,
            filler=self.filler,
        )
        return plan, answer.sample_key


class _Turns:
    """`async with turns:` runs CPU-heavy request preparation one request at a time, each after
    yielding to the event loop a few times, so that network events (and the arrival times of
    requests in a burst) are handled between two requests' work, not after all of it."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()  # FIFO

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        try:
            for _ in range(_TURN_YIELDS):
                await asyncio.sleep(0)
        except BaseException:
            self._lock.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._lock.release()
