"""Sandboxed grading speed: programs/s and the per-test overhead beyond the programs' own time.

    python benchmarks/bench_sandbox.py                  # 200 problems x 10 tests, all CPUs
    python benchmarks/bench_sandbox.py --workers 1      # one sandbox at a time

Grades the reference solutions of 200 generated problems (stdin and call-based, 10 tests each)
through `pytest_qnext.evals.livecodebench` (the same path as scoring: a fresh sandbox per
program, forked by the zygote, all of one problem's tests in it, expected outputs compared in
the parent). Prints:

* programs/s: problems / wall time;
* per-test overhead: (sum over programs of sandbox-start-to-verdict time - the programs' own
  run time, measured around each call inside the sandbox) / number of tests. Floor: <= 10 ms.
  Also the same from the pool's point of view: wall x workers / tests - own time / tests;
* CPU per test: the CPU time of all of a sandbox's processes (boot, pid 1, the program) less
  the program's own run time, per test. Unlike wall time it does not grow when other work on
  the machine competes for the CPUs.

For comparison, the official runner (LiveCodeBench `compute_code_generation_metrics.py`) starts a
`multiprocessing.Process` (fork) plus a `multiprocessing.Manager` server process per program,
runs all its tests in that process with `signal.alarm` per test and a join timeout of
(timeout + 1) x tests + 5 s as backstop, with no isolation beyond `reliability_guard()`
(functions set to None); EvalScope's copy does the same with the `spawn` start method (a fresh
interpreter per program). Neither has namespaces, rlimits on processes or a scrubbed
environment.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pytest_qnext.evals.livecodebench import make_pool  # noqa: E402
from pytest_qnext.evals.livecodebench.grader import Problem, Verdict  # noqa: E402
from pytest_qnext.sandbox import default_workers, sandbox_problem  # noqa: E402

FLOOR_MS = 10.0

STDIN_SORT = "n = int(input())\na = sorted(map(int, input().split()))\nprint(*a)\n"
STDIN_SUM = "import sys\nnums = list(map(int, sys.stdin.read().split()))\nprint(sum(nums[1:]))\n"
CALL_MAX = (
    "class Solution:\n    def best(self, nums: List[int]) -> int:\n        return max(nums)\n"
)
CALL_REV = "class Solution:\n    def rev(self, s: str) -> str:\n        return s[::-1]\n"


def problems(count: int, tests: int, seed: int = 7) -> list[tuple[Problem, str]]:
    """`count` problems of four kinds with `tests` random tests each, and their solutions."""
    rng = random.Random(seed)
    out = []
    for index in range(count):
        kind = index % 4
        inputs, outputs = [], []
        for _ in range(tests):
            nums = [rng.randint(-1000, 1000) for _ in range(rng.randint(1, 50))]
            if kind == 0:
                inputs.append(f"{len(nums)}\n{' '.join(map(str, nums))}\n")
                outputs.append(" ".join(map(str, sorted(nums))) + "\n")
            elif kind == 1:
                inputs.append(f"{len(nums)}\n" + "\n".join(map(str, nums)) + "\n")
                outputs.append(f"{sum(nums)}\n")
            elif kind == 2:
                inputs.append(json.dumps(nums))
                outputs.append(json.dumps(max(nums)))
            else:
                text = "".join(rng.choice("abcdef") for _ in range(len(nums)))
                inputs.append(json.dumps(text))
                outputs.append(json.dumps(text[::-1]))
        fn_name = (None, None, "best", "rev")[kind]
        code = (STDIN_SORT, STDIN_SUM, CALL_MAX, CALL_REV)[kind]
        out.append((Problem(f"p{index}", tuple(inputs), tuple(outputs), fn_name), code))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--tests", type=int, default=10)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    problem = sandbox_problem("namespaces")
    if problem is not None:
        print(f"sandbox unavailable: {problem}", file=sys.stderr)
        return 2
    work = problems(args.problems, args.tests)
    pool = make_pool(workers=args.workers)
    pool.submit(*work[0]).result()  # start the zygote outside the measurement
    started = time.perf_counter()
    futures = [pool.submit(p, code) for p, code in work]
    verdicts: list[Verdict] = [f.result() for f in futures]
    wall = time.perf_counter() - started
    pool.shutdown()
    failed = [v for v in verdicts if not v.passed]
    if failed:
        print(f"{len(failed)} reference solutions failed, e.g. {failed[0].explanation()}")
        return 1
    tests = args.problems * args.tests
    own = sum(v.run_seconds for v in verdicts)
    busy = sum(v.wall_seconds for v in verdicts)
    per_test_ms = (busy - own) / tests * 1000
    pool_ms = (wall * args.workers - own) / tests * 1000
    per_program = statistics.median(v.wall_seconds for v in verdicts) * 1000
    cpu = sum(v.sandbox_cpu_seconds or 0.0 for v in verdicts)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{args.problems} programs x {args.tests} tests, {args.workers} workers, load {load}")
    print(f"  wall {wall:.2f} s -> {args.problems / wall:.1f} programs/s")
    print(f"  programs' own run time {own * 1000 / tests:.3f} ms per test")
    print(f"  per-test overhead {per_test_ms:.2f} ms (sandbox start to verdict, less own time)")
    print(f"  per-test overhead {pool_ms:.2f} ms (wall x workers / tests, less own time)")
    print(f"  CPU per test {(cpu - own) / tests * 1000:.2f} ms (all sandbox processes, less own)")
    print(f"  median program: {per_program:.1f} ms sandbox start to verdict")
    verdict = "OK" if per_test_ms <= FLOOR_MS else "ABOVE FLOOR"
    print(f"  floor <= {FLOOR_MS:.0f} ms per test: {verdict}")
    return 0 if per_test_ms <= FLOOR_MS else 1


if __name__ == "__main__":
    sys.exit(main())
