"""Shared loader helpers: read a benchmark's records from local files or from the hub.

Every loader goes through the real `datasets` code path:

* with `--qnext-data-dir DIR` (or a per-dataset `local_path` argument) the records come from
  files in the hub schema, read with `datasets.load_dataset("json" | "csv" | "parquet",
  data_files=...)`, in file order;
* otherwise from `datasets.load_dataset(hub_id, subset, split=split)`.

Neither available -> one `DatasetUnavailable` line naming the dataset, the hub id tried and
the `--qnext-data-dir` option. Without network this is quick: before touching the hub we make
one short TCP connection to the hub endpoint (skipped when `HF_HUB_OFFLINE`/`HF_DATASETS_OFFLINE`
is set, in which case `datasets` serves its local cache, or when a proxy is configured), so the
hub client's retry loop never runs against an unreachable host.

Dataset arguments understood here (from `--qnext-dataset-args`):

* `local_path`: a file (used as is) or a folder laid out like `<data_dir>/<dataset folder>`;
  overrides `--qnext-data-dir` for this dataset.
* `dataset_id`: another hub id (e.g. a private mirror); overrides the benchmark's default.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext

__all__ = [
    "DEMO_DATA_DIR",
    "BadDatasetArgs",
    "hub_id_for",
    "load_records",
    "local_files",
    "local_root",
    "one_line",
    "present_subsets",
]

log = logging.getLogger("pytest_qnext.evals")

#: Bundled demo rows (a few per dataset) in the same layout as `--qnext-data-dir`.
DEMO_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"

_READERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
_PROBE_TIMEOUT_S = 3.0


class BadDatasetArgs(DatasetUnavailable):
    """A dataset argument (subset_list, few_shot_num, ...) has an invalid value."""


def one_line(exc: BaseException | str, limit: int = 200) -> str:
    """The first line of a message (prefixed by the exception type), shortened to `limit`."""
    msg = str(exc).strip()
    first = msg.splitlines()[0].strip() if msg else ""
    if isinstance(exc, BaseException):
        first = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return first if len(first) <= limit else first[: limit - 3] + "..."


def hub_id_for(ctx: LoadContext, default: str) -> str:
    """The hub id to use: the `dataset_id` dataset argument, else the benchmark's default."""
    override = ctx.args.get("dataset_id")
    return str(override) if override else default


def local_root(ctx: LoadContext, dataset_folder: str) -> Path | None:
    """Where this dataset's local files live, or None when no local source was given.

    `local_path` (a folder) stands for `<data_dir>/<dataset_folder>`; a `local_path` file is
    handled by `local_files`.
    """
    override = ctx.args.get("local_path")
    if override:
        path = Path(str(override)).expanduser()
        return path if path.is_dir() else path.parent
    if ctx.data_dir is not None:
        return Path(ctx.data_dir).expanduser() / dataset_folder
    return None


def local_files(ctx: LoadContext, local_glob: str) -> list[Path] | None:
    """Local files matching `local_glob` (relative to the data dir), sorted; None = no local source.

    The first path component of `local_glob` is the dataset's folder. An empty list means a
    local source was given but holds no matching file.
    """
    folder, _, rest = local_glob.partition("/")
    override = ctx.args.get("local_path")
    if override and Path(str(override)).expanduser().is_file():
        return [Path(str(override)).expanduser()]
    root = local_root(ctx, folder)
    if root is None:
        return None
    pattern = rest or folder
    if not any(ch in pattern for ch in "*?["):
        path = root / pattern
        return [path] if path.is_file() else []
    return sorted(p for p in root.glob(pattern) if p.is_file())


def _source_label(ctx: LoadContext, local_glob: str) -> str:
    override = ctx.args.get("local_path")
    if override:
        return f"local_path {override}"
    return f"--qnext-data-dir {ctx.data_dir}"


def _reader(path: Path) -> str:
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        valid = ", ".join(sorted(_READERS))
        raise DatasetUnavailable(f"cannot read {path}: unknown file type (valid: {valid})")
    return reader


def _read_local(
    dataset: str, paths: Sequence[Path], csv_features: Mapping[str, str] | None
) -> list[dict[str, Any]]:
    import datasets

    records: list[dict[str, Any]] = []
    for path in paths:
        reader = _reader(path)
        kwargs: dict[str, Any] = {}
        if reader == "csv":
            kwargs["keep_default_na"] = False  # empty cells stay "" (not NaN), like the hub
            if csv_features:
                kwargs["features"] = datasets.Features(
                    {name: datasets.Value(kind) for name, kind in csv_features.items()}
                )
        try:
            table = datasets.load_dataset(reader, data_files=str(path), split="train", **kwargs)
        except Exception as exc:  # datasets raises many types; all mean "this file is bad"
            raise DatasetUnavailable(f"{dataset}: cannot read {path} ({one_line(exc)})") from exc
        records.extend(table.to_list())
    return records


@functools.cache
def _hub_reachable() -> str | None:
    """None when the hub endpoint accepts a TCP connection, else the reason it does not."""
    try:
        from huggingface_hub import constants

        endpoint = str(constants.ENDPOINT)
    except Exception:  # pragma: no cover - huggingface_hub is a datasets dependency
        endpoint = "https://huggingface.co"
    parsed = urlparse(endpoint)
    host = parsed.hostname or "huggingface.co"
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S):
            return None
    except OSError as exc:
        return f"hub endpoint {host}:{port} unreachable: {one_line(exc)}"


def _proxied() -> bool:
    names = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
    return any(os.environ.get(name) for name in names)


def _read_hub(hub_id: str, subset: str | None, split: str) -> list[dict[str, Any]]:
    import datasets

    # offline mode: datasets serves its local cache without touching the network
    if not datasets.config.HF_HUB_OFFLINE and not _proxied():
        reason = _hub_reachable()
        if reason is not None:
            raise ConnectionError(reason)
    table = datasets.load_dataset(hub_id, subset, split=split)
    return list(table.to_list())


def load_records(
    ctx: LoadContext,
    *,
    dataset: str,
    hub_id: str,
    subset: str | None,
    split: str,
    local_glob: str,
    csv_features: Mapping[str, str] | None = None,
    layout: str | None = None,
) -> list[dict[str, Any]]:
    """Records of one (subset, split) of a dataset, local files first, else the hub.

    `local_glob` is relative to `--qnext-data-dir`, e.g. "mmlu_redux/abstract_algebra.jsonl" or
    "mmlu_pro/test.jsonl"; several matches are read in sorted order and concatenated. CSV
    columns named in `csv_features` get that `datasets.Value` type (e.g. "string"), so option
    texts like "01" stay strings. `layout` describes the expected local layout in error
    messages (default: `local_glob`).
    """
    import datasets

    datasets.disable_progress_bars()
    expected = layout or f"{local_glob} in the hub schema"
    paths = local_files(ctx, local_glob)
    if paths is not None:
        if not paths:
            raise DatasetUnavailable(
                f"{dataset}: no file {local_glob} under {_source_label(ctx, local_glob)}; "
                f"expected layout: {expected}"
            )
        return _read_local(dataset, paths, csv_features)
    where = hub_id if subset is None else f"{hub_id} ({subset}, split {split})"
    try:
        return _read_hub(hub_id, subset, split)
    except Exception as exc:
        raise DatasetUnavailable(
            f"{dataset}: could not load hub dataset {where} ({one_line(exc)}) and no "
            f"--qnext-data-dir given; pass --qnext-data-dir DIR with {expected}"
        ) from exc


def present_subsets(
    ctx: LoadContext, *, dataset: str, subsets: Sequence[str], local_glob: str
) -> list[str]:
    """The subsets to load, for datasets stored as one local file per subset.

    `local_glob` has a `{subset}` placeholder, e.g. "ceval/val/{subset}_val.csv". Policy:

    * no local source (hub): all `subsets`;
    * `subset_list` given: all `subsets` (a missing file is then a one-line error from
      `load_records`, naming it);
    * no `subset_list`, local source: the subsets whose file exists, in `subsets` order (partial
      local copies such as the offline C-Eval sample still run; the skipped ones are logged and
      the report's per-subset counts show what ran); none present -> one-line error.
    """
    if ctx.subset_list or local_files(ctx, local_glob.format(subset=subsets[0])) is None:
        return list(subsets)
    present = [s for s in subsets if local_files(ctx, local_glob.format(subset=s))]
    if not present:
        raise DatasetUnavailable(
            f"{dataset}: no subset file {local_glob} under {_source_label(ctx, local_glob)}"
        )
    if len(present) < len(subsets):
        log.info(
            "%s: %d of %d subsets present locally; the others are skipped "
            "(name them in subset_list to require them)",
            dataset,
            len(present),
            len(subsets),
        )
    return present
