"""Capability settings (`pytest -m capability`): resolved from the option table (options.py).

Every option is also an ini key (`qnext_datasets = mmlu_pro,ifeval` ...); resolution is
CLI > ini > env > default as for all `--qnext-*` options. Defaults come from the table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_qnext.options import CACHE_MODES, default, given, value
from pytest_qnext.options.capability import DATA_COLLECTION, SANDBOX_MODES
from pytest_qnext.options.values import usage_error

__all__ = ["CACHE_MODES", "SANDBOX_MODES", "CapabilitySettings", "from_config"]


@dataclass(frozen=True)
class CapabilitySettings:
    """What the capability engine was asked to do (validated, plain values)."""

    datasets: tuple[str, ...] = default("--qnext-datasets")
    dataset_args: Mapping[str, Mapping[str, Any]] = field(
        default_factory=partial(default, "--qnext-dataset-args")
    )
    limit: float | None = default("--qnext-limit")  # a count (>= 1) or a fraction in (0, 1)
    gen_config: Mapping[str, Any] = field(default_factory=partial(default, "--qnext-gen-config"))
    batch_size: int = default("--qnext-batch-size")
    max_connection_failures: int = default("--qnext-max-connection-failures")
    stream: bool = default("--qnext-stream")
    repeats: int = default("--qnext-repeats")
    seed: int = default("--qnext-seed")
    data_dir: Path | None = default("--qnext-data-dir")
    responses: Path | None = default("--qnext-responses")
    cache: Literal["on", "off", "refresh"] = default("--qnext-cache")
    cache_dir: Path = default("--qnext-cache-dir")
    gates: tuple[str, ...] = default("--qnext-gate")
    allow_partial: bool = default("--qnext-allow-partial")
    baseline: Path | None = default("--qnext-baseline")
    max_drop: float | None = default("--qnext-max-drop")
    baseline_force: bool = default("--qnext-baseline-force")
    subsets: bool = default("--qnext-subsets")
    sandbox: Literal["namespaces", "unsafe-local"] = default("--qnext-sandbox")
    sandbox_workers: int | None = default("--qnext-sandbox-workers")  # None: the CPU count
    model_cutoff: date | None = default("--qnext-model-cutoff")
    collection: str | None = default("--qnext-collection")
    collection_levels: tuple[str, ...] = default("--qnext-collection-levels")

    @property
    def collection_run(self) -> bool:
        """Whether the items are collection rows (`data_collection` or --qnext-collection)."""
        return DATA_COLLECTION in self.datasets

    def args_for(self, dataset: str) -> Mapping[str, Any]:
        """This dataset's entry of --qnext-dataset-args (empty when none)."""
        return self.dataset_args.get(dataset, {})

    def repeats_for(self, dataset: str) -> int:
        repeats = self.args_for(dataset).get("repeats")
        return self.repeats if repeats is None else int(repeats)

    def header_lines(self) -> list[str]:
        if not self.datasets and self.responses is None:
            return []
        limit = "all" if self.limit is None else f"{self.limit:g}"
        source = f"replay {self.responses}" if self.responses else f"cache {self.cache}"
        lines = [
            f"qnext capability: datasets {','.join(self.datasets) or '(none)'}; limit {limit}; "
            f"repeats {self.repeats}; batch {self.batch_size}; "
            f"{'stream' if self.stream else 'no stream'}; seed {self.seed}; {source}"
        ]
        if self.gen_config:
            lines.append(f"qnext capability: gen config {json.dumps(dict(self.gen_config))}")
        if self.collection is not None:
            lines.append(f"qnext capability: collection {self.collection} (drawn in memory)")
        if self.gates:
            lines.append(f"qnext capability: gates {'; '.join(self.gates)}")
        return lines


def _collection_datasets(datasets: tuple[str, ...], collection: str | None) -> tuple[str, ...]:
    """The datasets of a collection run: `data_collection` alone (--qnext-collection implies
    it); a collection mixed with direct datasets is a usage error."""
    if collection is not None and any(name != DATA_COLLECTION for name in datasets):
        raise usage_error(
            "--qnext-collection",
            f"a collection is evaluated on its own; drop --qnext-datasets "
            f"({', '.join(datasets)}) or run the datasets in another session (they share the "
            "response cache)",
        )
    if collection is not None:
        return (DATA_COLLECTION,)
    if DATA_COLLECTION in datasets and len(datasets) > 1:
        raise usage_error(
            "--qnext-datasets",
            f"{DATA_COLLECTION} is evaluated on its own; run "
            f"{', '.join(n for n in datasets if n != DATA_COLLECTION)} in another session (they "
            "share the response cache)",
        )
    return datasets


def from_config(config: pytest.Config) -> CapabilitySettings:
    """Resolve every capability option; `pytest.UsageError` (one line) on bad ones."""
    collection = value(config, "--qnext-collection") or None
    datasets = _collection_datasets(value(config, "--qnext-datasets"), collection)
    dataset_args = value(config, "--qnext-dataset-args")
    for name in dataset_args:
        # a collection run's entries may name its benchmarks (checked when it is collected)
        if datasets and name not in datasets and DATA_COLLECTION not in datasets:
            raise usage_error(
                "--qnext-dataset-args",
                f"{name!r} is not among --qnext-datasets ({', '.join(datasets)}); "
                "add it there or drop its entry",
            )
    baseline = value(config, "--qnext-baseline")
    if baseline is None:
        for flag in ("--qnext-max-drop", "--qnext-baseline-force"):
            if given(config, flag) not in (None, False):
                raise usage_error(
                    flag,
                    "needs --qnext-baseline (an earlier run to compare with); add it or "
                    "drop this option",
                )
    return CapabilitySettings(
        datasets=datasets,
        dataset_args=dataset_args,
        limit=value(config, "--qnext-limit"),
        gen_config=value(config, "--qnext-gen-config"),
        batch_size=value(config, "--qnext-batch-size"),
        max_connection_failures=value(config, "--qnext-max-connection-failures"),
        stream=value(config, "--qnext-stream"),
        repeats=value(config, "--qnext-repeats"),
        seed=value(config, "--qnext-seed"),
        data_dir=value(config, "--qnext-data-dir"),
        responses=value(config, "--qnext-responses"),
        cache=value(config, "--qnext-cache"),
        cache_dir=value(config, "--qnext-cache-dir"),
        gates=value(config, "--qnext-gate"),
        allow_partial=value(config, "--qnext-allow-partial"),
        baseline=baseline,
        max_drop=value(config, "--qnext-max-drop"),
        baseline_force=value(config, "--qnext-baseline-force"),
        subsets=value(config, "--qnext-subsets"),
        sandbox=value(config, "--qnext-sandbox"),
        sandbox_workers=value(config, "--qnext-sandbox-workers"),
        model_cutoff=value(config, "--qnext-model-cutoff"),
        collection=collection,
        collection_levels=value(config, "--qnext-collection-levels"),
    )
