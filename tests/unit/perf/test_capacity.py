"""The capacity search's decisions (bracketing, bisection, repeats within noise, budget) on
a monotone model: a load passes when its value is under the limit."""

from __future__ import annotations

from collections.abc import Callable

from pytest_qnext.perf.capacity import CapacitySearch
from pytest_qnext.perf.slo import parse_slo


def search_with(value_at: Callable[[float], float], **kwargs: float) -> CapacitySearch:
    settings = {"low": 1.0, "high": 64.0, "step": 1.0, "budget": 12, **kwargs}
    search = CapacitySearch(
        [parse_slo("tpot_p99<=1.0")],
        "rate" if kwargs.get("start") else "concurrency",
        settings["low"],
        settings["high"],
        settings["step"],
        int(settings["budget"]),
        start=kwargs.get("start"),
    )
    while (load := search.next_load()) is not None:
        search.record(load, f"p{load:g}", {"tpot_p99": value_at(load), "noise": {}})
    return search


def test_brackets_then_bisects_to_the_boundary() -> None:
    search = search_with(lambda c: c / 12.5)  # passes up to 12
    assert search.result()["value"] == 12
    assert [p.load for p in search.probes] == [1, 2, 4, 8, 16, 12, 14, 13]
    assert search.result()["bracket"] == [12.0, 13.0]
    assert search.reason == "bracket closed to the step"


def test_nothing_meets_and_everything_meets() -> None:
    none = search_with(lambda c: 5.0)
    assert none.result()["value"] == 0 and "does not meet" in (none.reason or "")
    every = search_with(lambda c: 0.1)
    assert every.result()["value"] == 64 and "highest load 64 meets" in (every.reason or "")


def test_budget_stops_with_the_bracket_so_far() -> None:
    search = search_with(lambda c: c / 40.5, budget=5)
    result = search.result()
    assert len(search.probes) == 5 and "budget" in result["reason"]
    assert result["value"] == 16 and result["bracket"] == [16.0, None]


def test_rates_start_at_the_given_rate_and_halve_down() -> None:
    search = search_with(lambda r: r / 3.2, start=8.0, low=0.5, high=32.0, step=0.25)
    loads = [p.load for p in search.probes]
    assert loads[:3] == [8.0, 4.0, 2.0]
    assert 3.0 <= search.result()["value"] <= 3.2


def test_a_value_within_noise_is_repeated_and_the_mean_decides() -> None:
    search = CapacitySearch([parse_slo("tpot_p99<=1.0")], "concurrency", 1.0, 4.0, 1.0, 10)
    values = iter([0.5, 0.99, 1.02, 0.97, 2.0, 1.5])
    while (load := search.next_load()) is not None:
        search.record(load, "p", {"tpot_p99": next(values), "noise": {"tpot_p99": 0.05}})
    loads = [p.load for p in search.probes]
    assert loads == [1, 2, 2, 2, 4, 3]  # 2 was within noise: three probes, their mean 0.993
    assert search.result()["value"] == 2
