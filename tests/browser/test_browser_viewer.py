"""`qnext view` and report.html in a real Chromium, over report dirs written by real runs."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

if TYPE_CHECKING:
    from conftest import ComparePair, Viewer, Watched

pytestmark = pytest.mark.browser


def _samples(run: Path) -> list[dict[str, Any]]:
    with (run / "samples.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _ready(w: Watched, url: str) -> float:
    """Open `url`, wait until the sample browser has shown its first page; seconds taken."""
    start = time.perf_counter()
    w.page.goto(url)
    w.page.wait_for_selector("#qnext-browser[data-ready='1']", timeout=60_000)
    return time.perf_counter() - start


def _info(w: Watched) -> str:
    text: str = w.page.inner_text("#samples-info")
    return text


def _wait_info(w: Watched, expected: str) -> None:
    w.page.wait_for_function(
        "t => document.querySelector('#samples-info').textContent.startsWith(t)", arg=expected
    )


def test_every_page_renders_without_console_errors(
    viewer: Viewer,
    watched: Watched,
    demo_run: Path,
    compare_pair: ComparePair,
    collection_run: Path,
) -> None:
    pages = {
        "/": "Runs",
        "/run?run=demo": "Scores",
        "/run?run=collection": "Collection",
        "/samples?run=demo": "Samples",
        "/sample?" + urlencode({"run": "demo", "dataset": "aime24", "id": "60"}): "Prompt",
        "/compare?run=compare-a&run=compare-b": "Compare",
        "/perf?run=demo": "Throughput vs concurrency",
    }
    for path, text in pages.items():
        response = watched.page.goto(viewer(path))
        assert response is not None and response.status == 200, path
        watched.page.wait_for_function("() => window.qnextReady === true")
        assert text in watched.page.inner_text("main"), path
    assert watched.errors == []
    # the runs list has all five runs with their kinds
    watched.page.goto(viewer("/"))
    ids = watched.page.locator("a.run-link").all_inner_texts()
    assert sorted(ids) == ["big", "collection", "compare-a", "compare-b", "demo"]


def test_filters_counts_and_paging(viewer: Viewer, watched: Watched, big_run: Path) -> None:
    rows = _samples(big_run)
    outcomes = Counter(r["outcome"] for r in rows)
    _ready(watched, viewer("/samples?run=big"))
    assert _info(watched).startswith(f"{len(rows)} of {len(rows)} samples match; showing 1–50")
    page = watched.page
    page.select_option("select[name=outcome]", "fail")
    _wait_info(watched, f"{outcomes['fail']} of {len(rows)} samples match")
    # each outcome option shows its count
    labels = page.locator("select[name=outcome] option").all_inner_texts()
    for name, n in outcomes.items():
        assert f"{name} ({n})" in labels
    # subset (MMLU-Pro category) and outcome together
    law = [r for r in rows if r["subset"] == "law"]
    page.select_option("select[name=subset]", "law")
    law_fail = sum(r["outcome"] == "fail" for r in law)
    _wait_info(watched, f"{law_fail} of {len(rows)} samples match")
    # paging: the second page starts at 51
    page.select_option("select[name=subset]", "")
    _wait_info(watched, f"{outcomes['fail']} of")
    page.click("#next")
    _wait_info(watched, f"{outcomes['fail']} of {len(rows)} samples match; showing 51–100")
    ids = page.locator("#samples-body a.sample-link").all_inner_texts()
    fails = [r["sample_id"] for r in rows if r["outcome"] == "fail"]
    assert ids == fails[50:100]
    # text search over the responses
    page.select_option("select[name=outcome]", "")
    page.fill("input[name=q]", "photosynthesis")
    # the search covers the prompt (messages), the response and the reasoning
    hits = sum(
        any(
            "photosynthesis" in text.casefold()
            for text in [r["prediction"], r.get("reasoning") or ""]
            + [m["content"] for m in r.get("messages") or []]
        )
        for r in rows
    )
    _wait_info(watched, f"{hits} of {len(rows)}")
    assert watched.errors == []


@pytest.mark.timing  # a wall-clock bound: run alone with the timing tests (scripts/test.sh)
def test_big_run_becomes_interactive_quickly(
    viewer_factory: Any, watched: Watched, big_run: Path
) -> None:
    """A fresh viewer: the first visit builds the run's sample index."""
    with viewer_factory(big_run) as fresh:
        first = _ready(watched, fresh("/samples?run=big&outcome=unparsed"))
        again = _ready(watched, fresh("/samples?run=big&dataset=mmlu_pro&outcome=fail"))
    n = len(_samples(big_run))
    print(
        f"\nsample browser over {n} samples interactive after {first:.2f} s (first visit, "
        f"index built) and {again:.2f} s (index in memory)"
    )
    assert first < 2.0, f"first visit took {first:.2f} s"


def test_sample_page_shows_full_prompt_and_response(
    viewer: Viewer, watched: Watched, compare_pair: ComparePair
) -> None:
    row = max(_samples(compare_pair.a), key=lambda r: len(r["prediction"]))
    url = viewer(
        "/sample?" + urlencode({"run": "compare-a", "dataset": "mmlu_pro", "id": row["sample_id"]})
    )
    watched.page.goto(url)
    watched.page.wait_for_function("() => window.qnextReady === true")
    response = watched.page.inner_text("pre.response")
    assert response == row["prediction"] and len(response) > 1000
    assert watched.page.inner_text(".ans.target pre") == row["target"]
    prompt = watched.page.inner_text(".part:has(h3:text('Prompt'))")
    if row.get("messages"):
        for message in row["messages"]:
            assert message["content"].strip()[:200] in prompt
    else:
        assert "Not recorded" in prompt
    assert watched.errors == []


def test_compare_shows_the_known_flips(
    viewer: Viewer, watched: Watched, compare_pair: ComparePair
) -> None:
    page = watched.page
    base = [("run", "compare-a"), ("run", "compare-b")]
    page.goto(viewer("/compare?" + urlencode(base)))
    options = page.locator("select[name=kind] option").all_inner_texts()
    assert f"pass→fail ({len(compare_pair.pass_to_fail)})" in options
    assert f"fail→pass ({len(compare_pair.fail_to_pass)})" in options
    first_rows = page.locator("table.compare tbody tr td:nth-child(2)").all_inner_texts()
    n_flips = len(compare_pair.pass_to_fail) + len(compare_pair.fail_to_pass)
    assert first_rows[:n_flips] == compare_pair.pass_to_fail + compare_pair.fail_to_pass
    page.select_option("select[name=kind]", "pass→fail")
    page.wait_for_url("**kind=*")
    shown = page.locator("table.compare tbody tr td:nth-child(2)").all_inner_texts()
    assert shown == compare_pair.pass_to_fail
    # side by side: both runs' full answers for one flipped question
    page.click(f"table.compare a:text-is('{compare_pair.pass_to_fail[0]}')")
    page.wait_for_function("() => window.qnextReady === true")
    assert page.locator(".sample-col").count() == 2
    assert page.locator(".sample-col .badge").all_inner_texts()[:2] == ["pass", "fail"]
    assert watched.errors == []


def test_hostile_model_output_runs_no_script(
    viewer: Viewer, watched: Watched, compare_pair: ComparePair
) -> None:
    page = watched.page
    for sample_id in compare_pair.hostile:
        page.goto(
            viewer(
                "/sample?" + urlencode({"run": "compare-b", "dataset": "mmlu_pro", "id": sample_id})
            )
        )
        page.wait_for_function("() => window.qnextReady === true")
        assert "__pwned" in page.inner_text("pre.response")  # shown, as text
        for link in page.locator("a").all():
            assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
        page.mouse.move(300, 400)
    # the same rows in the sample browser and in the offline report.html
    _ready(watched, viewer("/samples?run=compare-b&q=__pwned"))
    assert _info(watched).startswith(f"{len(compare_pair.hostile)} of")
    page.goto((compare_pair.b / "report.html").as_uri())
    page.wait_for_function("() => window.qnextReady === true")
    page.fill("input[name=q]", "__pwned")
    _wait_info(watched, f"{len(compare_pair.hostile)} of")
    for link in page.locator("#samples-body a.sample-link").all():
        link.click()
    assert page.locator("tr.detail pre.response").count() == len(compare_pair.hostile)
    assert watched.pwned() is None
    assert watched.dialogs == [] and watched.errors == []


def test_report_html_is_offline_with_charts_and_perf(watched: Watched, demo_run: Path) -> None:
    page = watched.page
    page.goto((demo_run / "report.html").as_uri())
    page.wait_for_function("() => window.qnextReady === true")
    assert all(u.startswith(("file:", "data:", "about:")) for u in watched.requests), (
        watched.requests
    )
    assert page.locator("#scores figure.chart svg").count() >= 1
    assert page.locator("#perf figure.chart svg").count() >= 4
    assert "Throughput vs concurrency" in page.inner_text("#perf")
    assert page.locator("#perf table.data tbody tr").count() == 3  # the sweep's three points
    rows = _samples(demo_run)
    _wait_info(watched, f"{len(rows)} of {len(rows)} samples match")
    page.select_option("select[name=outcome]", "fail")
    _wait_info(watched, f"{sum(r['outcome'] == 'fail' for r in rows)} of {len(rows)}")
    page.locator("#samples-body a.sample-link").first.click()
    assert page.locator("tr.detail pre.response").count() == 1
    # legend toggles hide a series
    key = page.locator("#perf figcaption .key").first
    key.click()
    assert "off" in (key.get_attribute("class") or "")
    assert watched.errors == []
