"""The response cache: one SQLite file (WAL) with every successful answer, committed as it arrives.

Key = sha256 of the canonical JSON of the request body exactly as sent (`client.body.build_body`:
model, messages or prompt, generation config, stream) and the repeat index; the URL and the API
key are never part of it, and the API key is never stored. A SIGKILL loses only the requests in
flight; a rerun reuses every committed answer. Several processes (xdist workers) may share one
file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CACHE_FILE", "Answer", "CacheError", "ResponseCache", "cache_key"]

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
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """SQLite-backed answer store. Use it from one thread (the prefetch loop's)."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / CACHE_FILE
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a SIGKILL
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(
                f"cannot open the response cache {self.path} ({exc}); fix the path with "
                "--qnext-cache-dir or run with --qnext-cache off"
            ) from None

    def get(self, key: str) -> Answer | None:
        row = self._db.execute(
            "SELECT content, reasoning, finish_reason, usage, latency FROM answers WHERE key = ?",
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

    def put(self, key: str, dataset: str, sample_id: str, repeat: int, answer: Answer) -> None:
        """Store a successful answer and commit at once (errors are never cached)."""
        if not answer.ok:
            return
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

    def keys(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT key FROM answers")}

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        self._db.close()
