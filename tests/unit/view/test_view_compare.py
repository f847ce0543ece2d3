"""Compare: the same samples across runs, flips first, filter by flip kind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_qnext.view.compare import FLIPS, SAME, compare_runs
from pytest_qnext.view.index import SampleIndex
from pytest_qnext.view.loader import load_run


def _index(path: Path) -> SampleIndex:
    run = load_run(path, path.name)
    return SampleIndex(path / "samples.jsonl", run.primary_metric)


def test_flips_first_with_kinds_and_missing_samples(
    tmp_path: Path, run_writer: Callable[..., Path], row_factory: Callable[..., Any]
) -> None:
    a = {i: "pass" if i % 2 else "fail" for i in range(20)}
    b = dict(a)
    b[1] = b[3] = "fail"  # pass -> fail
    b[4] = "pass"  # fail -> pass
    b[6] = "unparsed"
    del b[19]
    run_a = run_writer(tmp_path / "a", [row_factory("mcq", i, o) for i, o in a.items()])
    run_b = run_writer(tmp_path / "b", [row_factory("mcq", i, o) for i, o in b.items()])
    comp = compare_runs([_index(run_a), _index(run_b)])
    flips = [comp.keys[i][1] for i in comp.select(FLIPS)]
    # regressions (a pass lost, also to a missing sample) first, then improvements, then other
    # changes; sample order inside each
    assert flips == ["1", "3", "19", "4", "6"]
    assert comp.keys[: len(flips)] == [("mcq", s, 0) for s in flips]
    assert comp.kind_counts() == {
        "pass→fail": 2,
        "fail→pass": 1,
        "fail→unparsed": 1,
        "pass→—": 1,
        "fail→fail": 8,
        "pass→pass": 7,
    }
    assert [comp.keys[i][1] for i in comp.select("pass→fail")] == ["1", "3"]
    assert len(comp.select(SAME)) == 15
    assert comp.cells[comp.keys.index(("mcq", "19", 0))][1] is None


def test_three_runs_and_dataset_filter(
    tmp_path: Path, run_writer: Callable[..., Path], row_factory: Callable[..., Any]
) -> None:
    runs = []
    for n, flip in enumerate(([], ["2"], ["2", "3"])):
        rows = [row_factory("x", i, "fail" if str(i) in flip else "pass") for i in range(4)]
        rows += [row_factory("y", i, "pass") for i in range(2)]
        runs.append(_index(run_writer(tmp_path / f"r{n}", rows)))
    comp = compare_runs(runs)
    assert comp.kind_counts("x") == {"pass→fail→fail": 1, "pass→pass→fail": 1, "pass→pass→pass": 2}
    assert comp.select(FLIPS, "y") == []
    assert comp.datasets() == ["x", "y"]
