"""Load IFEval (541 prompts) from `<data_dir>/ifeval/input_data.jsonl` or the hub's google/IFEval.

Both paths go through `datasets.load_dataset` and the same row parsing. A row becomes a Sample
with id = `key`, input = the prompt verbatim, target = "" and metadata holding
`instruction_id_list` and `kwargs` (one dict per instruction, with the None fields Arrow adds
for other instructions' kwargs removed). Every row's instructions are built once at load time,
so a malformed row fails the load with one line instead of failing at scoring time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.ifeval.checkers import InstructionError, configure_nltk
from pytest_qnext.evals.ifeval.scorer import build_checkers
from pytest_qnext.sample import Message, Sample

__all__ = ["HUB_ID", "LOCAL_FILE", "load", "prompt", "row_to_sample"]

HUB_ID = "google/IFEval"
LOCAL_FILE = Path("ifeval") / "input_data.jsonl"
_COLUMNS = ("key", "prompt", "instruction_id_list", "kwargs")


def _clean_kwargs(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (entry or {}).items() if v is not None}


def row_to_sample(row: Mapping[str, Any]) -> Sample:
    """One dataset record -> Sample; `InstructionError` when its instructions are malformed."""
    ids = [str(i) for i in row["instruction_id_list"]]
    kwargs = [_clean_kwargs(entry) for entry in row["kwargs"]]
    sample = Sample(
        id=str(row["key"]),
        input=str(row["prompt"]),
        target="",
        metadata={"instruction_id_list": ids, "kwargs": kwargs},
    )
    try:
        build_checkers(ids, kwargs)
    except InstructionError as exc:
        raise InstructionError(f"ifeval sample {sample.id}: {exc}") from None
    return sample


def _read(ctx: LoadContext) -> tuple[Iterable[Mapping[str, Any]], list[str], str]:
    import datasets  # heavy; imported only when loading

    if ctx.data_dir is not None:
        path = Path(ctx.data_dir) / LOCAL_FILE
        if not path.is_file():
            raise DatasetUnavailable(
                f"ifeval: {path} not found; --qnext-data-dir must hold {LOCAL_FILE} "
                f"(or omit it to load {HUB_ID} from the hub)"
            )
        try:
            ds = datasets.load_dataset("json", data_files=str(path), split="train")
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DatasetUnavailable(f"ifeval: could not read {path}: {reason}") from None
        return ds, list(ds.column_names), str(path)
    try:
        ds = datasets.load_dataset(HUB_ID, split="train")
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatasetUnavailable(
            f"ifeval: could not load hub dataset {HUB_ID} ({type(exc).__name__}: {reason}); "
            f"pass --qnext-data-dir DIR with {LOCAL_FILE} inside for offline use"
        ) from None
    return ds, list(ds.column_names), HUB_ID


def load(ctx: LoadContext) -> list[Sample]:
    """All IFEval samples in file order.

    `ctx.args["nltk_data"]` (optional) names a directory holding NLTK's punkt_tab; otherwise
    `NLTK_DATA` / NLTK's default paths are used. Missing punkt_tab fails here, before any
    request is sent.
    """
    nltk_data = ctx.args.get("nltk_data")
    configure_nltk(str(nltk_data) if nltk_data else None)
    rows, columns, source = _read(ctx)
    missing = [c for c in _COLUMNS if c not in columns]
    if missing:
        raise DatasetUnavailable(
            f"ifeval: {source} lacks column(s) {', '.join(missing)}; expected the google/IFEval "
            f"schema ({', '.join(_COLUMNS)})"
        )
    try:
        samples = [row_to_sample(row) for row in rows]
    except InstructionError as exc:
        raise DatasetUnavailable(f"ifeval: {source}: {exc}") from None
    seen: set[str] = set()
    for sample in samples:
        if sample.id in seen:
            raise DatasetUnavailable(f"ifeval: {source} has duplicate key {sample.id}")
        seen.add(sample.id)
    return samples


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    """A single user message carrying the prompt verbatim."""
    return [{"role": "user", "content": sample.input}]
