"""The simulator's oracle for a capability run: a correct and a wrong answer per prompt.

Built in the controller from the capability settings alone (the simulator starts before
collection), with the same sample selection as collection (`collect.load_entries`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pytest_qnext.capability.collect import Entry, load_entries
from pytest_qnext.capability.options import CapabilitySettings

__all__ = ["oracle_rows", "write_oracle_file"]


def oracle_rows(entries: Sequence[Entry]) -> list[dict[str, str]]:
    """One row per distinct prompt of the entries whose benchmark defines an oracle."""
    from pytest_qnext.sim import prompt_key

    rows: dict[str, dict[str, str]] = {}
    for entry in entries:
        oracle = entry.spec.oracle
        if oracle is None or entry.skip_reason is not None:  # skipped items ask nothing
            continue
        key = prompt_key(list(entry.messages))
        rows[key] = {
            "key": key,
            "sample": f"{entry.dataset}/{entry.sample.id}",
            "correct": oracle(entry.sample, True),
            "wrong": oracle(entry.sample, False),
        }
    return list(rows.values())


def write_oracle_file(
    capability_settings: CapabilitySettings, path: Path, entries: Sequence[Entry] | None = None
) -> int:
    """Write the oracle JSONL for the selected datasets to `path`; returns the row count.

    `entries` (already loaded with the same settings) saves loading the datasets again.
    """
    if entries is None:
        entries, _ = load_entries(capability_settings)
    rows = oracle_rows(entries)
    with Path(path).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)
