"""LiveCodeBench code generation data: release versions, the date window, decoding the tests.

Records have the schema of HF `livecodebench/code_generation_lite`: `question_title,
question_content, platform, question_id, contest_id, contest_date, starter_code, difficulty,
public_test_cases` (a JSON list of {input, output, testtype}), `private_test_cases` (the same
list, either as JSON or as base64(zlib(pickle(JSON string)))) and `metadata` (JSON; `func_name`
for call-based problems). A release version is a set of the dataset's files (`RELEASE_FILES`,
as the dataset's own loader maps them); the date window keeps problems whose `contest_date` lies
in [start_date, end_date], compared as datetimes with the dates at midnight (as the official
runner does: a problem dated later on `end_date` itself is left out).

Private tests are unpickled by `decode_private_tests` with an unpickler that resolves no
class or function at all, so a crafted record can build nothing but plain data; anything but
the expected JSON string is a one-line dataset error.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable
from pytest_qnext.evals.hub import BadDatasetArgs

__all__ = [
    "DATE_FORMAT",
    "DIFFICULTIES",
    "MAX_DECODED_BYTES",
    "PLATFORMS",
    "RELEASE_FILES",
    "decode_private_tests",
    "decode_tests",
    "in_window",
    "parse_date",
    "releases_for",
    "row_to_fields",
]

PLATFORMS = ("leetcode", "codeforces", "atcoder")
DIFFICULTIES = ("easy", "medium", "hard")
DATE_FORMAT = "%Y-%m-%d"
#: The largest decompressed private-test payload we accept (a zlib bomb is a dataset error).
MAX_DECODED_BYTES = 1 << 30
_FILES = ("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl", "test6.jsonl")


def _release_files() -> dict[str, tuple[str, ...]]:
    """Release name -> files: release_vN = files 1..N; vN = file N; vA_vB = files A..B."""
    mapping: dict[str, tuple[str, ...]] = {"release_latest": _FILES}
    for last in range(1, len(_FILES) + 1):
        mapping[f"release_v{last}"] = _FILES[:last]
        mapping[f"v{last}"] = (_FILES[last - 1],)
    for first in range(1, len(_FILES) + 1):
        for last in range(first + 1, len(_FILES) + 1):
            mapping[f"v{first}_v{last}"] = _FILES[first - 1 : last]
    return mapping


RELEASE_FILES: dict[str, tuple[str, ...]] = _release_files()
_REQUIRED = (
    "question_id",
    "question_content",
    "platform",
    "contest_date",
    "difficulty",
    "public_test_cases",
    "private_test_cases",
    "metadata",
)


class _PlainDataOnly(pickle.Unpickler):
    """Resolves no global: REDUCE/BUILD/NEWOBJ have nothing to call, so nothing runs."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refers to {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("uses a persistent id")


def decode_private_tests(text: str, where: str) -> list[dict[str, Any]]:
    """The private test list of one record (JSON, or base64 -> zlib -> pickle -> JSON string)."""
    try:
        return _test_list(json.loads(text), where, "private_test_cases")
    except ValueError:
        pass
    try:
        packed = base64.b64decode(text.encode("ascii"), validate=False)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_DECODED_BYTES)
        if inflater.unconsumed_tail:
            raise DatasetUnavailable(
                f"{where}: private_test_cases inflate past {MAX_DECODED_BYTES} bytes"
            )
        payload = _PlainDataOnly(io.BytesIO(raw)).load()
    except DatasetUnavailable:
        raise
    except (binascii.Error, UnicodeEncodeError, zlib.error) as exc:
        raise DatasetUnavailable(
            f"{where}: private_test_cases is neither JSON nor base64(zlib(pickle)) ({exc})"
        ) from None
    except Exception as exc:  # any unpickling failure: refused global, truncated stream, ...
        raise DatasetUnavailable(
            f"{where}: private_test_cases is not a pickled JSON string ({type(exc).__name__}: "
            f"{str(exc)[:100]}); refusing to load it"
        ) from None
    if not isinstance(payload, str):
        raise DatasetUnavailable(
            f"{where}: private_test_cases unpickles to {type(payload).__name__}, not a JSON "
            "string; refusing to load it"
        )
    try:
        return _test_list(json.loads(payload), where, "private_test_cases")
    except ValueError as exc:
        raise DatasetUnavailable(f"{where}: private_test_cases is not JSON ({exc})") from None


def _test_list(value: Any, where: str, column: str) -> list[dict[str, Any]]:
    ok = isinstance(value, list) and all(
        isinstance(t, dict) and isinstance(t.get("input"), str) and isinstance(t.get("output"), str)
        for t in value
    )
    if not ok:
        raise DatasetUnavailable(f"{where}: {column} is not a list of {{input, output}} objects")
    return list(value)


def decode_tests(fields: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    """Public then private tests of a record (the official order)."""
    try:
        public = _test_list(json.loads(fields["public_test_cases"]), where, "public_test_cases")
    except ValueError as exc:
        raise DatasetUnavailable(f"{where}: public_test_cases is not JSON ({exc})") from None
    return public + decode_private_tests(str(fields["private_test_cases"]), where)


def parse_date(value: Any, name: str) -> datetime | None:
    """A `YYYY-MM-DD` dataset argument as a datetime at midnight (None stays None)."""
    if value is None or value == "":
        return None
    try:
        return datetime.strptime(str(value), DATE_FORMAT)
    except ValueError:
        raise BadDatasetArgs(
            f"live_code_bench: {name} {value!r} is not a date like 2025-01-01 (YYYY-MM-DD)"
        ) from None


def row_to_fields(row: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check one record's columns; the fields a Sample keeps (tests stay encoded)."""
    missing = [c for c in _REQUIRED if row.get(c) in (None, "")]
    if missing:
        raise DatasetUnavailable(f"{where} lacks {', '.join(missing)}")
    platform, difficulty = str(row["platform"]), str(row["difficulty"])
    if platform not in PLATFORMS:
        raise DatasetUnavailable(f"{where}: platform {platform!r}; valid {', '.join(PLATFORMS)}")
    if difficulty not in DIFFICULTIES:
        valid = ", ".join(DIFFICULTIES)
        raise DatasetUnavailable(f"{where}: difficulty {difficulty!r}; valid {valid}")
    try:
        contest_date = datetime.fromisoformat(str(row["contest_date"]))
    except ValueError:
        raise DatasetUnavailable(
            f"{where}: contest_date {row['contest_date']!r} is not an ISO date"
        ) from None
    try:
        metadata = json.loads(str(row["metadata"]))
    except ValueError as exc:
        raise DatasetUnavailable(f"{where}: metadata is not JSON ({exc})") from None
    if not isinstance(metadata, dict):
        raise DatasetUnavailable(f"{where}: metadata is not a JSON object")
    fn_name = metadata.get("func_name")
    fields: dict[str, Any] = {
        "question_title": str(row.get("question_title") or ""),
        "platform": platform,
        "contest_id": str(row.get("contest_id") or ""),
        "contest_date": contest_date.isoformat(),
        "difficulty": difficulty,
        "starter_code": str(row.get("starter_code") or ""),
        "fn_name": str(fn_name) if fn_name else None,
        "public_test_cases": str(row["public_test_cases"]),
        "private_test_cases": str(row["private_test_cases"]),
    }
    tests = decode_tests(fields, where)  # validated now (one-line error at start-up), kept encoded
    if not tests:
        raise DatasetUnavailable(f"{where} has no tests")
    fields["tests"] = len(tests)
    return fields


def in_window(contest_date: str, start: datetime | None, end: datetime | None) -> bool:
    """The official date filter: start <= contest_date <= end, as datetimes."""
    when = datetime.fromisoformat(contest_date)
    return (start is None or start <= when) and (end is None or when <= end)


def releases_for(subset_list: Sequence[str] | None) -> list[str]:
    """The release names asked for (default release_latest), validated."""
    names = list(subset_list or ["release_latest"])
    unknown = [n for n in names if n not in RELEASE_FILES]
    if unknown:
        raise BadDatasetArgs(
            f"live_code_bench: unknown release(s) {', '.join(map(str, unknown))} in "
            f"subset_list; valid: {', '.join(RELEASE_FILES)}"
        )
    return names
