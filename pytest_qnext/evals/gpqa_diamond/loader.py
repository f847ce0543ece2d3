"""GPQA-Diamond loader, per-repeat choice shuffle and prompt.

GPQA's authors ask that its questions never appear in plain text online. So this module never
logs or prints question or choice text, `GpqaSample`'s repr shows only id, domain and target,
and local copies are read from the password-protected zip straight into memory.

Sample id = `Record ID`; subset = `High-level domain` (Biology, Chemistry, Physics). The four
choices are stored in canonical order (correct, incorrect 1-3) permuted by `shuffle_order`:
a permutation seeded with sha256(`<Record ID>:<repeat index>`), so repeat k of a question
always shows the same order and cached answers re-score identically. `load` returns repeat 0;
`for_repeat(sample, k)` re-shuffles for repeat k.

Local layout: `gpqa_diamond/gpqa_diamond.zip` holding `gpqa_diamond.csv` (the original GPQA CSV;
dataset argument `zip_password`, default the GPQA release password) or an unencrypted
`gpqa_diamond/gpqa_diamond.csv`. Hub: `Idavidrein/gpqa`, config `gpqa_diamond`, split `train`
(gated: accept its terms and log in first).
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.hub import hub_id_for, load_records, local_files, one_line
from pytest_qnext.evals.mcq import check_few_shot, check_subsets, user_prompt
from pytest_qnext.sample import Message, Sample

__all__ = [
    "DOMAINS",
    "HUB_ID",
    "GpqaSample",
    "for_repeat",
    "load",
    "prompt",
    "row_to_sample",
    "shuffle_order",
]

HUB_ID = "Idavidrein/gpqa"
HUB_CONFIG = "gpqa_diamond"
DOMAINS = ("Biology", "Chemistry", "Physics")
DEFAULT_ZIP_PASSWORD = "deserted-untie-orchid"  # published by the GPQA authors with their zip
_LETTERS = "ABCD"
_ANSWER_COLUMNS = (
    "Correct Answer",
    "Incorrect Answer 1",
    "Incorrect Answer 2",
    "Incorrect Answer 3",
)
_LAYOUT = "gpqa_diamond/gpqa_diamond.zip (encrypted GPQA CSV) or gpqa_diamond/gpqa_diamond.csv"


class GpqaSample(Sample):
    """A Sample whose repr never shows GPQA question or choice text."""

    def __repr__(self) -> str:
        return (
            f"GpqaSample(id={self.id!r}, subset={self.subset!r}, target={self.target!r}, "
            "text hidden)"
        )

    __str__ = __repr__


def shuffle_order(record_id: str, repeat: int) -> tuple[int, ...]:
    """Canonical choice indices in display order for (question, repeat); 0 = the correct one."""
    digest = hashlib.sha256(f"{record_id}:{repeat}".encode()).digest()
    order = list(range(len(_ANSWER_COLUMNS)))
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(order)
    return tuple(order)


def _arrange(sample: Sample, canonical: Sequence[str], repeat: int) -> GpqaSample:
    order = shuffle_order(sample.id, repeat)
    meta = dict(sample.metadata)
    meta["order"] = order
    meta["repeat"] = repeat
    return GpqaSample(
        id=sample.id,
        input=sample.input,
        target=_LETTERS[order.index(0)],
        choices=tuple(canonical[i] for i in order),
        subset=sample.subset,
        metadata=meta,
    )


def _canonical(sample: Sample) -> list[str]:
    order: Sequence[int] = sample.metadata["order"]
    canonical = [""] * len(order)
    for shown, original in enumerate(order):
        canonical[original] = sample.choices[shown]
    return canonical


def for_repeat(sample: Sample, k: int) -> Sample:
    """`sample` with its choices in repeat k's order and the target letter moved with them."""
    if sample.metadata.get("repeat") == k:
        return sample
    return _arrange(sample, _canonical(sample), k)


def row_to_sample(row: Mapping[str, Any]) -> GpqaSample:
    """One GPQA CSV/hub record -> repeat-0 sample. Errors name only the Record ID."""
    rid = str(row.get("Record ID") or "").strip()
    missing = [c for c in ("Question", *_ANSWER_COLUMNS) if not str(row.get(c) or "").strip()]
    if not rid or missing:
        raise DatasetUnavailable(
            f"gpqa_diamond: record {rid or '(no Record ID)'} lacks "
            f"{', '.join(missing) or 'Record ID'}"
        )
    base = Sample(
        id=rid,
        input=str(row["Question"]).strip(),
        target="A",
        choices=(),
        subset=str(row.get("High-level domain") or "").strip(),
        metadata={"subdomain": str(row.get("Subdomain") or "").strip()},
    )
    return _arrange(base, [str(row[c]).strip() for c in _ANSWER_COLUMNS], 0)


def _read_zip(ctx: LoadContext, path: Path) -> list[dict[str, str]]:
    password = str(ctx.args.get("zip_password") or DEFAULT_ZIP_PASSWORD).encode()
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".csv")]
            if not names:
                raise DatasetUnavailable(f"gpqa_diamond: {path} holds no .csv file")
            text = archive.read(names[0], pwd=password).decode("utf-8")
    except (zipfile.BadZipFile, RuntimeError, OSError, UnicodeDecodeError) as exc:
        raise DatasetUnavailable(
            f"gpqa_diamond: cannot read {path} ({one_line(exc)}); check the file and "
            "the zip_password dataset argument"
        ) from None
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _records(ctx: LoadContext) -> list[dict[str, Any]]:
    zips = local_files(ctx, "gpqa_diamond/gpqa_diamond.zip")
    if zips and zips[0].suffix.lower() == ".zip":
        return list(_read_zip(ctx, zips[0]))
    return load_records(
        ctx,
        dataset="gpqa_diamond",
        hub_id=hub_id_for(ctx, HUB_ID),
        subset=HUB_CONFIG,
        split="train",
        local_glob="gpqa_diamond/gpqa_diamond.csv",
        layout=_LAYOUT,
    )


def load(ctx: LoadContext) -> list[Sample]:
    """All 198 questions (or the requested domains), in file order, repeat-0 choice order."""
    domains = set(check_subsets("gpqa_diamond", ctx, DOMAINS))
    check_few_shot("gpqa_diamond", ctx, 0)
    samples = [row_to_sample(r) for r in _records(ctx)]
    return [s for s in samples if s.subset in domains]


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    """EvalScope's GPQA zero-shot template: instruction, question, "A) …" choices."""
    return [{"role": "user", "content": user_prompt(sample, layout="plain")}]
