"""How fast the viewer's sample index filters and pages, at 12 000 and 100 000 samples.

    python benchmarks/bench_view.py [--data ../shared/data] [--sizes 12032 100000]

Rows are shaped like samples.jsonl rows (real MMLU-Pro questions as the prompt, Llama-3.1-8B's
generated text as the response, repeated with new ids past 12 032). For each size it prints the
index build time, the time of typical queries, and the ratio against re-reading samples.jsonl
for every query (what a viewer without an index would do), all measured in this one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_qnext.view.index import NOT_PASS, Filters, SampleIndex


def _rows(data: Path, n: int) -> list[dict[str, Any]]:
    questions = {}
    with (data / "mmlu_pro" / "test.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            questions[rec["question_id"]] = rec
    graded = []
    with (data / "responses" / "mmlu_pro_llama31_8b.jsonl").open(encoding="utf-8") as fh:
        graded = [json.loads(line) for line in fh]
    rows = []
    for i in range(n):
        g = graded[i % len(graded)]
        q = questions[g["question_id"]]
        ok = g["pred"] == g["answer"]
        rows.append(
            {
                "dataset": "mmlu_pro",
                "subset": q["category"],
                "sample_id": str(g["question_id"] + 100_000 * (i // len(graded))),
                "repeat": 0,
                "outcome": "pass" if ok else "fail",
                "metrics": {"acc": [float(ok), 1.0]},
                "prediction": g["generated_text"],
                "reasoning": "",
                "extracted": g["pred"],
                "target": g["answer"],
                "messages": [
                    {"role": "user", "content": q["question"] + "\n" + "\n".join(q["options"])}
                ],
            }
        )
    return rows


def _time(fn: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _rescan(path: Path, outcome: str) -> int:
    hits = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            hits += json.loads(line)["outcome"] == outcome
    return hits


def _bench(path: Path, n: int) -> None:
    size_mb = path.stat().st_size / 1e6
    start = time.perf_counter()
    index = SampleIndex(path, lambda _ds: "acc")
    build = time.perf_counter() - start
    queries = {
        "all, page 1": (Filters(), 0),
        "fail, page 20": (Filters(outcome="fail"), 950),
        "not pass + subset": (Filters(outcome=NOT_PASS, subset="law"), 0),
        "text 'photosynthesis'": (Filters(text="photosynthesis"), 0),
        "score >= 1": (Filters(score_min=1.0), 0),
    }
    index._search_texts()  # read in the background since the build; wait for it here
    ready = time.perf_counter() - start
    print(
        f"{n} samples ({size_mb:.0f} MB samples.jsonl): index built in {build:.2f} s "
        f"(first page can be served), search texts ready after {ready:.2f} s"
    )
    for name, (filters, offset) in queries.items():
        index._cache.clear()
        cold = _time(lambda f=filters, o=offset: index.query(f, o, 50), repeat=1)
        warm = _time(lambda f=filters, o=offset: index.query(f, o + 50, 50))
        page = index.query(filters, offset, 50)
        payload = len(json.dumps(page.rows))
        print(
            f"  {name:<24} {page.total:>7} hits  first {cold * 1e3:7.1f} ms  "
            f"next page {warm * 1e3:6.2f} ms  page JSON {payload / 1e3:5.1f} kB"
        )
    index._cache.clear()
    indexed = _time(lambda: index.query(Filters(outcome="fail"), 0, 50), repeat=1)
    rescan = _time(lambda: _rescan(path, "fail"), repeat=1)
    print(
        f"  re-reading samples.jsonl per query: {rescan:.2f} s; the index answers the same "
        f"query {rescan / indexed:.0f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("QNEXT_SHARED_DATA", "../shared/data"))
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[12032, 100_000])
    args = parser.parse_args()
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "samples.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for row in _rows(args.data, n):
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            _bench(path, n)


if __name__ == "__main__":
    main()
