"""Grading ahead vs grading in each item: how long pytest's items wait for live_code_bench verdicts.

    python benchmarks/bench_grading.py                 # fixtures x 2 repeats, 1 and all CPUs
    python benchmarks/bench_grading.py --repeats 4 --workers 1 2 4

Runs the capability session exactly as the plugin does for a replay (`--qnext-responses` with
the reference solutions of our fixture problems, `tests/data/livecodebench`): items run one
after another on this thread, as pytest runs them, and each takes its row. Compared:

* inline: each item scores its answer itself when it runs (`outcome.sample_row`, the path
  ordinary benchmarks take): programs run one at a time;
* ahead, N workers: the session grades every answer as soon as it is known (a replay: all at
  start) on N sandbox workers (`--qnext-sandbox-workers`); an item waits only for its own row.

Prints the wall time of the item loop for each and the speed-up over inline, measured in this
one run (on a machine shared with other work the ratio is what to read, not the seconds).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pytest_qnext.capability.options import CapabilitySettings  # noqa: E402
from pytest_qnext.capability.outcome import sample_row  # noqa: E402
from pytest_qnext.capability.replay import Replay  # noqa: E402
from pytest_qnext.capability.session import CapabilitySession  # noqa: E402
from pytest_qnext.perf.options import PerfSettings  # noqa: E402
from pytest_qnext.sandbox import default_workers, sandbox_problem  # noqa: E402
from pytest_qnext.settings import Settings  # noqa: E402

DATA = HERE.parent / "tests" / "data"
REPLAY = DATA / "livecodebench" / "responses" / "reference.jsonl"


def make_session(workers: int, repeats: int, report_dir: Path) -> CapabilitySession:
    settings = Settings(
        urls=(),
        model=None,
        api="chat",
        timeout=30.0,
        retries=0,
        sim_spec=None,
        serve=None,
        serve_timeout=1.0,
        report_dir=report_dir,
        capability=CapabilitySettings(
            datasets=("live_code_bench",),
            data_dir=DATA,
            responses=REPLAY,
            repeats=repeats,
            sandbox_workers=workers,
            cache="off",
        ),
        perf=PerfSettings(),
    )
    return CapabilitySession(settings)


def inline(repeats: int, report_dir: Path) -> tuple[float, int]:
    """Each item scores its own answer when it runs (one program at a time)."""
    session = make_session(1, repeats, report_dir)
    entries = session.entries()
    replay = Replay(REPLAY)
    started = time.perf_counter()
    passed = 0
    for entry in entries:
        answer = replay.get(entry.dataset, entry.sample.id, entry.repeat)
        passed += sample_row(entry, answer).outcome == "pass"
    return time.perf_counter() - started, passed


def ahead(workers: int, repeats: int, report_dir: Path) -> tuple[float, int]:
    """The session grades all answers on `workers` sandboxes; items take their rows."""
    session = make_session(workers, repeats, report_dir)
    ids = [entry.item_id for entry in session.entries()]
    session.plan(ids)
    try:
        started = time.perf_counter()
        session.start()
        passed = sum(session.run(item_id).outcome == "pass" for item_id in ids)
        return time.perf_counter() - started, passed
    finally:
        session.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2, help="programs per problem")
    parser.add_argument(
        "--workers", type=int, nargs="+", help="sandbox workers to try (default: 1 and CPUs)"
    )
    args = parser.parse_args()
    problem = sandbox_problem("namespaces")
    if problem is not None:
        print(f"cannot benchmark: {problem}", file=sys.stderr)
        return 1
    workers = args.workers or sorted({1, default_workers()})
    with tempfile.TemporaryDirectory() as tmp:
        report_dir = Path(tmp)
        programs = len(make_session(1, args.repeats, report_dir).entries())
        print(
            f"live_code_bench: {programs} programs (32 fixture problems x {args.repeats} "
            f"repeats, reference solutions), {default_workers()} CPUs"
        )
        base, passed = inline(args.repeats, report_dir)
        print(f"  inline, in each item       {base:7.2f} s  {1000 * base / programs:6.1f} ms/item")
        for count in workers:
            wall, ok = ahead(count, args.repeats, report_dir)
            assert ok == passed == programs, (ok, passed, programs)
            print(
                f"  ahead, {count:2d} worker(s)       {wall:7.2f} s  "
                f"{1000 * wall / programs:6.1f} ms/item  speed-up x{base / wall:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
