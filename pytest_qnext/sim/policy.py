"""Answer policies of the simulator: echo, fixed text, and the oracle.

The oracle knows, for each prompt it was told about, the sample it belongs to and a correct and
a wrong answer. It answers correctly with probability `p`, decided by a hash of (seed, sample),
so reruns and retries give the same answer. A prompt is identified by `prompt_key`: the sha256
hex of the last user message's text (chat) or of the prompt string (completions).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_qnext.jsonl import json_objects
from pytest_qnext.tokenizer import message_text

__all__ = [
    "REASONING_TEXT",
    "Answer",
    "AnswerPolicy",
    "OracleEntry",
    "OracleError",
    "load_oracle",
    "prompt_key",
    "unit_draw",
    "write_oracle",
]

REASONING_TEXT = (
    "Let me think about this step by step. I will check the question carefully, "
    "compare the options, and then give the final answer."
)


class OracleError(ValueError):
    """An oracle file or mapping is malformed; the message names the file/line and the fix."""


def prompt_key(messages_or_prompt: str | Sequence[Any]) -> str:
    """sha256 hex of the last user message text, or of a completions prompt.

    Accepts a prompt string, a list of chat messages (dicts with role/content), or a list of
    token ids (hashed as their comma-joined decimal form).
    """
    if isinstance(messages_or_prompt, str):
        text = messages_or_prompt
    elif messages_or_prompt and all(isinstance(t, int) for t in messages_or_prompt):
        text = ",".join(str(t) for t in messages_or_prompt)
    else:
        text = ""
        for message in reversed(list(messages_or_prompt)):
            if isinstance(message, Mapping) and message.get("role") == "user":
                text = message_text(message.get("content"))
                break
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unit_draw(*parts: object) -> float:
    """A uniform number in [0, 1) determined by `parts` (stable across processes)."""
    data = "\x1f".join(str(p) for p in parts).encode("utf-8")
    digest = hashlib.blake2b(data, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


@dataclass(frozen=True)
class OracleEntry:
    sample: str  # "<dataset>/<sample id>"
    correct: str
    wrong: str


@dataclass(frozen=True)
class Answer:
    content: str
    sample_key: str  # oracle sample id, else the prompt key
    correct: bool | None = None  # None when the oracle did not know the prompt


def _entry(row: Mapping[str, Any], where: str) -> tuple[str, OracleEntry]:
    missing = [k for k in ("sample", "correct", "wrong") if not isinstance(row.get(k), str)]
    if missing:
        raise OracleError(
            f"{where}: oracle entry lacks string field(s) {', '.join(missing)}; "
            'expected {"key": <sha256> or "prompt": <text>, "sample", "correct", "wrong"}'
        )
    if isinstance(row.get("key"), str):
        key = str(row["key"])
    elif "prompt" in row:
        key = prompt_key(row["prompt"])
    else:
        raise OracleError(f"{where}: oracle entry needs a 'key' (sha256 hex) or a 'prompt'")
    return key, OracleEntry(str(row["sample"]), str(row["correct"]), str(row["wrong"]))


def load_oracle(
    source: str | Path | Mapping[str, Any] | Iterable[Mapping[str, Any]],
) -> dict[str, OracleEntry]:
    """Read an oracle from a JSONL file, a {key: entry} mapping or an iterable of rows."""
    out: dict[str, OracleEntry] = {}
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise OracleError(f"cannot read oracle file {path}: {exc.strerror or exc}") from None
        for number, obj in json_objects(text, str(path), OracleError):
            key, entry = _entry(obj, f"{path}:{number}")
            out[key] = entry
        return out
    if isinstance(source, Mapping):
        for key, value in source.items():
            if isinstance(value, OracleEntry):
                out[str(key)] = value
            elif isinstance(value, Mapping):
                out[str(key)] = _entry({**value, "key": str(key)}, f"oracle[{key!r}]")[1]
            else:
                raise OracleError(f"oracle[{key!r}]: expected a mapping with sample/correct/wrong")
        return out
    for index, row in enumerate(source):
        key, entry = _entry(row, f"oracle row {index}")
        out[key] = entry
    return out


def write_oracle(oracle: Mapping[str, OracleEntry | Mapping[str, Any]], path: str | Path) -> Path:
    """Write an oracle mapping as JSONL (for `run_in_process(..., oracle_file=...)`)."""
    entries = load_oracle(oracle)
    target = Path(path)
    with target.open("w", encoding="utf-8") as fh:
        for key, e in entries.items():
            row = {"key": key, "sample": e.sample, "correct": e.correct, "wrong": e.wrong}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target


class AnswerPolicy:
    """Decides the answer text of a request (before tokenisation and limits).

    `policy="oracle"` without an oracle (or with an empty one) echoes every prompt, exactly
    like a prompt the oracle does not know.
    """

    def __init__(
        self,
        policy: str,
        *,
        text: str = "",
        oracle: Mapping[str, OracleEntry] | None = None,
        p: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.policy = policy
        self.text = text
        self.oracle: Mapping[str, OracleEntry] = oracle or {}
        self.p = p
        self.seed = seed

    def is_correct(self, sample: str) -> bool:
        return unit_draw("oracle", self.seed, sample) < self.p

    def answer(self, key: str, echo_text: str) -> Answer:
        """The answer for a prompt with key `key`; `echo_text` is what echo would repeat."""
        if self.policy == "fixed":
            return Answer(self.text, key)
        if self.policy == "oracle":
            entry = self.oracle.get(key)
            if entry is not None:
                ok = self.is_correct(entry.sample)
                return Answer(entry.correct if ok else entry.wrong, entry.sample, ok)
        return Answer(echo_text, key)
