"""Engine speed: prefetch wall time ÷ ideal (live), and a big replay run's phases (--replay).

Live (must-show 2): runs the capability suite in-process against the simulator with a fixed
answer latency and no cache, and times pytest's run-test loop (every item's own pytest overhead
included; interpreter start, dataset loading and collection excluded and printed apart):

    python benchmarks/bench_engine.py            # 2000 samples, batch 32, 200 ms
    python benchmarks/bench_engine.py --samples 500 --latency 0.1

ideal = samples / batch × latency. The floor is ratio ≤ 1.10. `QNEXT_PREFETCH=thread` measures the
in-process (thread) prefetcher instead of the default child process, for comparison.

Replay (issue #11, scale): `--replay` writes N generated general_mcq rows (MMLU-Pro shaped: a
question, ten options) and a replay file with an LLM-sized recorded answer for each (about 45 %
right), runs `pytest -m capability --qnext-responses ...` in a subprocess with pytest's default
output (sent to a file), and prints the wall time and peak memory of that process with the
time of each phase (start-up, dataset loading, collection, the item loop, report writing, the
terminal summary). The floors are 60 s and 1 GiB:

    python benchmarks/bench_engine.py --replay                  # 50 000 samples
    python benchmarks/bench_engine.py --replay --tb no          # pytest's failure blocks off
    python benchmarks/bench_engine.py --replay --profile out.prof   # + cProfile of the run
    python benchmarks/bench_engine.py --replay --workers 2   # under pytest-xdist -n 2

Under --workers the peak memory printed is the controller's (the largest process).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FLOOR = 1.10
REPLAY_SECONDS = 60.0
REPLAY_MIB = 1024.0


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


# A pytest plugin (written next to the generated data, loaded with -p) that times the phases
# of the run it is loaded into and records the process's memory high-water mark.
PHASES_PLUGIN = """
import json, os, time
import pytest

T0 = time.perf_counter()
PHASES = {}

def _hwm_mib():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0

def _timed(name):
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def hook(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return (yield)
        finally:
            PHASES[name] = (
                time.perf_counter() - start, time.process_time() - cpu, _hwm_mib()
            )
    return hook

pytest_sessionstart = _timed("load (sessionstart)")
pytest_collection = _timed("collect")
pytest_runtestloop = _timed("items")
pytest_sessionfinish = _timed("report (sessionfinish)")
pytest_terminal_summary = _timed("terminal summary")

def pytest_configure(config):
    PHASES["start-up (to configure)"] = (
        time.perf_counter() - T0, time.process_time(), _hwm_mib()
    )

def pytest_unconfigure(config):
    with open(os.environ["QNEXT_BENCH_PHASES"], "w") as fh:
        json.dump({"phases": PHASES, "hwm_mib": _hwm_mib()}, fh)
"""
WORDS = [
    "the",
    "of",
    "answer",
    "option",
    "because",
    "therefore",
    "energy",
    "market",
    "cell",
    "law",
    "value",
    "rate",
    "force",
    "ratio",
    "we",
    "consider",
    "first",
    "second",
    "step",
    "so",
    "thus",
    "given",
    "which",
    "each",
    "total",
    "number",
    "result",
    "compute",
]


def write_replay_inputs(folder: Path, samples: int, seed: int = 0) -> tuple[Path, Path]:
    """`samples` general_mcq rows and a replay file answering each (generated, seeded)."""
    rng = random.Random(seed)
    data, replay = folder / "mcq.jsonl", folder / "responses.jsonl"
    with data.open("w", encoding="utf-8") as rows, replay.open("w", encoding="utf-8") as answers:
        for i in range(samples):
            letters = "ABCDEFGHIJ"
            answer = letters[rng.randrange(10)]
            question = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 160)))
            choices = [" ".join(rng.choice(WORDS) for _ in range(5)) for _ in range(10)]
            record = {"id": f"s{i}", "question": f"{question}?", "choices": choices}
            rows.write(json.dumps({**record, "answer": answer}) + "\n")
            picked = answer if rng.random() < 0.45 else letters[rng.randrange(10)]
            steps = " ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 320)))
            line = {
                "dataset": "general_mcq",
                "sample_id": f"s{i}",
                "response": f"Let's think step by step. {steps}. ANSWER: {picked}",
                "finish_reason": "stop",
            }
            answers.write(json.dumps(line) + "\n")
    return data, replay


BARE_TEST = """
import pytest

@pytest.fixture
def value(request):
    return request.param

@pytest.mark.parametrize("value", [f"s{i}" for i in range(COUNT)], indirect=True)
def test_bare(value):
    pass
"""


def bare_floor(samples: int, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of plain pytest running `samples` trivial items through an indirect
    fixture, in this environment: what pytest alone costs for that many items."""
    with tempfile.TemporaryDirectory(prefix="qnext-bench-bare-") as tmp:
        test = Path(tmp) / "test_bare.py"
        test.write_text(BARE_TEST.replace("COUNT", str(samples)), encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        cmd = [sys.executable, "-m", "pytest", str(test), "-p", "no:cacheprovider", "-q"]
        cmd += ["-W", "ignore::pytest.PytestDeprecationWarning"]
        subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env, cwd=tmp)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def write_mmlu_pro_replay(folder: Path, shared: Path) -> tuple[Path, int]:
    """The replay file of the recorded Llama-3.1-8B answers to all 12 032 MMLU-Pro questions
    (../shared/data), one row per question (it answers every repeat); and its row count."""
    replay = folder / "responses.jsonl"
    count = 0
    source = shared / "responses" / "mmlu_pro_llama31_8b.jsonl"
    with source.open(encoding="utf-8") as rows, replay.open("w", encoding="utf-8") as out:
        for line in rows:
            if line.strip():
                row = json.loads(line)
                answer = {"dataset": "mmlu_pro", "sample_id": str(row["question_id"])}
                answer["response"] = row["generated_text"]
                out.write(json.dumps(answer) + "\n")
                count += 1
    return replay, count


def replay_inputs(args: argparse.Namespace, folder: Path) -> tuple[list[str], str]:
    """The qnext arguments of the replay run and a description of its samples."""
    if args.source == "mmlu_pro":
        shared = Path(os.environ.get("QNEXT_SHARED_DATA", HERE.parent.parent / "shared" / "data"))
        replay, count = write_mmlu_pro_replay(folder, shared)
        items = count * args.repeats
        qnext = ["--qnext-datasets", "mmlu_pro", "--qnext-data-dir", str(shared)]
        qnext += ["--qnext-repeats", str(args.repeats), "--qnext-responses", str(replay)]
        return qnext, f"{items} samples (MMLU-Pro, {count} questions x {args.repeats} repeats)"
    data, replay = write_replay_inputs(folder, args.samples)
    qnext = ["--qnext-datasets", "general_mcq", "--qnext-responses", str(replay)]
    qnext += ["--qnext-dataset-args", json.dumps({"general_mcq": {"local_path": str(data)}})]
    return qnext, f"{args.samples} samples (generated general_mcq rows and answers)"


def replay_main(args: argparse.Namespace) -> int:
    """--replay: the phases, wall time and peak memory of a big replay run (see __doc__)."""
    with tempfile.TemporaryDirectory(prefix="qnext-bench-replay-") as tmp:
        folder = Path(tmp)
        made = time.perf_counter()
        qnext, described = replay_inputs(args, folder)
        made = time.perf_counter() - made
        (folder / "qnext_bench_phases.py").write_text(PHASES_PLUGIN, encoding="utf-8")
        phases_file = folder / "phases.json"
        env = dict(os.environ, QNEXT_BENCH_PHASES=str(phases_file))
        # a normal install caches bytecode (and pytest its assertion rewrites): measure that
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
        runner = [sys.executable]
        if args.profile:
            runner += ["-m", "cProfile", "-o", str(Path(args.profile).resolve())]
        cmd = [
            *runner,
            "-m",
            "pytest",
            str(HERE / "test_capability.py"),
            "-p",
            "qnext_bench_phases",
            "-p",
            "no:cacheprovider",
            "-m",
            "capability",
            f"--tb={args.tb}",
            *(["-n", str(args.workers)] if args.workers else []),
            *qnext,
            "--qnext-report-dir",
            str(folder / "report"),
            "-W",
            "ignore::pytest.PytestDeprecationWarning",
        ]
        out_file = folder / "pytest-output.txt"
        started = time.perf_counter()
        with out_file.open("wb") as out:
            code = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp)
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = usage.ru_maxrss / 1024  # KiB -> MiB
        cpu = usage.ru_utime + usage.ru_stime
        items = int(described.split()[0])
        floor = bare_floor(items, env) if args.floor else None
        output = out_file.read_bytes()
        measured = json.loads(phases_file.read_text(encoding="utf-8"))
        report = sum(f.stat().st_size for f in (folder / "report").rglob("*") if f.is_file())
    lines = output.count(b"\n")
    last = output.decode("utf-8", "replace").strip().splitlines()[-1:] or ["(no output)"]
    print(
        f"bench_engine --replay: {described}, inputs written in {made:.1f}s; pytest "
        f"--tb={args.tb}, exit {code}"
    )
    for name, (seconds, phase_cpu, hwm) in measured["phases"].items():
        print(
            f"  {name:<26} {seconds:7.2f}s (CPU {phase_cpu:6.2f}s)   memory high-water mark "
            f"{hwm:6.0f} MiB"
        )
    print(
        f"  pytest output {len(output) / 2**20:.1f} MiB in {lines} lines; report files "
        f"{report / 2**20:.1f} MiB; pytest's last line: {last[0]}"
    )
    if floor is not None:
        print(
            f"  bare pytest, {items} trivial items (same environment, just after): wall "
            f"{floor[0]:.1f}s, CPU {floor[1]:.1f}s; this run / bare: wall {wall / floor[0]:.2f}, "
            f"CPU {cpu / floor[1]:.2f}"
        )
    ok = wall <= REPLAY_SECONDS and peak <= REPLAY_MIB and code in (0, 1)
    print(
        f"bench_engine --replay: wall {wall:.1f}s (floor {REPLAY_SECONDS:g}s; CPU {cpu:.1f}s), "
        f"peak memory "
        f"{peak:.0f} MiB (floor {REPLAY_MIB:g} MiB): {'ok' if ok else 'OVER'}"
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replay", action="store_true", help="time a big replay run's phases")
    parser.add_argument("--samples", type=int, default=None, help="2000 live, 50000 --replay")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--tb", default="auto", help="pytest's --tb for --replay (auto, no)")
    parser.add_argument("--profile", help="--replay: write a cProfile of the run to this file")
    parser.add_argument(
        "--source",
        choices=("generated", "mmlu_pro"),
        default="generated",
        help="--replay: generated general_mcq rows (--samples), or all of MMLU-Pro with the "
        "recorded Llama-3.1-8B answers from ../shared/data (--repeats)",
    )
    parser.add_argument("--repeats", type=int, default=4, help="--source mmlu_pro repeats")
    parser.add_argument(
        "--workers", type=int, default=0, help="--replay: pytest-xdist workers (-n); 0: none"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="--replay: also time plain pytest with as many trivial items (the floor)",
    )
    args = parser.parse_args(argv)
    if args.replay:
        args.samples = args.samples or 50_000
        return replay_main(args)
    args.samples = args.samples or 2000
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
