"""The capability session of one pytest process: items -> answers -> verdicts -> rows.

Lifecycle (the plugin's hooks call these, nothing more):

1. `params()` during `pytest_generate_tests`: one parameter per selected sample, id
   `<dataset>/<sample_id>` (`#r<k>` for repeats), marked `capability`;
2. `plan(items, share)` after collection: this process's capability items in run order (under
   xdist the worker's contiguous share, see scheduler.py), then `start(target)` starts the
   prefetcher (or opens the replay file);
3. `run(item_id)` from the `qnext_sample` fixture: waits for that item's answer and returns an
   `ItemResult` carrying the `SampleRow` (and the `DatasetMeta` for the first item of a
   dataset); rows of a protected benchmark (EvalSpec.protected) are `withheld()` unless the
   session was made with `write_protected_text=True`. Its `notes` are session-level lines that
   came up since the previous item (a cache that cannot be written, ...), and `stop` is set
   when the prefetcher stopped asking (capability/watch.py): the caller ends the session with
   that one line instead of reporting every remaining sample as an error. Answers of slow scorers
   (EvalSpec.grade_ahead) are graded as they arrive, off pytest's thread (grading.py): the item
   waits for that row;
4. `stop()` at session end (also on Ctrl-C): stops prefetching and grading (no sandbox is left
   running).

`check_cache()` opens and checks the response cache before the run (pytest.UsageError, one
line naming the path and the fix), so a broken cache is never found once per sample.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_qnext.capability.cache import Answer, CacheError, cache_key, check_cache
from pytest_qnext.capability.collect import CollectError, Entry, load_entries
from pytest_qnext.capability.errors import SampleError
from pytest_qnext.capability.grading import Grading, graded_here
from pytest_qnext.capability.outcome import failure_message, sample_row
from pytest_qnext.capability.prefetch import Job, Prefetcher, PrefetchStopped, one_line_error
from pytest_qnext.capability.prefetch_process import (
    ClientSpec,
    ProcessPrefetcher,
    client_fetch,
    discard_warm,
    warm_up,
)
from pytest_qnext.capability.replay import Replay, ReplayError
from pytest_qnext.capability.watch import HALTED
from pytest_qnext.client.body import build_body
from pytest_qnext.evals.registry import Registry
from pytest_qnext.rows import DatasetMeta, SampleRow
from pytest_qnext.settings import Settings
from pytest_qnext.target import ResolvedTarget

__all__ = [
    "FIXTURE",
    "PROGRESS_EVERY_S",
    "CapabilitySession",
    "ItemResult",
    "SampleError",
    "request_body",
]

FIXTURE = "qnext_sample"
PROGRESS_EVERY_S = 10.0
# QNEXT_PREFETCH=thread runs the prefetcher on a thread of the pytest process instead of in a
# child process (the default, which keeps the client off pytest's GIL).
PREFETCH_ENV = "QNEXT_PREFETCH"
REPLAY_MODEL = "replay"


@dataclass
class ItemResult:
    """What the `qnext_sample` fixture gives the test: the row and a `check()`."""

    item_id: str
    row: SampleRow
    message: str = ""
    meta: DatasetMeta | None = None
    notes: tuple[str, ...] = ()  # session-level lines that came up since the previous item
    stop: str | None = None  # the prefetcher stopped asking: end the session with this line

    @property
    def outcome(self) -> str:
        return self.row.outcome

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"

    def check(self) -> None:
        """Fail the item (compact message, no traceback) unless the answer passed."""
        if self.outcome in ("fail", "unparsed", "truncated"):
            pytest.fail(self.message, pytrace=False)


@dataclass
class _Plan:
    jobs: list[Job] = field(default_factory=list)
    first_of: dict[str, str] = field(default_factory=dict)  # dataset -> first item id here


class CapabilitySession:
    """Owns the selected entries, the prefetcher or replay, and turns answers into rows."""

    def __init__(
        self,
        settings: Settings,
        benchmarks: Registry | None = None,
        *,
        write_protected_text: bool = False,
    ) -> None:
        self.settings = settings
        self.benchmarks = benchmarks
        # whether rows of a protected benchmark (GPQA) keep their messages and model text
        self.write_protected_text = write_protected_text
        self.capability = settings.capability
        self._entries: list[Entry] | None = None
        self._by_id: dict[str, Entry] = {}
        self.metas: dict[str, dict[str, Any]] = {}
        self._plan = _Plan()
        self._jobs: dict[str, Job] = {}  # the planned jobs by item id
        self._prefetcher: Prefetcher | ProcessPrefetcher | None = None
        self._replay: Replay | None = None
        self._target: ResolvedTarget | None = None
        self._met: set[str] = set()
        self._notes_seen = 0
        self._grading: Grading | None = None
        self._last_progress = time.monotonic()
        self.progress_sink: Callable[[str], None] | None = None

    # -- collection -----------------------------------------------------------------------

    @property
    def replaying(self) -> bool:
        return self.capability.responses is not None

    def entries(self) -> list[Entry]:
        """The selected entries (loaded once); `pytest.UsageError` with one line on problems."""
        if self._entries is None:
            try:
                self._entries, self.metas = load_entries(self.capability, self.benchmarks)
            except CollectError as exc:
                raise pytest.UsageError(str(exc)) from None
            self._by_id = {e.item_id: e for e in self._entries}
        return self._entries

    def params(self) -> list[Any]:
        """`pytest.param`s for `qnext_sample`, one per entry (a skip marker when none)."""
        mark = pytest.mark.capability
        if not self.capability.datasets:
            reason = "no capability datasets selected; pass --qnext-datasets (e.g. general_mcq)"
            skip = pytest.mark.skip(reason=reason)
            return [pytest.param(None, id="no-datasets", marks=[mark, skip])]
        return [pytest.param(e.item_id, id=e.item_id, marks=mark) for e in self.entries()]

    # -- planning and starting --------------------------------------------------------------

    def plan(self, item_ids: Sequence[str]) -> None:
        """This process's capability items, in the order they will run (a replay sends no
        request: it builds jobs only for the items it grades ahead)."""
        plan = _Plan()
        for iid in item_ids:
            entry = self._by_id.get(iid)
            if entry is None or entry.skip_reason is not None:  # skipped: nothing to ask
                continue
            plan.first_of.setdefault(entry.dataset, iid)
            if not self.replaying or entry.spec.grade_ahead:  # (a replay grades those ahead)
                plan.jobs.append(self.job(entry))
        self._plan = plan
        self._jobs = {job.key: job for job in plan.jobs}

    def job(self, entry: Entry) -> Job:
        """The request of one item: its body (the one builder) and that body's cache key."""
        body = request_body(
            self.settings.api,
            self._model(),
            entry.messages,
            self.capability.gen_config,
            stream=self.capability.stream,
        )
        return Job(
            key=entry.item_id,
            cache_key=cache_key(body, entry.repeat),
            dataset=entry.dataset,
            sample_id=entry.sample.id,
            repeat=entry.repeat,
            body=body,
        )

    def _model(self) -> str:
        if self._target is not None:
            return self._target.model
        return self.settings.model or REPLAY_MODEL

    def set_target(self, target: ResolvedTarget | None) -> None:
        self._target = target

    def start(self) -> None:
        """Open the replay file, or start prefetching this process's planned items."""
        if self.replaying:
            self.replay()
            self._grade_ahead()
            return
        if not self._plan.jobs or self._target is None:
            return
        cap = self.capability
        spec = self.client_spec()
        options: dict[str, Any] = {
            "batch_size": cap.batch_size,
            "cache_dir": None if cap.cache == "off" else cap.cache_dir,
            "refresh": cap.cache == "refresh",
            "max_failures": cap.max_connection_failures,
        }
        if os.environ.get(PREFETCH_ENV, "process") == "thread":
            self._prefetcher = Prefetcher(
                self._plan.jobs, client_fetch(spec), servers=spec.urls, **options
            )
        else:
            self._prefetcher = ProcessPrefetcher(self._plan.jobs, spec, **options)
        self._prefetcher.start()
        self._grade_ahead()

    def replay(self) -> Replay:
        """The replay file, read once; `pytest.UsageError` (one line) when it is unusable."""
        if self._replay is None:
            assert self.capability.responses is not None, "not a replay run"
            try:
                self._replay = Replay(self.capability.responses)
            except ReplayError as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._replay

    def check_cache(self) -> None:
        """Open the response cache and prove it can be read and written, before any request:
        `pytest.UsageError` with one line naming the path and the fix (a run that will not
        ask a server, or runs with the cache off, has nothing to check)."""
        cap = self.capability
        if self.replaying or cap.cache == "off" or not cap.datasets:
            return
        try:
            check_cache(cap.cache_dir)
        except CacheError as exc:
            raise pytest.UsageError(f"--qnext-cache-dir: {exc}") from None

    def client_spec(self) -> ClientSpec:
        """How the prefetcher reaches the target (what it sends is in each job's body)."""
        assert self._target is not None, "set_target() first"
        settings = self.settings
        return ClientSpec(
            urls=tuple(self._target.urls),
            api=settings.api,
            timeout=settings.timeout,
            retries=settings.retries,
            max_connections=max(self.capability.batch_size, 1),
            api_key=settings.api_key,
        )

    def warm_up(self) -> None:
        """Spawn the prefetch child early when this run will ask a server."""
        if (
            not self.replaying
            and self.capability.datasets
            and os.environ.get(PREFETCH_ENV, "process") != "thread"
        ):
            warm_up()

    def stop(self) -> None:
        if self._prefetcher is not None:
            self._prefetcher.stop()
        if self._grading is not None:
            self._grading.stop()
        discard_warm()

    def progress_line(self) -> str | None:
        """Generation progress, with grading progress alongside when answers are graded."""
        parts = [] if self._prefetcher is None else [self._prefetcher.progress().line()]
        if self._grading is not None:
            parts.append(self._grading.progress().text())
        if not parts:
            return None
        line = "; ".join(parts)
        return line if line.startswith("qnext:") else f"qnext: {line}"

    # -- grading ahead (grading.py) ---------------------------------------------------------

    def grading(self) -> Grading:
        """This session's grading pool and sandbox runtime (created when first needed)."""
        if self._grading is None:
            self._grading = Grading(
                workers=self.capability.sandbox_workers,
                mode=self.capability.sandbox,
                write_protected_text=self.write_protected_text,
            )
        return self._grading

    def _grade_ahead(self) -> None:
        """Grade the planned items of grade-ahead benchmarks as their answers arrive (a replay's
        are all known now)."""
        entries = [self._by_id[job.key] for job in self._plan.jobs]
        entries = [e for e in entries if e.spec.grade_ahead]
        if not entries:
            return
        grading = self.grading()
        grading.expect(e.item_id for e in entries)
        for entry in entries:
            if self._replay is not None:
                answer = self._replay.get(entry.dataset, entry.sample.id, entry.repeat)
                if answer is not None:
                    grading.submit(entry, answer)
            elif self._prefetcher is not None:
                future = self._prefetcher.answer_future(entry.item_id)
                if future is not None:
                    future.add_done_callback(functools.partial(self._arrived, entry))

    def _arrived(self, entry: Entry, future: concurrent.futures.Future[Answer]) -> None:
        """An answer came (on the prefetcher's thread): start grading it."""
        if future.cancelled() or future.exception() is not None or self._grading is None:
            return  # the item reports a failed request itself
        with contextlib.suppress(RuntimeError):  # the pool shut down meanwhile
            self._grading.submit(entry, future.result())

    def _row(self, entry: Entry, answer: Answer | None, skip_reason: str | None) -> SampleRow:
        """The item's row: judged here, or by the grading pool for slow or code scorers."""
        if answer is not None and graded_here(entry):
            return self.grading().row(entry, answer, on_wait=self._maybe_progress)
        return sample_row(
            entry, answer, skip_reason=skip_reason, write_protected_text=self.write_protected_text
        )

    # -- running items ----------------------------------------------------------------------

    def _maybe_progress(self) -> None:
        now = time.monotonic()
        if self.progress_sink is None or now - self._last_progress < PROGRESS_EVERY_S:
            return
        self._last_progress = now
        line = self.progress_line()
        if line:
            self.progress_sink(line)

    def _answer(self, entry: Entry) -> Answer | None:
        if self._replay is not None:
            return self._replay.get(entry.dataset, entry.sample.id, entry.repeat)
        if self._prefetcher is None:
            if self._target is None:
                raise SampleError(
                    f"{entry.item_id}: no server to ask (give --qnext-url or --qnext-sim)"
                )
            # an item that was not planned in this process (e.g. --qnext-* after collection)
            self._plan.jobs.append(self.job(entry))
            self.start()
        assert self._prefetcher is not None
        job = self._jobs.get(entry.item_id) or self.job(entry)
        self._maybe_progress()
        return self._prefetcher.get(job, on_wait=self._maybe_progress)

    def _halted(self) -> str | None:
        return None if self._prefetcher is None else self._prefetcher.halted

    def _new_notes(self) -> tuple[str, ...]:
        if self._prefetcher is None:
            return ()
        notes = self._prefetcher.notes[self._notes_seen :]
        self._notes_seen += len(notes)
        return tuple(notes)

    def run(self, item_id: str) -> ItemResult:
        """Wait for this item's answer and judge it (request errors become `error` rows; an
        item the prefetcher stopped before asking is `skipped` with the reason and `stop`)."""
        entry = self._by_id[item_id]
        try:
            answer = None if entry.skip_reason is not None else self._answer(entry)
        except (PrefetchStopped, KeyboardInterrupt, SampleError):
            raise
        except Exception as exc:  # never drop a sample: it becomes an error row
            answer = Answer(error_kind="internal", error=one_line_error(exc))
        skip_reason = entry.skip_reason
        stop = None
        if answer is None:
            if skip_reason is None:
                assert self._replay is not None
                skip_reason = self._replay.skip_reason(entry.dataset, entry.sample.id)
        elif answer.error_kind == HALTED:
            stop = self._halted() or answer.error or "qnext: the prefetcher stopped asking"
            skip_reason = f"not asked: {stop}"
            answer = None
        elif not answer.ok:
            stop = self._halted()
        row = self._row(entry, answer, skip_reason)
        meta = None
        if entry.dataset not in self._met:
            self._met.add(entry.dataset)
            meta = self.meta(entry.dataset)
        message = ""
        if row.outcome in ("fail", "unparsed", "truncated"):
            message = failure_message(item_id, row)
        elif row.outcome == "error":
            message = f"{item_id}: error — {row.explanation}"
        elif row.outcome == "skipped":
            message = str(row.skip_reason)
        return ItemResult(item_id, row, message, meta, self._new_notes(), stop)

    def meta(self, dataset: str) -> DatasetMeta:
        base = dict(self.metas[dataset])
        fingerprint = dict(base["fingerprint"])
        fingerprint["model"] = self._model()
        fingerprint["gen_config"] = dict(self.capability.gen_config)
        fingerprint["api"] = self.settings.api
        base["fingerprint"] = fingerprint
        return DatasetMeta.from_json(base)


def request_body(
    api: str,
    model: str,
    messages: Sequence[Mapping[str, Any]],
    gen_config: Mapping[str, Any],
    *,
    stream: bool,
) -> dict[str, Any]:
    """The body asking `model` about one item: its messages for the chat API, their contents
    joined into one prompt for the completions API."""
    if api == "completions":
        prompt = "\n\n".join(str(m.get("content", "")) for m in messages)
        return build_body(api, model, prompt=prompt, gen_config=gen_config, stream=stream)
    return build_body(api, model, messages=messages, gen_config=gen_config, stream=stream)
