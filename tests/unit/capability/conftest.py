"""Helpers for the capability tests: sessions and entries built from plain values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.capability.collect import Entry
from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.capability.session import CapabilitySession
from pytest_qnext.evals.registry import Registry
from pytest_qnext.perf.options import PerfSettings
from pytest_qnext.sample import Sample
from pytest_qnext.settings import Settings
from pytest_qnext.target import ResolvedTarget


def _entry(sample_id: str, question: str) -> Entry:
    return Entry(
        dataset="d",
        spec=None,  # type: ignore[arg-type]
        sample=Sample(sample_id, question, "C"),
        repeat=0,
        item_id=f"d/{sample_id}",
        messages=({"role": "user", "content": question},),
    )


@pytest.fixture
def make_entry() -> Callable[[str, str], Entry]:
    """`make_entry(sample_id, question)`: an item asking `question` (building its job never
    reads the eval spec, so it has none)."""
    return _entry


@pytest.fixture
def make_session(tmp_path: Path) -> Callable[..., CapabilitySession]:
    """`make_session(url, model="m", api_key=None, benchmarks=None, **capability settings)`:
    a capability session aimed at `url` (its target set as the plugin's pre-flight would),
    with the installed benchmarks or a `Registry`."""

    def make(
        url: str,
        model: str = "m",
        api_key: str | None = None,
        benchmarks: Registry | None = None,
        **cap: Any,
    ) -> CapabilitySession:
        settings = Settings(
            urls=(url,),
            model=None,
            api=cap.pop("api", "chat"),
            timeout=30.0,
            retries=0,
            sim_spec=None,
            serve=None,
            serve_timeout=1.0,
            report_dir=tmp_path / "report",
            capability=CapabilitySettings(cache_dir=tmp_path / "cache", **cap),
            perf=PerfSettings(),
            api_key=api_key,
        )
        session = CapabilitySession(settings, benchmarks)
        session.set_target(ResolvedTarget(urls=(url,), model=model))
        return session

    return make
