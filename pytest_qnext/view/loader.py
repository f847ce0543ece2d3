"""The one place that knows the report files' shapes: discovery, summary facts, sample rows.

A *report dir* is any folder holding a `summary.json`. A capability run has a `table` in it and
a `samples.jsonl` beside it; a perf run has a `perf` list and a `perf.jsonl`; a run may be both.
`discover(roots)` walks each root without following symlinks, so `ROOT/latest`-style links do
not list a run twice (a root given on the command line may itself be a link).

Sample rows are read as files, tolerating older rows: `messages` (a list of {role, content},
or null when the benchmark withholds its text, e.g. GPQA) and the nested `details` dict may be
absent; benchmark values that older rows kept at the top level are gathered into `details`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "PERF_FILE",
    "SAMPLES_FILE",
    "SUMMARY_FILE",
    "LoadError",
    "Run",
    "brief_row",
    "discover",
    "load_run",
    "normalise_row",
    "read_perf_records",
    "row_score",
    "search_text",
    "summary_date",
]

SUMMARY_FILE = "summary.json"
SAMPLES_FILE = "samples.jsonl"
PERF_FILE = "perf.jsonl"

# the row fields the viewer shows in their own places; anything else goes to `details`
_ROW_FIELDS = frozenset(
    {
        "dataset",
        "subset",
        "sample_id",
        "repeat",
        "outcome",
        "metrics",
        "prediction",
        "reasoning",
        "extracted",
        "target",
        "explanation",
        "finish_reason",
        "usage",
        "latency",
        "retried",
        "cached",
        "skip_reason",
        "messages",
        "details",
    }
)


class LoadError(Exception):
    """A report file cannot be read; the message is one line naming the file and the fix."""


@dataclass
class Run:
    """One report dir: its summary and the facts the runs list shows."""

    id: str
    path: Path
    summary: dict[str, Any]
    mtime: float
    has_samples: bool
    has_perf_records: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def is_capability(self) -> bool:
        return bool(self.summary.get("table")) or self.has_samples

    @property
    def is_perf(self) -> bool:
        return bool(self.summary.get("perf")) or self.has_perf_records

    @property
    def kinds(self) -> list[str]:
        return [k for k, on in (("capability", self.is_capability), ("perf", self.is_perf)) if on]

    @property
    def datasets(self) -> dict[str, dict[str, Any]]:
        value = self.summary.get("datasets")
        return dict(value) if isinstance(value, Mapping) else {}

    @property
    def model(self) -> str:
        for key in ("model", "model_id"):
            if isinstance(self.summary.get(key), str):
                return str(self.summary[key])
        for fp in _mapping(self.summary.get("fingerprint")).values():
            if isinstance(fp, Mapping) and fp.get("model"):
                return str(fp["model"])
        for point in self.perf_points:
            if point.get("model"):
                return str(point["model"])
        return "-"

    @property
    def date(self) -> str:
        """The summary's own date, else the time summary.json was written."""
        return summary_date(self.summary) or datetime.fromtimestamp(
            self.mtime, tz=timezone.utc
        ).strftime("%Y-%m-%d %H:%M UTC")

    @property
    def complete(self) -> bool | None:
        value = self.summary.get("complete")
        return value if isinstance(value, bool) else None

    @property
    def fingerprint(self) -> str:
        """A short hash of the run's fingerprint block ('-' when it has none)."""
        fp = self.summary.get("fingerprint")
        if not fp:
            return "-"
        text = json.dumps(fp, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]

    @property
    def perf_points(self) -> list[dict[str, Any]]:
        points = self.summary.get("perf")
        if not isinstance(points, list):
            return []
        good = [dict(p) for p in points if isinstance(p, Mapping) and "parallel" in p]
        return sorted(good, key=lambda p: (_num(p.get("parallel")), _num(p.get("number"))))

    def primary_metric(self, dataset: str) -> str | None:
        info = self.datasets.get(dataset) or {}
        metric = info.get("primary_metric")
        if isinstance(metric, str):
            return metric
        for row in self.summary.get("table") or []:
            if isinstance(row, Mapping) and row.get("dataset_name") == dataset:
                return str(row.get("metric"))
        return None

    def headline(self) -> list[tuple[str, float | None]]:
        """(dataset, primary score) for every dataset, in the summary's order."""
        return [(name, _score(info.get("score"))) for name, info in self.datasets.items()]


def summary_date(summary: Mapping[str, Any]) -> str | None:
    """When the run happened, if the summary says so."""
    for key in ("finished", "created", "started", "date"):
        if isinstance(summary.get(key), str):
            return str(summary[key])
    return None


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _score(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _run_id(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.name
    base = root.name if rel in ("", ".") else rel
    return re.sub(r"[^A-Za-z0-9._/-]+", "_", base) or "run"


def _report_dirs(root: Path) -> Iterator[Path]:
    """Folders under `root` (and root itself) holding a summary.json; symlinks are skipped."""
    if (root / SUMMARY_FILE).is_file():
        yield root
    for dirpath, dirnames, _files in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not (here / d).is_symlink())
        for name in dirnames:
            if (here / name / SUMMARY_FILE).is_file():
                yield here / name


def load_run(path: Path, run_id: str) -> Run:
    """The Run of report dir `path`; LoadError with one line when its summary is unreadable."""
    summary_path = path / SUMMARY_FILE
    try:
        text = summary_path.read_text(encoding="utf-8")
        mtime = summary_path.stat().st_mtime
    except OSError as exc:
        raise LoadError(f"{summary_path}: cannot read it ({exc.strerror or exc})") from None
    try:
        summary = json.loads(text)
    except ValueError as exc:
        raise LoadError(f"{summary_path}: not valid JSON ({exc}); rerun the tests") from None
    if not isinstance(summary, dict):
        raise LoadError(f"{summary_path}: expected a JSON object, got {type(summary).__name__}")
    return Run(
        id=run_id,
        path=path,
        summary=summary,
        mtime=mtime,
        has_samples=(path / SAMPLES_FILE).is_file(),
        has_perf_records=(path / PERF_FILE).is_file(),
    )


def discover(roots: Sequence[Path]) -> tuple[list[Run], list[str]]:
    """(runs, problems): every readable report dir under `roots`, newest first, with unique
    ids (relative paths); problems name the unreadable ones, one line each."""
    runs: list[Run] = []
    problems: list[str] = []
    seen: set[Path] = set()
    ids: set[str] = set()
    for root in roots:
        root = Path(root)
        if not root.exists():
            problems.append(f"{root}: no such folder")
            continue
        for path in _report_dirs(root):
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            run_id = _run_id(path, root)
            if len(roots) > 1 and path != root:
                run_id = f"{_run_id(root, root.parent)}/{run_id}"
            base, n = run_id, 2
            while run_id in ids:
                run_id, n = f"{base}~{n}", n + 1
            ids.add(run_id)
            try:
                runs.append(load_run(path, run_id))
            except LoadError as exc:
                problems.append(str(exc))
    runs.sort(key=lambda r: (-r.mtime, r.id))
    return runs, problems


def _details(row: Mapping[str, Any]) -> dict[str, Any]:
    details = dict(_mapping(row.get("details")))
    for key, value in row.items():
        if key not in _ROW_FIELDS and key not in details:
            details[key] = value
    return details


def _messages(value: Any) -> list[dict[str, str]] | None:
    if not isinstance(value, list):
        return None
    out = []
    for msg in value:
        if isinstance(msg, Mapping):
            content = msg.get("content")
            if not isinstance(content, str):
                content = json.dumps(content, ensure_ascii=False, default=str)
            out.append({"role": str(msg.get("role", "?")), "content": content})
    return out


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def normalise_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A sample row as the viewer shows it (every field present; `messages_state` says whether
    the prompt is `shown`, `withheld` (null in the file) or `absent` (an older row))."""
    if "messages" not in row:
        state = "absent"
    elif row["messages"] is None:
        state = "withheld"
    else:
        state = "shown"
    retried = row.get("retried")
    return {
        "dataset": _text(row.get("dataset")),
        "subset": _text(row.get("subset")) or "default",
        "sample_id": _text(row.get("sample_id")),
        "repeat": row.get("repeat") if isinstance(row.get("repeat"), int) else 0,
        "outcome": _text(row.get("outcome")) or "?",
        "metrics": dict(_mapping(row.get("metrics"))),
        "prediction": _text(row.get("prediction")),
        "reasoning": _text(row.get("reasoning")),
        "extracted": row.get("extracted"),
        "target": row.get("target"),
        "explanation": _text(row.get("explanation") or row.get("skip_reason")),
        "finish_reason": row.get("finish_reason"),
        "usage": row.get("usage") if isinstance(row.get("usage"), Mapping) else None,
        "latency": row.get("latency") if isinstance(row.get("latency"), int | float) else None,
        "retried": list(retried) if isinstance(retried, list) else [],
        "cached": bool(row.get("cached")),
        "messages": _messages(row.get("messages")),
        "messages_state": state,
        "details": _details(row),
    }


def brief_row(row: Mapping[str, Any], preview_chars: int) -> dict[str, Any]:
    """The few fields a sample list shows (a cheap subset of `normalise_row`)."""
    text = row.get("prediction") or row.get("reasoning") or ""
    if not isinstance(text, str):
        text = str(text)
    repeat = row.get("repeat")
    return {
        "dataset": _text(row.get("dataset")),
        "subset": _text(row.get("subset")) or "default",
        "sample_id": _text(row.get("sample_id")),
        "repeat": repeat if isinstance(repeat, int) else 0,
        "outcome": _text(row.get("outcome")) or "?",
        "extracted": row.get("extracted"),
        "target": row.get("target"),
        "preview": text[:preview_chars],
        "chars": len(text),
    }


def search_text(row: Mapping[str, Any]) -> str:
    """What text search looks in: sample id, prompt, response, reasoning, extracted answer."""
    messages = row.get("messages")
    prompt = ""
    if isinstance(messages, list):
        prompt = "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, Mapping))
    extracted = row.get("extracted")
    parts = (row.get("sample_id"), prompt, row.get("prediction"), row.get("reasoning"), extracted)
    return "\n".join("" if p is None else str(p) for p in parts).casefold()


def row_score(row: Mapping[str, Any], metric: str | None) -> float | None:
    """num/den of `metric` (or of the row's first metric) in a row; None when it has none."""
    metrics = _mapping(row.get("metrics"))
    pair = metrics.get(metric) if metric else None
    if pair is None and metrics:
        pair = next(iter(metrics.values()))
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return None
    num, den = pair
    if not isinstance(num, int | float) or not isinstance(den, int | float) or den <= 0:
        return None
    return float(num) / float(den)


def read_perf_records(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The measured (non-warmup) rows of a perf.jsonl; malformed lines are skipped."""
    out: list[dict[str, Any]] = []
    try:
        handle = path.open(encoding="utf-8")
    except OSError:
        return out
    with handle:
        for line in handle:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and not rec.get("warmup"):
                out.append(rec)
                if limit is not None and len(out) >= limit:
                    break
    return out
