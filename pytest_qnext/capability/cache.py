"""The response cache: one SQLite file (WAL) with every successful answer, committed as it arrives.

Key = sha256 of the canonical JSON of the request body exactly as sent (`client.body.build_body`:
model, messages or prompt, generation config, stream) and the repeat index; the URL and the API
key are never part of it, and the API key is never stored. A SIGKILL loses only the requests in
flight; a rerun reuses every committed answer. Several processes (xdist workers) may share one
file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CACHE_FILE", "Answer", "CacheError", "ResponseCache", "cache_key", "check_cache"]

CACHE_FILE = "responses.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    dataset TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    content TEXT NOT NULL,
    reasoning TEXT NOT NULL,
    finish_reason TEXT,
    usage TEXT,
    latency REAL,
    created REAL NOT NULL
)
"""


class CacheError(Exception):
    """The cache file cannot be used; the message says which file and what to do."""


@dataclass(frozen=True)
class Answer:
    """A server's (or a replay file's) answer to one item, or the error that ended its request."""

    content: str = ""
    reasoning: str = ""
    finish_reason: str | None = None
    usage: Mapping[str, Any] | None = None
    latency: float | None = None
    error_kind: str | None = None
    error: str | None = None
    cached: bool = False
    # the error kinds of the failed attempts that the client retried before this answer (a
    # flaky server shows here; only the final answer is scored); empty from the cache
    retried: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error_kind is None


def cache_key(body: Mapping[str, Any], repeat: int) -> str:
    """The cache key of one request: its body (from `build_body`) and repeat index."""
    blob = json.dumps(
        {"body": body, "repeat": repeat},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    # surrogatepass: a lone surrogate in a dataset's text must not make the key unbuildable
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _is_corrupt(exc: BaseException) -> bool:
    """SQLITE_CORRUPT: a damaged page (not a file that is no database at all)."""
    return isinstance(exc, sqlite3.DatabaseError) and "malformed" in str(exc)


class ResponseCache:
    """SQLite-backed answer store. Use it from one thread (the prefetch loop's).

    Every failure raises `CacheError` with one line naming the file and the fix: opening
    (`open_error`), reading a damaged page (`get`) or writing (`put`: a full disk, a damaged
    file). `check()` proves at start-up that the file can be read and written.
    """

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / CACHE_FILE
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise CacheError(
                f"--qnext-cache-dir {folder} is a file, not a directory; give a directory (it "
                "is created when missing) or run with --qnext-cache off"
            )
        if folder.is_dir() and not os.access(folder, os.W_OK):
            raise CacheError(
                f"--qnext-cache-dir {folder} is not writable (the cache writes its file and "
                "journal there); make it writable, choose another --qnext-cache-dir, or run "
                "with --qnext-cache off"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise self.open_error(exc) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a SIGKILL
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            self._db.close()
            raise self.open_error(exc) from None

    def open_error(self, exc: BaseException) -> CacheError:
        """The one line for a cache that cannot be opened or checked, by cause."""
        reason = _reason(exc)
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in reason:
            return CacheError(
                f"the response cache {self.path} is not a SQLite database ({reason}); delete "
                "it (its answers are asked again), choose another --qnext-cache-dir, or run "
                "with --qnext-cache off"
            )
        if "full" in reason:
            return CacheError(
                f"cannot open the response cache {self.path} ({reason}); free space there, "
                "choose another --qnext-cache-dir, or run with --qnext-cache off"
            )
        if "readonly" in reason or "read-only" in reason or isinstance(exc, PermissionError):
            return CacheError(
                f"the response cache {self.path} cannot be written ({reason}); make it (and its "
                "directory) writable, choose another --qnext-cache-dir, or run with "
                "--qnext-cache off"
            )
        return CacheError(
            f"cannot open the response cache {self.path} ({reason}); fix the path with "
            "--qnext-cache-dir, delete a damaged file, or run with --qnext-cache off"
        )

    def damaged(self, exc: BaseException, doing: str) -> CacheError:
        """The one line for a failure while reading or writing an opened cache."""
        reason = _reason(exc)
        if "full" in reason or "I/O" in reason or isinstance(exc, OSError):
            fix = (
                "free space (or check the disk), choose another --qnext-cache-dir, or run with "
                "--qnext-cache off"
            )
        elif doing == "read":
            fix = "run with --qnext-cache refresh or delete the file"
        else:
            fix = "delete the file (its answers are asked again) or run with --qnext-cache off"
        return CacheError(f"cannot {doing} the response cache {self.path} ({reason}); {fix}")

    def check(self) -> None:
        """Prove that the answers table has the expected columns and that the file can be
        written (nothing is changed); raises `CacheError` (`open_error`) otherwise. A damaged
        page is not a reason to refuse the run: reading or writing it fails later, and that
        failure names the file and the fix (`damaged`)."""
        try:
            self._db.execute(
                "SELECT key, dataset, sample_id, repeat, content, reasoning, finish_reason, "
                "usage, latency, created FROM answers LIMIT 1"
            ).fetchall()
        except (OSError, sqlite3.Error) as exc:
            if not _is_corrupt(exc):
                raise self.open_error(exc) from None
        try:
            self._db.execute("BEGIN IMMEDIATE")  # takes the write lock, as a put would
            self._db.execute("ROLLBACK")
        except (OSError, sqlite3.Error) as exc:
            raise self.open_error(exc) from None

    def get(self, key: str) -> Answer | None:
        try:
            row = self._db.execute(
                "SELECT content, reasoning, finish_reason, usage, latency FROM answers "
                "WHERE key = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            content, reasoning, finish_reason, usage, latency = row
            return Answer(
                content=content,
                reasoning=reasoning,
                finish_reason=finish_reason,
                usage=json.loads(usage) if usage else None,
                latency=latency,
                cached=True,
            )
        except (sqlite3.Error, ValueError, TypeError) as exc:
            raise self.damaged(exc, "read") from None

    def put(self, key: str, dataset: str, sample_id: str, repeat: int, answer: Answer) -> None:
        """Store a successful answer and commit at once (errors are never cached)."""
        if not answer.ok:
            return
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    dataset,
                    sample_id,
                    repeat,
                    answer.content,
                    answer.reasoning,
                    answer.finish_reason,
                    json.dumps(dict(answer.usage)) if answer.usage is not None else None,
                    answer.latency,
                    time.time(),
                ),
            )
        except (sqlite3.Error, OSError, ValueError, TypeError) as exc:
            # UnicodeEncodeError (a ValueError): text SQLite cannot store as UTF-8
            raise self.damaged(exc, "write") from None

    def keys(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT key FROM answers")}

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


def check_cache(directory: Path) -> None:
    """Open the cache in `directory` and prove it can be read and written (start-up check);
    raises `CacheError` with one line naming the path and the fix."""
    cache = ResponseCache(directory)
    try:
        cache.check()
    finally:
        cache.close()
