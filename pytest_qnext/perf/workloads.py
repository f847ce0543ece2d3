"""The multi_turn and trace workloads: their files, and the conversation a closed or open loop
runs as one job.

multi_turn: a `Conversation` is K user turns sent in order on one stream; turn k sends the whole
history (every earlier user turn and the model's real reply to it) plus the new turn, so the
server sees growing prompts that share their beginning (its prefix cache's best case) and the
client measures per-turn latency. From a file (`--qnext-perf-dataset-path`, JSONL): each line
`{"turns": ["first user turn", "second", ...]}` or `{"messages": [...]}` whose user messages are
the turns (recorded assistant messages are replaced by the model's replies). Without a file:
synthetic conversations of `--qnext-turns` random turns of the prompt length each.

trace: each JSONL line is one request `{"timestamp": MS, "input_length": N, "output_length": M,
"hash_ids": [..]}` (the Mooncake trace format; `hash_ids` optional): the request is sent at its
recorded time (milliseconds from the first line, divided by --qnext-trace-speed), asks for M
output tokens (ignore_eos), and its prompt is made of one block of --qnext-trace-block-size
tokens per hash id (the same id gives the same tokens in every request: shared prefixes hit the
prefix cache as in the recorded workload), then unique tokens up to N.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_qnext.perf.prompts import PerfRequest

__all__ = [
    "Conversation",
    "TraceRow",
    "WorkloadError",
    "read_conversations",
    "read_trace",
]


class WorkloadError(Exception):
    """A workload file cannot be used; the message is one line (file:line and the fix)."""


@dataclass(frozen=True)
class Conversation:
    """One multi_turn job: its user turns, each a `PerfRequest` whose `messages` hold only the
    new user message (the loop adds the history)."""

    index: int
    turns: tuple[PerfRequest, ...]

    def requests(self) -> tuple[PerfRequest, ...]:
        return self.turns


@dataclass(frozen=True)
class TraceRow:
    timestamp: float  # seconds
    input_length: int
    output_length: int
    hash_ids: tuple[int, ...] = ()


def _lines(path: Path) -> list[tuple[int, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkloadError(f"--qnext-perf-dataset-path: cannot read {path} ({exc})") from None
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append((number, json.loads(line)))
        except ValueError:
            raise WorkloadError(f"{path}:{number}: not JSON; one JSON object per line") from None
    if not out:
        raise WorkloadError(f"--qnext-perf-dataset-path: {path} holds no rows")
    return out


def read_conversations(path: Path) -> list[list[str]]:
    """The user turns of each conversation in a multi_turn JSONL file."""
    conversations: list[list[str]] = []
    for number, row in _lines(path):
        turns: Any = row.get("turns") if isinstance(row, dict) else None
        if turns is None and isinstance(row, dict) and isinstance(row.get("messages"), list):
            turns = [
                m.get("content")
                for m in row["messages"]
                if isinstance(m, dict) and m.get("role") == "user"
            ]
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
            raise WorkloadError(
                f'{path}:{number}: needs "turns": a list of user turn strings (or "messages" '
                "with user messages)"
            )
        conversations.append(turns)
    return conversations


def _int(row: dict[str, Any], key: str, where: str, minimum: int) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise WorkloadError(f"{where}: {key!r} must be an integer >= {minimum}, got {value!r}")
    return value


def read_trace(path: Path) -> list[TraceRow]:
    """The rows of a trace file, in timestamp order (milliseconds in, seconds out)."""
    rows: list[TraceRow] = []
    for number, row in _lines(path):
        where = f"{path}:{number}"
        if not isinstance(row, dict):
            raise WorkloadError(f"{where}: not a JSON object")
        stamp = row.get("timestamp")
        if isinstance(stamp, bool) or not isinstance(stamp, int | float) or stamp < 0:
            raise WorkloadError(f"{where}: 'timestamp' must be milliseconds >= 0, got {stamp!r}")
        hashes = row.get("hash_ids", [])
        if not isinstance(hashes, list) or not all(
            isinstance(h, int) and not isinstance(h, bool) for h in hashes
        ):
            raise WorkloadError(f"{where}: 'hash_ids' must be a list of integers")
        rows.append(
            TraceRow(
                timestamp=float(stamp) / 1000.0,
                input_length=_int(row, "input_length", where, 1),
                output_length=_int(row, "output_length", where, 1),
                hash_ids=tuple(hashes),
            )
        )
    rows.sort(key=lambda r: r.timestamp)
    return rows


def block_layout(row: TraceRow, block_size: int) -> tuple[Sequence[int], int]:
    """(hash ids whose whole blocks fit in the input, unique tokens after them)."""
    whole = min(len(row.hash_ids), row.input_length // block_size)
    return row.hash_ids[:whole], row.input_length - whole * block_size
