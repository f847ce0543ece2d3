"""Simulator configuration: one frozen dataclass, a `k=v,k=v` spec parser and the CLI flags.

The spec keys, the dataclass fields and the CLI flags are the same names (`prefill_per_token`
in a spec is `--prefill-per-token` on the command line).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "POLICIES",
    "THINK_MODES",
    "SimConfig",
    "add_cli_arguments",
    "config_to_argv",
    "from_mapping",
    "parse_spec",
]

POLICIES = ("echo", "fixed", "oracle")
THINK_MODES = ("none", "inline", "split")

_HELP: dict[str, str] = {
    "host": "interface to bind",
    "port": "TCP port (0 = any free port)",
    "model": "model name served by /v1/models and required in requests",
    "tokenizer": "tokenizer folder or hub id for token counts (empty = simple built-in one)",
    "seed": "seed for the oracle's answers and for fault injection",
    "api_key": "if set, require 'Authorization: Bearer <key>' (never logged)",
    "ttft": "seconds before the first token (plus prefill and queue time)",
    "prefill_per_token": "extra seconds to first token per prompt token",
    "itl": "seconds between tokens with one sequence running",
    "batch_slowdown": "relative ITL increase per extra running sequence",
    "max_num_seqs": "sequences generated at once; the rest queue",
    "max_model_len": "context length: prompt + output tokens",
    "policy": "answer policy: " + "|".join(POLICIES),
    "text": "answer text of policy=fixed",
    "oracle": "JSONL file of oracle entries (key or prompt, sample, correct, wrong)",
    "p": "probability that policy=oracle answers correctly",
    "think": "reasoning output: " + "|".join(THINK_MODES),
    "fail_rate": "fraction of requests answered with HTTP 500",
    "rate429": "fraction of requests answered with HTTP 429 (Retry-After: 0)",
    "drop_rate": "fraction of streams closed mid-way without [DONE]",
    "malformed_rate": "fraction of streams with one chunk of invalid JSON",
    "stall_rate": "fraction of streams that pause mid-way",
    "stall_s": "length of a stall in seconds",
    "prefix_caching": "1: prompts reuse cached blocks of earlier prompts (as vLLM); 0: off",
    "block_size": "tokens per KV-cache block (prefix cache and KV usage)",
    "kv_blocks": "KV-cache capacity in blocks (KV usage; the prefix cache's LRU bound)",
}


@dataclass(frozen=True)
class SimConfig:
    """Everything the simulated server does. Invalid values raise a one-line ValueError."""

    host: str = "127.0.0.1"
    port: int = 0
    model: str = "qnext-sim"
    tokenizer: str | None = None
    seed: int = 0
    api_key: str | None = dataclasses.field(default=None, repr=False)
    ttft: float = 0.0
    prefill_per_token: float = 0.0
    itl: float = 0.0
    batch_slowdown: float = 0.0
    max_num_seqs: int = 256
    max_model_len: int = 32768
    policy: str = "echo"
    text: str = ""
    oracle: str | None = None
    p: float = 1.0
    think: str = "none"
    fail_rate: float = 0.0
    rate429: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    stall_rate: float = 0.0
    stall_s: float = 1.0
    prefix_caching: int = 1
    block_size: int = 16
    kv_blocks: int = 4096

    def __post_init__(self) -> None:
        for name in ("ttft", "prefill_per_token", "itl", "batch_slowdown", "stall_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"sim option {name}={getattr(self, name)} must be >= 0")
        for name in ("p", "fail_rate", "rate429", "drop_rate", "malformed_rate", "stall_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"sim option {name}={getattr(self, name)} must be between 0 and 1")
        for name in ("block_size", "kv_blocks"):
            if getattr(self, name) < 1:
                raise ValueError(f"sim option {name}={getattr(self, name)} must be >= 1")
        if self.prefix_caching not in (0, 1):
            raise ValueError(f"sim option prefix_caching={self.prefix_caching} must be 0 or 1")
        if self.max_num_seqs < 1:
            raise ValueError(f"sim option max_num_seqs={self.max_num_seqs} must be >= 1")
        if self.max_model_len < 1:
            raise ValueError(f"sim option max_model_len={self.max_model_len} must be >= 1")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"sim option port={self.port} must be between 0 and 65535")
        if self.policy not in POLICIES:
            raise ValueError(
                f"sim option policy={self.policy!r} is not one of: {', '.join(POLICIES)}"
            )
        if self.think not in THINK_MODES:
            raise ValueError(
                f"sim option think={self.think!r} is not one of: {', '.join(THINK_MODES)}"
            )
        if not self.model:
            raise ValueError("sim option model must not be empty")


KEYS: tuple[str, ...] = tuple(f.name for f in fields(SimConfig))
_FIELD_TYPES: dict[str, str] = {
    f.name: str(f.type).replace(" | None", "") for f in fields(SimConfig)
}
_OPTIONAL = {f.name for f in fields(SimConfig) if "None" in str(f.type)}
_SPEC_ITEM = re.compile(r'\s*([A-Za-z0-9_\-]*)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,]*))?\s*(?:,|$)')


def _convert(key: str, raw: str) -> Any:
    kind = _FIELD_TYPES[key]
    if key in _OPTIONAL and raw.lower() in ("", "none"):
        return None
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return raw


def _valid_keys_text() -> str:
    return ", ".join(KEYS)


def parse_spec(spec: str, base: SimConfig | None = None) -> SimConfig:
    """`"ttft=0.05,itl=0.01,policy=oracle,p=0.7"` -> SimConfig (on top of `base`).

    Values may be double-quoted to hold commas (`text="a, b"`). Raises ValueError with one
    line naming the bad key or value and the valid keys.
    """
    values: dict[str, Any] = {}
    pos = 0
    spec = spec.strip()
    while pos < len(spec):
        match = _SPEC_ITEM.match(spec, pos)
        if match is None or match.end() == pos:
            raise ValueError(
                f"invalid sim spec {spec!r} near {spec[pos:]!r}: expected key=value pairs "
                f"separated by commas; valid keys: {_valid_keys_text()}"
            )
        pos = match.end()
        key, raw = match.group(1), match.group(2)
        if not key and raw is None:
            continue
        key = key.replace("-", "_")
        if key not in KEYS:
            raise ValueError(
                f"invalid sim spec: unknown key {key!r}; valid keys: {_valid_keys_text()}"
            )
        if raw is None:
            raise ValueError(f"invalid sim spec: key {key!r} has no value (write {key}=VALUE)")
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        try:
            values[key] = _convert(key, raw)
        except ValueError:
            raise ValueError(
                f"invalid sim spec value {key}={raw!r}: expected {_FIELD_TYPES[key]}"
            ) from None
    return from_mapping(values, base)


def from_mapping(values: Mapping[str, Any], base: SimConfig | None = None) -> SimConfig:
    """Apply `values` over `base` (or the defaults); one-line ValueError on bad keys/values."""
    unknown = sorted(set(values) - set(KEYS))
    if unknown:
        raise ValueError(
            f"unknown sim option(s) {', '.join(unknown)}; valid keys: {_valid_keys_text()}"
        )
    return dataclasses.replace(base or SimConfig(), **dict(values))


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """One `--flag` per SimConfig field (`prefill_per_token` -> `--prefill-per-token`)."""
    defaults = SimConfig()
    for f in fields(SimConfig):
        default = getattr(defaults, f.name)
        kind = _FIELD_TYPES[f.name]
        conv: Any = {"int": int, "float": float}.get(kind, str)
        shown = "unset" if default is None else repr(default)
        parser.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            type=conv,
            default=default,
            metavar=f.name.upper() if kind == "str" else kind.upper(),
            help=f"{_HELP.get(f.name, f.name)} (default: {shown})",
        )


def config_to_argv(config: SimConfig, skip: Sequence[str] = ()) -> list[str]:
    """CLI flags reproducing `config` (only the fields that differ from the defaults)."""
    defaults = SimConfig()
    argv: list[str] = []
    for key in KEYS:
        value = getattr(config, key)
        if key in skip or value == getattr(defaults, key):
            continue
        argv += ["--" + key.replace("_", "-"), "" if value is None else str(value)]
    return argv
