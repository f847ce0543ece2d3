"""Capability options (`pytest -m capability`): datasets, limits, generation, cache, gates."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from pytest_qnext.options.values import (
    Negation,
    Option,
    choice,
    flag_value,
    integer,
    json_object,
    number,
    path,
    request_params,
    text,
    texts,
    usage_error,
)

__all__ = [
    "CACHE_MODES",
    "CAPABILITY",
    "DATASET_ARG_KEYS_HINT",
    "DATA_COLLECTION",
    "SANDBOX_MODES",
    "parse_collection_levels",
    "parse_date",
    "parse_limit",
]

CACHE_MODES = ("on", "off", "refresh")
#: the --qnext-datasets name of a collection run (EvalScope's): its items are collection rows
DATA_COLLECTION = "data_collection"
# pytest_qnext.sandbox.MODES (tests/unit/sandbox keeps them equal; importing the sandbox here
# would load it into every pytest run)
SANDBOX_MODES = ("namespaces", "unsafe-local")
DATASET_ARG_KEYS_HINT = "subset_list, few_shot_num, repeats, local_path, ..."


def _datasets(flag: str, raw: Any) -> tuple[str, ...]:
    names = (p.strip() for item in texts(flag, raw) for p in item.split(","))
    return tuple(dict.fromkeys(n for n in names if n))


def parse_limit(flag: str, raw: Any) -> float:
    """`--qnext-limit`: an integer count >= 1 or a fraction in (0, 1)."""
    value = text(flag, raw)
    try:
        count = float(value)
    except ValueError:
        raise usage_error(
            flag, f"{value!r} is not a number; give a count like 100 or a fraction like 0.1"
        ) from None
    if 0 < count < 1:
        return count
    if count >= 1 and count == int(count):
        return float(int(count))
    raise usage_error(flag, f"{value!r} must be a whole count >= 1 or a fraction in (0,1)")


def parse_date(flag: str, raw: Any) -> date:
    """A calendar date written YYYY-MM-DD."""
    value = text(flag, raw)
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise usage_error(flag, f"{value!r} is not a date like 2024-12-31 (YYYY-MM-DD)") from None


def _dataset_args(flag: str, raw: Any) -> dict[str, dict[str, Any]]:
    """Per-dataset objects (whether each dataset is selected is checked with --qnext-datasets)."""
    out: dict[str, dict[str, Any]] = {}
    for name, entry in json_object('\'{"mmlu_pro": {"repeats": 2}}\'')(flag, raw).items():
        if not isinstance(entry, dict):
            raise usage_error(
                flag, f"the entry for {name!r} must be an object ({DATASET_ARG_KEYS_HINT})"
            )
        repeats = entry.get("repeats")
        if repeats is not None and not (isinstance(repeats, int) and repeats >= 1):
            raise usage_error(flag, f"{name}.repeats must be an integer >= 1")
        out[str(name)] = dict(entry)
    return out


def parse_collection_levels(flag: str, raw: Any) -> tuple[str, ...]:
    """`--qnext-collection-levels`: level names (comma-separated or repeated), or `all`."""
    from pytest_qnext.collections.levels import LEVELS

    names = [p.strip() for item in texts(flag, raw) for p in item.split(",") if p.strip()]
    if names == ["all"]:
        return tuple(LEVELS)
    unknown = [n for n in names if n not in LEVELS]
    if unknown:
        raise usage_error(
            flag, f"unknown level(s) {', '.join(unknown)}; valid: {', '.join(LEVELS)}, or all"
        )
    return tuple(level for level in LEVELS if level in names)


def _data_dir(flag: str, raw: Any) -> Path:
    """A folder that exists, or 'demo' for the bundled demo rows."""
    if text(flag, raw) == "demo":
        from pytest_qnext.evals.hub import DEMO_DATA_DIR

        return DEMO_DATA_DIR
    folder = path(flag, raw)
    if not folder.is_dir():
        raise usage_error(
            flag,
            f"{text(flag, raw)} is not a directory (give the folder holding e.g. "
            "mmlu_pro/test.jsonl, or 'demo' for the bundled demo rows)",
        )
    return folder


CAPABILITY: tuple[Option, ...] = (
    Option(
        "--qnext-datasets",
        "Benchmarks to run, comma-separated (e.g. mmlu_pro,ifeval,general_mcq).",
        _datasets,
        default=(),
        env=("QNEXT_DATASETS",),
        metavar="A,B,C",
    ),
    Option(
        "--qnext-dataset-args",
        "JSON object with per-dataset settings, EvalScope's dataset_args shape: "
        '{"mmlu_pro": {"subset_list": ["math"], "few_shot_num": 0, "repeats": 1}, '
        '"general_mcq": {"local_path": "mcq.jsonl"}}; a collection run: '
        f'{{"{DATA_COLLECTION}": {{"local_path": "out.jsonl", "shuffle": true}}}} and entries '
        "for its benchmarks (they override the collection rows' args).",
        _dataset_args,
        default={},
        metavar="JSON",
    ),
    Option(
        "--qnext-limit",
        "Samples per dataset: a count N, or a fraction in (0,1) of each dataset.",
        parse_limit,
        default_text="all",
        env=("QNEXT_LIMIT",),
        metavar="N",
    ),
    Option(
        "--qnext-gen-config",
        "JSON object of generation parameters sent with every request (max_tokens, "
        "temperature, top_p, top_k, seed, chat_template_kwargs, ...; passed through).",
        request_params('\'{"temperature": 0.6, "max_tokens": 4096}\''),
        default={},
        metavar="JSON",
    ),
    Option(
        "--qnext-batch-size",
        "Requests in flight at once while prefetching answers.",
        integer(minimum=1),
        default=32,
        metavar="N",
    ),
    Option(
        "--qnext-max-connection-failures",
        "Stop asking after N requests in a row could not reach the server (cannot connect, "
        "connection lost, timeout; each after its retries): the samples not answered are errors, "
        "the report is marked incomplete and the exit status is non-zero; a rerun resumes from "
        "the cache. 0 never stops.",
        integer(minimum=0),
        default=10,
        metavar="N",
    ),
    Option(
        "--qnext-stream",
        "Stream answers (SSE); --qnext-no-stream asks for whole responses.",
        flag_value,
        default=True,
        default_text="stream",
        action="store_true",
        negation=Negation("--qnext-no-stream", "Ask for whole (non-streamed) responses."),
    ),
    Option(
        "--qnext-repeats",
        "Ask every sample K times (items get a #r<k> suffix; CIs cluster by sample).",
        integer(minimum=1),
        default=1,
        metavar="K",
    ),
    Option(
        "--qnext-data-dir",
        "Directory with local copies of the benchmark files (same layout and schema as the hub "
        "datasets); 'demo' = the few rows bundled with pytest-qnext (mmlu_pro, mmlu_redux, ifeval, "
        "math_500, aime24, aime25, live_code_bench).",
        _data_dir,
        default_text="none (load from the hub)",
        env=("QNEXT_DATA_DIR",),
        metavar="DIR",
    ),
    Option(
        "--qnext-responses",
        'Replay: score recorded answers from this JSONL file ({"dataset", "sample_id", '
        '"response"}, optional "reasoning_content", "finish_reason") instead of asking a server.',
        path,
        metavar="FILE",
    ),
    Option(
        "--qnext-cache",
        f"Response cache: {', '.join(CACHE_MODES)} (refresh re-asks and overwrites).",
        choice(CACHE_MODES),
        default="on",
        env=("QNEXT_CACHE",),
        metavar="MODE",
    ),
    Option(
        "--qnext-cache-dir",
        "Directory of the SQLite response cache.",
        path,
        default=Path(".qnext_cache"),
        env=("QNEXT_CACHE_DIR",),
        metavar="DIR",
    ),
    Option(
        "--qnext-gate",
        "A pass condition on the run, e.g. 'mmlu_pro>=0.75', 'ifeval.prompt_level_strict>=0.8', "
        "'error_rate<=0', 'truncated_rate<=0.02'. Repeatable. With gates, the exit status is "
        "decided by gates and errors, not by single wrong answers.",
        texts,
        default=(),
        ini_type="linelist",
        action="append",
        metavar="EXPR",
    ),
    Option(
        "--qnext-allow-partial",
        "Evaluate gates on datasets that were only partly scored (e.g. a replay file without "
        "rows for some samples) instead of failing them.",
        flag_value,
        default=False,
        action="store_true",
    ),
    Option(
        "--qnext-baseline",
        "An earlier capability run to compare with (paired on shared sample ids, exact "
        "McNemar): its run folder, a report root (its latest-capability run) or its "
        "summary.json.",
        path,
        metavar="PATH",
    ),
    Option(
        "--qnext-max-drop",
        "With --qnext-baseline: fail when a dataset's score drops significantly by more than "
        "this (absolute, e.g. 0.02).",
        number(minimum=0),
        default_text="none (report only)",
        metavar="X",
    ),
    Option(
        "--qnext-baseline-force",
        "Compare with the baseline even when the run fingerprints differ.",
        flag_value,
        default=False,
        action="store_true",
    ),
    Option(
        "--qnext-sandbox",
        "Where benchmarks that run model-written programs (live_code_bench) run them: "
        "namespaces (isolated: no network, no host files; needs unprivileged user namespaces "
        "or root) or unsafe-local (resource limits only, for kernels without namespaces; "
        "warned about in the header and the report).",
        choice(SANDBOX_MODES),
        default="namespaces",
        env=("QNEXT_SANDBOX",),
        metavar="MODE",
    ),
    Option(
        "--qnext-sandbox-workers",
        "Programs graded at once, each in its own sandbox, as answers arrive.",
        integer(minimum=1),
        default_text="the CPU count",
        env=("QNEXT_SANDBOX_WORKERS",),
        metavar="N",
    ),
    Option(
        "--qnext-model-cutoff",
        "The model's training cutoff (YYYY-MM-DD): warn in the header and the report when a "
        "dated benchmark's window (live_code_bench start_date) does not start after it.",
        parse_date,
        metavar="DATE",
    ),
    Option(
        "--qnext-subsets",
        "Show the per-subset breakdown in the terminal table (and a collection's subset level).",
        flag_value,
        default=False,
        action="store_true",
    ),
    Option(
        "--qnext-collection",
        "Evaluate a weighted collection drawn in memory (seeded by --qnext-seed) from a schema: "
        "a JSON/YAML file, package.module:attribute, or a built-in name (qwen3). Items are "
        f"test_sample[{DATA_COLLECTION}/<dataset>/<sample_id>]; the {DATA_COLLECTION} entry of "
        "--qnext-dataset-args takes shuffle, count and sampler (weighted, stratified, uniform).",
        text,
        env=("QNEXT_COLLECTION",),
        metavar="SCHEMA",
    ),
    Option(
        "--qnext-collection-levels",
        "Collection levels shown in the terminal besides the whole collection's line: "
        "subset, dataset, task_type, tag, category (comma-separated), or all. summary.json "
        "always holds all five.",
        parse_collection_levels,
        default=(),
        metavar="LEVELS",
    ),
)
