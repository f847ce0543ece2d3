"""Capability options (`pytest -m capability`): declared here, resolved into `CapabilitySettings`.

Every option is also an ini key (`qnext_datasets = mmlu_pro,ifeval` ...); resolution is
CLI > ini > env > default as for all `--qnext-*` options.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_qnext.options import (
    add_option,
    parse_choice,
    parse_float,
    parse_int,
    resolve,
    usage_error,
)

__all__ = ["CACHE_MODES", "CapabilitySettings", "add_options", "from_config", "parse_limit"]

CACHE_MODES = ("on", "off", "refresh")
DEFAULT_BATCH = 32
DEFAULT_SEED = 0
DATASET_ARG_KEYS_HINT = "subset_list, few_shot_num, repeats, local_path, ..."


@dataclass(frozen=True)
class CapabilitySettings:
    """What the capability engine was asked to do (validated, plain values)."""

    datasets: tuple[str, ...] = ()
    dataset_args: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    limit: float | None = None  # an int count (>= 1) or a fraction in (0, 1); per dataset
    gen_config: Mapping[str, Any] = field(default_factory=dict)
    batch_size: int = DEFAULT_BATCH
    stream: bool = True
    repeats: int = 1
    seed: int = DEFAULT_SEED
    data_dir: Path | None = None
    responses: Path | None = None
    cache: Literal["on", "off", "refresh"] = "on"
    cache_dir: Path = Path(".qnext_cache")
    gates: tuple[str, ...] = ()
    baseline: Path | None = None
    max_drop: float | None = None
    baseline_force: bool = False
    subsets: bool = False

    def args_for(self, dataset: str) -> Mapping[str, Any]:
        """This dataset's entry of --qnext-dataset-args (empty when none)."""
        return self.dataset_args.get(dataset, {})

    def repeats_for(self, dataset: str) -> int:
        value = self.args_for(dataset).get("repeats")
        return self.repeats if value is None else int(value)

    def header_lines(self) -> list[str]:
        if not self.datasets and self.responses is None:
            return []
        limit = "all" if self.limit is None else f"{self.limit:g}"
        source = f"replay {self.responses}" if self.responses else f"cache {self.cache}"
        lines = [
            f"qnext capability: datasets {','.join(self.datasets) or '(none)'}; limit {limit}; "
            f"repeats {self.repeats}; batch {self.batch_size}; "
            f"{'stream' if self.stream else 'no stream'}; seed {self.seed}; {source}"
        ]
        if self.gen_config:
            lines.append(f"qnext capability: gen config {json.dumps(dict(self.gen_config))}")
        if self.gates:
            lines.append(f"qnext capability: gates {'; '.join(self.gates)}")
        return lines


def add_options(parser: pytest.Parser) -> None:
    """Declare the capability options (and their ini keys)."""
    add_option(
        parser,
        "--qnext-datasets",
        "Benchmarks to run, comma-separated (e.g. mmlu_pro,ifeval,general_mcq).",
        default_text="none",
        env=("QNEXT_DATASETS",),
        metavar="A,B,C",
    )
    add_option(
        parser,
        "--qnext-dataset-args",
        "JSON object with per-dataset settings, EvalScope's dataset_args shape: "
        '{"mmlu_pro": {"subset_list": ["math"], "few_shot_num": 0, "repeats": 1}, '
        '"general_mcq": {"local_path": "mcq.jsonl"}}.',
        default_text="{}",
        metavar="JSON",
    )
    add_option(
        parser,
        "--qnext-limit",
        "Samples per dataset: a count N, or a fraction in (0,1) of each dataset.",
        default_text="all",
        env=("QNEXT_LIMIT",),
        metavar="N",
    )
    add_option(
        parser,
        "--qnext-gen-config",
        "JSON object of generation parameters sent with every request (max_tokens, "
        "temperature, top_p, top_k, seed, chat_template_kwargs, ...; passed through).",
        default_text="{}",
        metavar="JSON",
    )
    add_option(
        parser,
        "--qnext-batch-size",
        "Requests in flight at once while prefetching answers.",
        default_text=str(DEFAULT_BATCH),
        metavar="N",
    )
    add_option(
        parser,
        "--qnext-stream",
        "Stream answers (SSE); --qnext-no-stream asks for whole responses.",
        default_text="stream",
        action="store_true",
    )
    parser.getgroup("qnext").addoption(
        "--qnext-no-stream",
        dest="qnext_no_stream",
        action="store_true",
        default=None,
        help="Ask for whole (non-streamed) responses. Default: stream.",
    )
    add_option(
        parser,
        "--qnext-repeats",
        "Ask every sample K times (items get a #r<k> suffix; CIs cluster by sample).",
        default_text="1",
        metavar="K",
    )
    # --qnext-seed is declared by perf/options.py (one option, both areas read it); the
    # capability default (bootstrap CIs, loader draws) is DEFAULT_SEED (0), as for perf.
    add_option(
        parser,
        "--qnext-data-dir",
        "Directory with local copies of the benchmark files (same layout and schema as the hub "
        "datasets); 'demo' = the few rows bundled with pytest-qnext (mmlu_pro, mmlu_redux, ifeval, "
        "math_500, aime24, aime25).",
        default_text="none (load from the hub)",
        env=("QNEXT_DATA_DIR",),
        metavar="DIR",
    )
    add_option(
        parser,
        "--qnext-responses",
        'Replay: score recorded answers from this JSONL file ({"dataset", "sample_id", '
        '"response"}, optional "reasoning_content", "finish_reason") instead of asking a server.',
        default_text="none",
        metavar="FILE",
    )
    add_option(
        parser,
        "--qnext-cache",
        f"Response cache: {', '.join(CACHE_MODES)} (refresh re-asks and overwrites).",
        default_text="on",
        env=("QNEXT_CACHE",),
        metavar="MODE",
    )
    add_option(
        parser,
        "--qnext-cache-dir",
        "Directory of the SQLite response cache.",
        default_text=".qnext_cache",
        env=("QNEXT_CACHE_DIR",),
        metavar="DIR",
    )
    add_option(
        parser,
        "--qnext-gate",
        "A pass condition on the run, e.g. 'mmlu_pro>=0.75', 'ifeval.prompt_level_strict>=0.8', "
        "'error_rate<=0', 'truncated_rate<=0.02'. Repeatable. With gates, the exit status is "
        "decided by gates and errors, not by single wrong answers.",
        default_text="none",
        ini_type="linelist",
        action="append",
        metavar="EXPR",
    )
    add_option(
        parser,
        "--qnext-baseline",
        "Report dir of an earlier run to compare with (paired on shared sample ids, exact "
        "McNemar).",
        default_text="none",
        metavar="DIR",
    )
    add_option(
        parser,
        "--qnext-max-drop",
        "With --qnext-baseline: fail when a dataset's score drops significantly by more than "
        "this (absolute, e.g. 0.02).",
        default_text="none (report only)",
        metavar="X",
    )
    add_option(
        parser,
        "--qnext-baseline-force",
        "Compare with the baseline even when the run fingerprints differ.",
        default_text="off",
        action="store_true",
    )
    add_option(
        parser,
        "--qnext-subsets",
        "Show the per-subset breakdown in the terminal table.",
        default_text="off",
        action="store_true",
    )


def _json_object(flag: str, value: object) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(str(value))
    except json.JSONDecodeError as exc:
        raise usage_error(
            flag,
            f"not valid JSON ({exc.msg} at char {exc.pos}); "
            "give a JSON object like '{\"key\": value}'",
        ) from None
    if not isinstance(parsed, dict):
        raise usage_error(flag, f"expected a JSON object, got {type(parsed).__name__}")
    return parsed


def parse_limit(value: object) -> float | None:
    """`--qnext-limit`: None, an integer count >= 1 or a fraction in (0, 1)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise usage_error(
            "--qnext-limit",
            f"{text!r} is not a number; give a count like 100 or a fraction like 0.1",
        ) from None
    if 0 < number < 1:
        return number
    if number >= 1 and number == int(number):
        return float(int(number))
    raise usage_error(
        "--qnext-limit", f"{text!r} must be a whole count >= 1 or a fraction in (0,1)"
    )


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _stream(config: pytest.Config) -> bool:
    if config.getoption("qnext_no_stream", default=None):
        return False
    value = resolve(config, "--qnext-stream")
    return True if value is None else _flag(value)


def _dataset_args(datasets: tuple[str, ...], value: object) -> dict[str, dict[str, Any]]:
    args = _json_object("--qnext-dataset-args", value)
    out: dict[str, dict[str, Any]] = {}
    for name, entry in args.items():
        if not isinstance(entry, dict):
            raise usage_error(
                "--qnext-dataset-args",
                f"the entry for {name!r} must be an object ({DATASET_ARG_KEYS_HINT})",
            )
        if datasets and name not in datasets:
            raise usage_error(
                "--qnext-dataset-args",
                f"{name!r} is not among --qnext-datasets ({', '.join(datasets)}); "
                "add it there or drop its entry",
            )
        repeats = entry.get("repeats")
        if repeats is not None and not (isinstance(repeats, int) and repeats >= 1):
            raise usage_error("--qnext-dataset-args", f"{name}.repeats must be an integer >= 1")
        out[str(name)] = dict(entry)
    return out


def _path(value: object) -> Path | None:
    return Path(str(value)) if value else None


def _data_dir(value: object) -> Path | None:
    """--qnext-data-dir: a folder that exists, or 'demo' for the bundled demo rows."""
    if not value:
        return None
    if str(value) == "demo":
        from pytest_qnext.evals.hub import DEMO_DATA_DIR

        return DEMO_DATA_DIR
    path = Path(str(value))
    if not path.is_dir():
        raise pytest.UsageError(
            f"--qnext-data-dir: {value} is not a directory (give the folder holding e.g. "
            "mmlu_pro/test.jsonl, or 'demo' for the bundled demo rows)"
        )
    return path


def from_config(config: pytest.Config) -> CapabilitySettings:
    """Resolve and validate every capability option; `pytest.UsageError` (one line) on bad ones."""
    raw = resolve(config, "--qnext-datasets", env=("QNEXT_DATASETS",), default="")
    datasets = tuple(dict.fromkeys(p.strip() for p in str(raw).split(",") if p.strip()))
    gates_raw = resolve(config, "--qnext-gate", default=[])
    gates = tuple(str(g).strip() for g in (gates_raw or []) if str(g).strip())
    max_drop = resolve(config, "--qnext-max-drop")
    cache_dir = resolve(config, "--qnext-cache-dir", env=("QNEXT_CACHE_DIR",))
    return CapabilitySettings(
        datasets=datasets,
        dataset_args=_dataset_args(datasets, resolve(config, "--qnext-dataset-args")),
        limit=parse_limit(resolve(config, "--qnext-limit", env=("QNEXT_LIMIT",))),
        gen_config=_json_object("--qnext-gen-config", resolve(config, "--qnext-gen-config")),
        batch_size=parse_int(
            "--qnext-batch-size",
            resolve(config, "--qnext-batch-size", default=DEFAULT_BATCH),
            minimum=1,
        ),
        stream=_stream(config),
        repeats=parse_int(
            "--qnext-repeats", resolve(config, "--qnext-repeats", default=1), minimum=1
        ),
        seed=parse_int("--qnext-seed", resolve(config, "--qnext-seed", default=DEFAULT_SEED)),
        data_dir=_data_dir(resolve(config, "--qnext-data-dir", env=("QNEXT_DATA_DIR",))),
        responses=_path(resolve(config, "--qnext-responses")),
        cache=parse_choice(  # type: ignore[arg-type]
            "--qnext-cache",
            resolve(config, "--qnext-cache", env=("QNEXT_CACHE",), default="on"),
            CACHE_MODES,
        ),
        cache_dir=Path(str(cache_dir)) if cache_dir else Path(".qnext_cache"),
        gates=gates,
        baseline=_path(resolve(config, "--qnext-baseline")),
        max_drop=None if max_drop is None else parse_float("--qnext-max-drop", max_drop, minimum=0),
        baseline_force=_flag(resolve(config, "--qnext-baseline-force", default=False)),
        subsets=_flag(resolve(config, "--qnext-subsets", default=False)),
    )
