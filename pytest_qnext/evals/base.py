"""What a benchmark is: a loader of Samples, a prompt, and a pure scorer.

The engine (pytest_qnext.engine) does everything between prompt and scorer: asking the server,
caching, replay, stripping `<think>` blocks and deciding `truncated`/`error`. A scorer only sees
final answer text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DatasetUnavailable",
    "EvalSpec",
    "LoadContext",
    "Message",
    "Outcome",
    "Sample",
    "Score",
]

Message = dict[str, str]  # {"role": ..., "content": ...}
Outcome = Literal["pass", "fail", "unparsed", "truncated", "error", "skipped"]


class DatasetUnavailable(Exception):
    """A dataset could not be loaded; the message is one line telling the user what to do."""


@dataclass(frozen=True)
class Sample:
    """One benchmark sample. `id` is the stable sample id of the contract in DESIGN.md."""

    id: str
    input: str  # the question / problem / prompt text as the dataset has it
    target: str  # the reference answer (letter, number, text); "" when the scorer needs none
    choices: tuple[str, ...] = ()
    subset: str = "default"
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    """A scorer's verdict on one response.

    `metrics` maps metric name -> (numerator, denominator). Dataset scores are micro averages:
    sum of numerators / sum of denominators. A plain accuracy sample gives {"acc": (1, 1)} or
    {"acc": (0, 1)}; IFEval gives instruction counts for its inst-level metrics.
    """

    outcome: Literal["pass", "fail", "unparsed"]
    metrics: Mapping[str, tuple[float, float]]
    extracted: str | None = None  # the answer the scorer read from the response
    explanation: str = ""  # one line for failure messages (e.g. failed instruction ids)
    # extra JSON-able fields for the sample's report row (e.g. IFEval's per-instruction verdicts
    # for the per-instruction-type breakdown)
    details: Mapping[str, Any] = field(default_factory=dict)


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
