"""LiveCodeBench code generation (`live_code_bench`): write a program, run it on hidden tests.

Records come from `<--qnext-data-dir>/livecodebench/test*.jsonl` (the files of HF
`livecodebench/code_generation_lite`) or, without it, the hub id EvalScope uses (override with
the dataset arg `dataset_id`). Sample id = `question_id`; subsets are release versions
(`subset_list`, default `release_latest`); `start_date`/`end_date` (in `extra_params` as EvalScope
takes them, or plain keys) keep problems by contest date. The answer's last fenced code block
runs in the sandbox (`pytest_qnext.sandbox`, the run's `current_runtime()`) on every test;
`pass@1` = all tests passed. The engine grades answers as they arrive (`grade_ahead`), checks the
sandbox at start-up (`executes_code`), keeps each problem's date and difficulty in every row
(`sample_details`) for the breakdown (`breakdown.py`: kinds, difficulty, month, pass@k over
repeats) and warns when the date window does not start after the model's training cutoff
(`contamination`). See README.md for the prompt, the grading rules and how our numbers relate to
EvalScope's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.evals.livecodebench.breakdown import breakdown
from pytest_qnext.evals.livecodebench.dataset import (
    RELEASE_FILES,
    decode_tests,
    in_window,
    parse_date,
    releases_for,
    row_to_fields,
)
from pytest_qnext.evals.livecodebench.grader import (
    FLAVOURS,
    KINDS,
    GradeSettings,
    Problem,
    Verdict,
    grade,
)
from pytest_qnext.evals.livecodebench.metrics import contamination_warning, pass_at_k, summarize
from pytest_qnext.evals.livecodebench.oracle import SOLUTION_KEY, oracle, reference_solutions
from pytest_qnext.evals.livecodebench.prompt import SYSTEM_MESSAGES, extract_code, user_message
from pytest_qnext.sample import Message, Sample, Score
from pytest_qnext.sandbox import (
    DEFAULT_LIMITS,
    GradingPool,
    Limits,
    SandboxMode,
    current_runtime,
)

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "HUB_ID",
    "KINDS",
    "LOCAL_FOLDER",
    "METRIC",
    "RELEASE_FILES",
    "SPEC",
    "breakdown",
    "contamination",
    "contamination_warning",
    "load",
    "make_pool",
    "oracle",
    "pass_at_k",
    "problem_for",
    "prompt",
    "sample_details",
    "score",
    "score_verdict",
    "summarize",
]

HUB_ID = "evalscope/livecodebench_code_generation_lite_parquet"
LOCAL_FOLDER = "livecodebench"
METRIC = "pass@1"
DEFAULT_TIMEOUT_S = 6.0  # EvalScope's review_timeout, the official per-test timeout
_NAME = "live_code_bench"


# --- loading --------------------------------------------------------------------------------


def _records(ctx: LoadContext, release: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    """(record, where) for one release: local files in the hub layout, else the hub."""
    from pytest_qnext.evals.hub import hub_id_for, load_records, local_files

    files = RELEASE_FILES[release]
    if local_files(ctx, f"{LOCAL_FOLDER}/{files[0]}") is None:  # no local source: the hub
        hub_id = hub_id_for(ctx, HUB_ID)
        rows = load_records(
            ctx,
            dataset=_NAME,
            hub_id=hub_id,
            subset=release,
            split="test",
            local_glob=f"{LOCAL_FOLDER}/{files[0]}",
        )
        for index, row in enumerate(rows):
            yield row, f"{_NAME} {hub_id} {release} row {index}"
        return
    if not ctx.subset_list:  # a partial local copy: the release files that are there
        present = [f for f in files if local_files(ctx, f"{LOCAL_FOLDER}/{f}")]
        files = tuple(present) or files[:1]
    for name in files:
        rows = load_records(
            ctx,
            dataset=_NAME,
            hub_id=HUB_ID,
            subset=None,
            split="test",
            local_glob=f"{LOCAL_FOLDER}/{name}",
            layout=f"{LOCAL_FOLDER}/test.jsonl ... test6.jsonl (code_generation_lite's files)",
        )
        for index, row in enumerate(rows):
            yield row, f"{_NAME} {name} line {index + 1}"


def _grading_args(args: Mapping[str, Any]) -> tuple[str, float]:
    from pytest_qnext.evals.hub import BadDatasetArgs

    flavour = str(args.get("flavour", "evalscope"))
    if flavour not in FLAVOURS:
        raise BadDatasetArgs(f"{_NAME}: flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
    timeout = args.get("review_timeout", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise BadDatasetArgs(f"{_NAME}: review_timeout {timeout!r} must be a number of seconds > 0")
    return flavour, float(timeout)


def load(ctx: LoadContext) -> list[Sample]:
    """The problems of the chosen releases inside the date window, each once, in file order."""
    if ctx.few_shot_num:
        raise DatasetUnavailable(f"{_NAME} is zero-shot only; set few_shot_num to 0")
    extra = ctx.args.get("extra_params") or {}
    if not isinstance(extra, Mapping):
        raise DatasetUnavailable(f"{_NAME}: extra_params must be an object")
    start = parse_date(extra.get("start_date", ctx.args.get("start_date")), "start_date")
    end = parse_date(extra.get("end_date", ctx.args.get("end_date")), "end_date")
    parse_date(ctx.args.get("model_cutoff"), "model_cutoff")  # checked now, used by contamination
    flavour, timeout = _grading_args(ctx.args)
    solutions = _solutions(ctx)
    samples: list[Sample] = []
    seen: set[str] = set()
    for release in releases_for(ctx.subset_list):
        for row, where in _records(ctx, release):
            qid = str(row.get("question_id") or "")
            if qid and qid in seen:  # in an earlier release of subset_list
                continue
            fields = row_to_fields(row, f"{where} ({qid or 'no question_id'})")
            if not in_window(fields["contest_date"], start, end):
                continue
            seen.add(qid)
            metadata = {**fields, "release": release, "flavour": flavour, "timeout_s": timeout}
            if qid in solutions:  # ours only (fixtures, demo rows): for the simulator's oracle
                metadata[SOLUTION_KEY] = solutions[qid]
            samples.append(
                Sample(
                    id=qid,
                    input=str(row["question_content"]),
                    target="",
                    subset=release,
                    metadata=metadata,
                )
            )
    return samples


def _solutions(ctx: LoadContext) -> dict[str, str]:
    from pytest_qnext.evals.hub import local_root

    return reference_solutions(local_root(ctx, LOCAL_FOLDER))


def _window_start(args: Mapping[str, Any]) -> Any:
    extra = args.get("extra_params") or {}
    return extra.get("start_date", args.get("start_date")) if isinstance(extra, Mapping) else None


def contamination(ctx: LoadContext, cutoff: date | None) -> str | None:
    """The contamination warning for this run's date window and the model's training cutoff
    (the dataset arg `model_cutoff` wins over `--qnext-model-cutoff`); None when neither is
    given or the window starts after the cutoff."""
    given = parse_date(ctx.args.get("model_cutoff"), "model_cutoff")
    chosen = given.date() if given is not None else cutoff
    if chosen is None:
        return None
    return contamination_warning(_window_start(ctx.args), chosen)


# --- prompt and score -----------------------------------------------------------------------


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    flavour = str(sample.metadata.get("flavour", "evalscope"))
    starter = str(sample.metadata.get("starter_code", ""))
    return [
        {"role": "system", "content": SYSTEM_MESSAGES[flavour]},
        {"role": "user", "content": user_message(sample.input, starter, flavour)},
    ]


@functools.lru_cache(maxsize=32)
def _problem(
    qid: str, public: str, private: str, fn_name: str | None, timeout: float, flavour: str
) -> Problem:
    tests = decode_tests({"public_test_cases": public, "private_test_cases": private}, qid)
    return Problem(
        id=qid,
        inputs=tuple(t["input"] for t in tests),
        outputs=tuple(t["output"] for t in tests),
        fn_name=fn_name,
        timeout_s=timeout,
        flavour=flavour,  # type: ignore[arg-type]
    )


def problem_for(sample: Sample) -> Problem:
    """The graded form of a loaded sample (tests decoded; cached for repeats)."""
    meta = sample.metadata
    return _problem(
        sample.id,
        str(meta["public_test_cases"]),
        str(meta["private_test_cases"]),
        meta.get("fn_name"),
        float(meta.get("timeout_s", DEFAULT_TIMEOUT_S)),
        str(meta.get("flavour", "evalscope")),
    )


def make_pool(
    mode: SandboxMode = "namespaces", workers: int | None = None, limits: Limits = DEFAULT_LIMITS
) -> GradingPool[[Problem, str], Verdict]:
    """A grading pool for LiveCodeBench programs: `submit(problem_for(sample), code)` (for
    scripts; the capability engine grades through `score` on its own pool)."""
    return GradingPool(
        functools.partial(_grade_with, GradeSettings(mode=mode, limits=limits)), workers
    )


def _grade_with(settings: GradeSettings, problem: Problem, code: str) -> Verdict:
    return grade(problem, code, settings)


def sample_details(sample: Sample) -> dict[str, Any]:
    """What every row of a problem keeps, whatever its outcome (for the breakdown)."""
    meta = sample.metadata
    return {name: meta.get(name) for name in ("contest_date", "difficulty", "platform", "release")}


def score_verdict(sample: Sample, code: str, verdict: Verdict) -> Score:
    """The Score of a graded program (for an engine that grades through its own pool)."""
    return Score(
        outcome="pass" if verdict.passed else "fail",
        metrics={METRIC: (1.0 if verdict.passed else 0.0, 1.0)},
        extracted=code,
        explanation=verdict.explanation(),
        details={**sample_details(sample), **verdict.details()},
    )


def score(sample: Sample, response: str) -> Score:
    """Grade the response's last fenced code block; `unparsed` when it has none."""
    code = extract_code(response)
    if not code.strip():
        return Score(
            outcome="unparsed",
            metrics={METRIC: (0.0, 1.0)},
            extracted=None,
            explanation="no fenced code block in the response",
            details={**sample_details(sample), "kind": "unparsed"},
        )
    runtime = current_runtime()  # the run's sandbox (mode, zygote); the safe default outside
    verdict = grade(problem_for(sample), code, GradeSettings(runtime.mode, zygote=runtime.zygote))
    return score_verdict(sample, code, verdict)


SPEC = EvalSpec(
    name=_NAME,
    task_type="code",
    primary_metric=METRIC,
    version="1",
    load=load,
    prompt=prompt,
    score=score,
    metrics=(METRIC,),
    oracle=oracle,
    hub_id=HUB_ID,
    description="LiveCodeBench code generation, programs run in the sandbox, pass@1",
    breakdown=breakdown,
    executes_code=True,
    grade_ahead=True,
    sample_details=sample_details,
    contamination=contamination,
)
