"""Prefetch speed (must-show 2): wall time ÷ ideal for N samples at batch B.

Runs the capability suite in-process against the simulator with a fixed answer latency and no
cache, and times pytest's run-test loop (every item's own pytest overhead included; interpreter
start, dataset loading and collection excluded and printed apart):

    python benchmarks/bench_engine.py            # 2000 samples, batch 32, 200 ms
    python benchmarks/bench_engine.py --samples 500 --latency 0.1

ideal = samples / batch × latency. The floor is ratio ≤ 1.10. `QNEXT_PREFETCH=thread` measures the
in-process (thread) prefetcher instead of the default child process, for comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FLOOR = 1.10


class _Timer:
    def __init__(self) -> None:
        self.loop_s = 0.0
        self.cpu_s = 0.0
        self.failed = 0
        self.passed = 0

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return (yield)
        finally:
            self.loop_s = time.perf_counter() - start
            self.cpu_s = time.process_time() - cpu

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.passed += report.passed
            self.failed += report.failed


def write_dataset(path: Path, samples: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(samples):
            row = {
                "id": f"s{i}",
                "question": f"Which number follows {i}?",
                "choices": [str(i + 1), str(i + 2), str(i - 1), str(i * 2)],
                "answer": "A",
            }
            fh.write(json.dumps(row) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qnext-bench-") as tmp:
        data = Path(tmp) / "bench.jsonl"
        write_dataset(data, args.samples)
        spec = f'ttft={args.latency},itl=0,policy=fixed,text="ANSWER: A"'
        timer = _Timer()
        started = time.perf_counter()
        code = pytest.main(
            [
                str(HERE / "test_capability.py"),
                "-qq",
                "-p",
                "no:cacheprovider",
                "-m",
                "capability",
                "--qnext-sim",
                spec,
                "--qnext-datasets",
                "general_mcq",
                "--qnext-dataset-args",
                json.dumps({"general_mcq": {"local_path": str(data)}}),
                "--qnext-batch-size",
                str(args.batch),
                "--qnext-cache",
                "off",
                "--qnext-report-dir",
                str(Path(tmp) / "report"),
            ],
            plugins=[timer],
        )
        total = time.perf_counter() - started
    ideal = args.samples / args.batch * args.latency
    ratio = timer.loop_s / ideal
    print(
        f"bench_engine: {args.samples} samples, batch {args.batch}, latency {args.latency:g}s: "
        f"run loop {timer.loop_s:.2f}s, ideal {ideal:.2f}s, wall/ideal {ratio:.3f} "
        f"(floor {FLOOR}); pytest process CPU in the loop {timer.cpu_s:.2f}s; "
        f"whole pytest.main {total:.2f}s; passed {timer.passed}, "
        f"failed {timer.failed}, exit {int(code)}"
    )
    return 0 if ratio <= FLOOR and timer.passed == args.samples else 1


if __name__ == "__main__":
    sys.exit(main())
