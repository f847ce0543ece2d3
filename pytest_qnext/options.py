"""The one option table: every `--qnext-*` option, declared once (flag, ini key, env vars,
parser, default value, help), and the functions that read it.

`add_options(parser)` declares the table to pytest; `value(config, flag)` resolves an option:
CLI > ini (`qnext_*`) > env > default, converted and validated by the option's parser
(`pytest.UsageError`, one line naming the flag, on a bad value). The settings resolvers
(settings.py, capability/options.py, perf/options.py) read every value through it and keep only
the checks that involve several options. Dataclass defaults come from `default(flag)`.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_qnext.option_values import (
    Negation,
    Option,
    Parse,
    choice,
    existing_file,
    flag_value,
    integer,
    integers,
    json_object,
    number,
    path,
    text,
    texts,
    usage_error,
)

if TYPE_CHECKING:
    import pytest

__all__ = [
    "API_CHOICES",
    "CACHE_MODES",
    "GROUP",
    "NUMBER_FACTOR",
    "PERF_DATASETS",
    "TABLE",
    "add_options",
    "default",
    "given",
    "option",
    "parse_limit",
    "value",
]

GROUP = "qnext"
API_CHOICES = ("chat", "completions")
CACHE_MODES = ("on", "off", "refresh")
PERF_DATASETS = ("random", "openqa", "line_by_line", "custom")
NUMBER_FACTOR = 10  # --qnext-number defaults to this many requests per parallel stream
PROMPT_TOKENS = 1024  # the EvalScope reference sweep: 1024-token prompts ...
OUTPUT_TOKENS = 256  # ... and 256 output tokens
DATASET_ARG_KEYS_HINT = "subset_list, few_shot_num, repeats, local_path, ..."


# -- parsers of single options (generic ones are in option_values.py) -----------------------


def _urls(flag: str, raw: Any) -> tuple[str, ...]:
    """Base URLs (normalised, duplicates dropped); the env var may list several with commas."""
    from pytest_qnext.client import normalize_base_url

    urls = []
    for item in texts(flag, raw):
        for url in (part.strip() for part in item.split(",") if part.strip()):
            try:
                urls.append(normalize_base_url(url))
            except ValueError as exc:
                raise usage_error(flag, str(exc)) from None
    return tuple(dict.fromkeys(urls))


def _sim_spec(flag: str, raw: Any) -> str:
    """A simulator spec, checked here ('default' = the default spec)."""
    spec = text(flag, raw)
    if spec != "default":
        from pytest_qnext.sim import parse_spec

        try:
            parse_spec(spec)
        except ValueError as exc:
            raise usage_error(flag, str(exc)) from None
    return spec


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


def _request_params(example: str) -> Parse:
    """A JSON object merged into request bodies: keys the request builder owns are refused."""
    parse_object = json_object(example)

    def parse(flag: str, raw: Any) -> dict[str, Any]:
        params: dict[str, Any] = parse_object(flag, raw)
        from pytest_qnext.client.body import owned_keys_problem

        problem = owned_keys_problem(params)
        if problem is not None:
            raise usage_error(flag, problem)
        return params

    return parse


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


def _slos(flag: str, raw: Any) -> tuple[Any, ...]:
    from pytest_qnext.perf.slo import SLOError, parse_slo

    try:
        return tuple(parse_slo(item) for item in texts(flag, raw))
    except SLOError as exc:
        raise usage_error(flag, str(exc)) from None


def _regression(flag: str, raw: Any) -> float:
    from pytest_qnext.perf.slo import SLOError, parse_regression

    try:
        return parse_regression(text(flag, raw))
    except SLOError as exc:
        raise usage_error(flag, str(exc)) from None


# -- the table --------------------------------------------------------------------------------

_SPINE = (
    Option(
        "--qnext-url",
        "Server to test: a base like http://127.0.0.1:8801/v1 or a full endpoint URL like "
        "http://127.0.0.1:8801/v1/chat/completions. Repeat for several replicas (each request "
        "goes to the one with the fewest in flight); the env var takes a comma-separated list.",
        _urls,
        default=(),
        default_text="none (see --qnext-sim and --qnext-serve)",
        env=("QNEXT_URL",),
        ini_type="args",
        action="append",
        metavar="URL",
    ),
    Option(
        "--qnext-model",
        "Model name sent in requests.",
        text,
        default_text="the first id listed by the server's /v1/models",
        env=("QNEXT_MODEL",),
        metavar="NAME",
    ),
    Option(
        "--qnext-api-key",
        "API key sent as a Bearer token; never printed or written anywhere.",
        text,
        env=("QNEXT_API_KEY", "OPENAI_API_KEY"),
        metavar="KEY",
    ),
    Option(
        "--qnext-api",
        f"Which OpenAI API to call: {', '.join(API_CHOICES)}.",
        choice(API_CHOICES),
        default="chat",
        env=("QNEXT_API",),
        metavar="API",
    ),
    Option(
        "--qnext-timeout",
        "Seconds one request may take (connect + whole response) before it counts as a timeout.",
        number(minimum=0.001),
        default=600.0,
        metavar="SECONDS",
    ),
    Option(
        "--qnext-retries",
        "Retries after the first try on connect errors, timeouts, 429 and 5xx (exponential "
        "backoff with jitter, honouring Retry-After); never on other 4xx.",
        integer(minimum=0),
        default=3,
        metavar="N",
    ),
    Option(
        "--qnext-sim",
        "Start the built-in simulated server in a subprocess and test it. SPEC is "
        "comma-separated key=value (e.g. 'ttft=0.05,itl=0.01,policy=oracle,p=0.7'; keys as in "
        "`python -m pytest_qnext.sim --help`).",
        _sim_spec,
        default_text="off; SPEC defaults to policy=oracle,p=0.7 with TTFT 50 ms, ITL 10 ms",
        env=("QNEXT_SIM",),
        nargs="?",
        const="default",
        metavar="SPEC",
    ),
    Option(
        "--qnext-serve",
        "Start this server command (e.g. 'vllm serve Qwen/Qwen3-8B --port 8801'), wait for its "
        "/health, test it, and stop it at the end. The URL comes from --qnext-url or the "
        "command's --host/--port.",
        text,
        default_text="off",
        env=("QNEXT_SERVE",),
        metavar="COMMAND",
    ),
    Option(
        "--qnext-serve-timeout",
        "Seconds to wait for the --qnext-serve server's /health.",
        number(minimum=1),
        default=900.0,
        metavar="SECONDS",
    ),
    Option(
        "--qnext-report-dir",
        "Directory for summary.json, samples.jsonl, junit.xml, report.html and perf files.",
        path,
        default=Path(".qnext_report"),
        env=("QNEXT_REPORT_DIR",),
        metavar="DIR",
    ),
)

_CAPABILITY = (
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
        '"general_mcq": {"local_path": "mcq.jsonl"}}.',
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
        _request_params('\'{"temperature": 0.6, "max_tokens": 4096}\''),
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
        "math_500, aime24, aime25).",
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
        "--qnext-baseline",
        "Report dir of an earlier run to compare with (paired on shared sample ids, exact "
        "McNemar).",
        path,
        metavar="DIR",
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
        "--qnext-subsets",
        "Show the per-subset breakdown in the terminal table.",
        flag_value,
        default=False,
        action="store_true",
    ),
)

_PERF = (
    Option(
        "--qnext-parallel",
        "Concurrent requests of each sweep point (closed loop: this many always in flight).",
        integers(minimum=1),
        default=(1,),
        ini_type="args",
        nargs="+",
        metavar="N",
    ),
    Option(
        "--qnext-number",
        "Measured requests of each sweep point, paired with --qnext-parallel (same count of "
        "values), or one value for every point.",
        integers(minimum=1),
        default=(),
        default_text=f"{NUMBER_FACTOR} x parallel",
        ini_type="args",
        nargs="+",
        metavar="N",
    ),
    Option(
        "--qnext-perf-dataset",
        f"Prompt source: {', '.join(PERF_DATASETS)} (openqa/line_by_line: a text or JSONL file of "
        'prompts; custom: JSONL of {"messages": [...]}; both via --qnext-perf-dataset-path).',
        choice(PERF_DATASETS),
        default="random",
        metavar="NAME",
    ),
    Option(
        "--qnext-perf-dataset-path",
        "Prompt file for the openqa, line_by_line and custom datasets.",
        existing_file,
        metavar="FILE",
    ),
    Option(
        "--qnext-min-prompt-length",
        "Shortest prompt in tokens (random dataset).",
        integer(minimum=1),
        default=PROMPT_TOKENS,
        metavar="N",
    ),
    Option(
        "--qnext-max-prompt-length",
        "Longest prompt in tokens (random dataset).",
        integer(minimum=1),
        default=PROMPT_TOKENS,
        metavar="N",
    ),
    Option(
        "--qnext-min-tokens",
        "Fewest output tokens asked for (sent as min_tokens).",
        integer(minimum=0),
        default=OUTPUT_TOKENS,
        metavar="N",
    ),
    Option(
        "--qnext-max-tokens",
        "Most output tokens asked for (sent as max_tokens).",
        integer(minimum=1),
        default=OUTPUT_TOKENS,
        metavar="N",
    ),
    Option(
        "--qnext-tokenizer",
        "Tokenizer folder or hub id for exact prompt lengths and output re-counts (the "
        "simulator uses it too).",
        text,
        default_text="a built-in simple tokenizer (lengths approximate)",
        env=("QNEXT_TOKENIZER",),
        metavar="PATH_OR_HUB_ID",
    ),
    Option(
        "--qnext-extra-args",
        "JSON object merged into every perf request body, e.g. '{\"ignore_eos\": true}'.",
        _request_params("'{\"ignore_eos\": true}'"),
        default={},
        metavar="JSON",
    ),
    Option(
        "--qnext-rate",
        "Open loop: Poisson arrivals at this many requests/s (at most --qnext-parallel in "
        "flight); intended and actual send times are recorded.",
        number(minimum=1e-9),
        default_text="closed loop",
        metavar="REQ_PER_S",
    ),
    Option(
        "--qnext-warmup",
        "Requests sent before each point's measurement window and left out of its metrics.",
        integer(minimum=0),
        default=0,
        metavar="N",
    ),
    Option(
        "--qnext-seed",
        "Seed of perf prompt and arrival draws and of capability bootstrap CIs.",
        integer(minimum=0),
        default=0,
        metavar="N",
    ),
    Option(
        "--qnext-perf-rounds",
        "pytest-benchmark rounds per point (each round runs the whole point; metrics come "
        "from the last).",
        integer(minimum=1),
        default=1,
        metavar="N",
    ),
    Option(
        "--qnext-perf-warmup-rounds",
        "pytest-benchmark warmup rounds per point (run, not measured).",
        integer(minimum=0),
        default=0,
        metavar="N",
    ),
    Option(
        "--qnext-slo",
        "A per-point gate 'METRIC<=LIMIT' or 'METRIC>=LIMIT' (e.g. 'ttft_p99<=2.0', "
        "'output_throughput>=500'); repeat for several; seconds for latencies.",
        _slos,
        default=(),
        ini_type="args",
        action="append",
        metavar="GATE",
    ),
    Option(
        "--qnext-perf-baseline",
        "summary.json (or perf rows JSON) of an earlier run: each point fails when a metric "
        "regressed by more than --qnext-max-regression.",
        existing_file,
        metavar="FILE",
    ),
    Option(
        "--qnext-max-regression",
        "Largest allowed regression against --qnext-perf-baseline: a fraction (0.1) or a "
        "percentage (10 followed by a percent sign).",
        _regression,
        default=0.1,
        metavar="PCT",
    ),
)

TABLE: tuple[Option, ...] = (*_SPINE, *_CAPABILITY, *_PERF)
_BY_FLAG = {opt.flag: opt for opt in TABLE}


# -- reading the table ------------------------------------------------------------------------


def option(flag: str) -> Option:
    """The table's record of `flag` (KeyError for a flag that is not declared)."""
    return _BY_FLAG[flag]


def default(flag: str) -> Any:
    """The default value of `flag` (a fresh copy of a mutable one)."""
    return copy.deepcopy(_BY_FLAG[flag].default)


def add_options(parser: pytest.Parser) -> None:
    """Declare every option of the table: `--qnext-x` (dest `qnext_x`) and the ini key
    `qnext_x`. The CLI default is None so resolution can tell "not given" from a value."""
    group = parser.getgroup(GROUP, "pytest-qnext (LLM server perf and capability gates)")
    for opt in TABLE:
        attrs: dict[str, Any] = {"dest": opt.dest, "default": None, "help": opt.full_help}
        for name in ("metavar", "nargs", "action", "const"):
            if getattr(opt, name) is not None:
                attrs[name] = getattr(opt, name)
        group.addoption(opt.flag, **attrs)
        if opt.negation is not None:
            group.addoption(
                opt.negation.flag,
                dest=opt.dest,
                action="store_false",
                default=None,
                help=f"{opt.negation.help} Default: {opt.shown_default}.",
            )
        if opt.ini_type is not None:
            parser.addini(opt.dest, help=f"{opt.help} (same as {opt.flag}).", type=opt.ini_type)  # type: ignore[arg-type]


def _is_unset(raw: object) -> bool:
    return raw is None or raw == "" or raw == [] or raw == ()


def _raw(config: pytest.Config, opt: Option) -> Any:
    """The raw value given for `opt`: CLI, else ini key, else the first env var set; or None."""
    raw = config.getoption(opt.dest, default=None)
    if not _is_unset(raw):
        return raw
    if opt.ini_type is not None:
        try:
            raw = config.getini(opt.dest)
        except ValueError:
            raw = None
        if not _is_unset(raw):
            return raw
    for var in opt.env:
        if os.environ.get(var):
            return os.environ[var]
    return None


def any_given_explicitly(config: pytest.Config) -> bool:
    """Whether any --qnext-* option was given on the command line or in the ini file
    (environment variables do not count: OPENAI_API_KEY alone does not mean a qnext run)."""
    for opt in TABLE:
        if not _is_unset(config.getoption(opt.dest, default=None)):
            return True
        if opt.ini_type is not None:
            try:
                if not _is_unset(config.getini(opt.dest)):
                    return True
            except ValueError:
                continue
    return False


def given(config: pytest.Config, flag: str) -> Any:
    """The parsed value of `flag` when it was given (CLI, ini or env), else None."""
    opt = _BY_FLAG[flag]
    raw = _raw(config, opt)
    return None if raw is None else opt.parse(flag, raw)


def value(config: pytest.Config, flag: str) -> Any:
    """The parsed value of `flag`, or its default when it was not given."""
    found = given(config, flag)
    return default(flag) if found is None else found
