"""What a benchmark is: a loader of Samples, a prompt, and a pure scorer.

The engine (pytest_qnext.capability) does everything between prompt and scorer: asking the server,
caching, replay, stripping `<think>` blocks and deciding `truncated`/`error`. A scorer only sees
final answer text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pytest_qnext.rows import SampleRow
from pytest_qnext.sample import Message, Sample, Score

__all__ = ["Breakdown", "DatasetUnavailable", "EvalSpec", "LoadContext"]

# A benchmark's own summary of its scored rows (e.g. IFEval's per-instruction counts), stored
# in summary.json under breakdowns.<dataset>; None when the rows hold nothing to break down.
# JSON values only. report.html shows each value that is a list of flat dicts as a table (its
# key as the heading, the dicts' keys as columns) and anything else as JSON text.
Breakdown = Callable[[Sequence[SampleRow]], dict[str, Any] | None]


class DatasetUnavailable(Exception):
    """A dataset could not be loaded; the message is one line telling the user what to do."""


@dataclass(frozen=True)
class LoadContext:
    """What a loader may use. `data_dir` is --qnext-data-dir (local files, same schema as hub)."""

    data_dir: Path | None
    args: Mapping[str, Any]  # this dataset's entry of --qnext-dataset-args
    seed: int = 0

    @property
    def subset_list(self) -> list[str] | None:
        subsets = self.args.get("subset_list")
        return list(subsets) if subsets else None

    @property
    def few_shot_num(self) -> int:
        return int(self.args.get("few_shot_num", 0))


@dataclass(frozen=True)
class EvalSpec:
    """A benchmark = dataset + prompt + scorer. Registered in pytest_qnext.evals.registry."""

    name: str  # dataset name used on the command line and in sample ids
    task_type: str  # the seed table's task_type, e.g. "exam", "math", "instruction_following"
    primary_metric: str  # a key of Score.metrics; the one gates like "mmlu_pro>=0.7" read
    version: str  # bump when prompt or scorer changes (part of the run fingerprint)
    load: Callable[[LoadContext], Sequence[Sample]]
    prompt: Callable[[Sample, LoadContext], list[Message]]
    score: Callable[[Sample, str], Score]
    # metric display names, in table order; default: all metrics the scorer returns, sorted
    metrics: tuple[str, ...] = ()
    # repeat-aware sample transformation (e.g. GPQA's per-repeat choice shuffle); identity if None
    for_repeat: Callable[[Sample, int], Sample] | None = None
    # oracle(sample, correct) -> a response text this scorer grades pass (correct=True) or fail;
    # used by the simulator's oracle policy. None: the simulator echoes.
    oracle: Callable[[Sample, bool], str] | None = None
    hub_id: str = ""
    description: str = ""
    # reads the rows' `details` (what this benchmark's Score.details put there); see Breakdown
    breakdown: Breakdown | None = None
    # the benchmark's text must not appear in plain text (GPQA): its rows carry no messages and
    # a note instead of the prediction and reasoning, unless the run asks for the text
    protected: bool = False
    # the scorer runs model-written programs (in pytest_qnext.sandbox): the run checks at
    # start-up that the sandbox (--qnext-sandbox) works here, and scores inside its runtime
    executes_code: bool = False
    # the scorer is slow (it runs programs, asks a judge, ...): answers are scored as they
    # arrive, on --qnext-sandbox-workers threads, instead of on pytest's thread in each item
    grade_ahead: bool = False
    # fields every row of a sample keeps in `details` whatever its outcome (truncated and error
    # rows too), e.g. a problem's date and difficulty for the breakdown; the scorer's win
    sample_details: Callable[[Sample], Mapping[str, Any]] | None = None
    # contamination(ctx, model_cutoff) -> one warning line when the selected samples may be
    # older than the model's training cutoff (--qnext-model-cutoff; None when not given, the
    # hook may read a dataset argument instead), else None; shown in the header and the report
    contamination: Callable[[LoadContext, date | None], str | None] | None = None
