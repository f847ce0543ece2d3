"""Build the LiveCodeBench fixtures from `problems_stdin.py` and `problems_call.py`.

    python tests/data/livecodebench/build_fixtures.py

Writes, in the layout and record schema of HF `livecodebench/code_generation_lite`:

* `test.jsonl` ... `test6.jsonl`: the problems, placed in the file of the release that covers
  their contest date (the releases are sets of these files); private tests encoded as the
  dataset does, base64(zlib(pickle(JSON string)));
* `responses/<variant>.jsonl`: replay files (`{"dataset", "sample_id", "response"}`) with the
  reference solution and the wrong, slow, crashing and no-code answers of every problem;
* `reference_solutions.jsonl` (`{"question_id", "solution"}`): the reference solutions, which
  the loader hands to the simulator's oracle (`evals/livecodebench/oracle.py`);
* `../../../pytest_qnext/data/demo/livecodebench/test6.jsonl` and its
  `reference_solutions.jsonl`: the demo rows.

Expected outputs come from running the reference solutions here (our own code, not model
output). The problems are ours, not LiveCodeBench's.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import pickle
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from problems_call import PROBLEMS as CALL  # noqa: E402
from problems_stdin import PROBLEMS as STDIN  # noqa: E402

DATASET = "live_code_bench"
DEMO_IDS = ("qx1014", "3111", "3112")
VARIANTS = ("reference", "wrong", "slow", "crash", "nocode")
SOLUTIONS = "reference_solutions.jsonl"  # evals/livecodebench/oracle.py REFERENCE_FILE
# (first contest date of the file, file); a problem goes to the last file starting before it
FILES = (
    ("2023-05-01", "test.jsonl"),
    ("2024-04-01", "test2.jsonl"),
    ("2024-06-01", "test3.jsonl"),
    ("2024-08-01", "test4.jsonl"),
    ("2024-10-01", "test5.jsonl"),
    ("2025-02-01", "test6.jsonl"),
)


def run_stdin(code: str, data: str) -> str:
    out = io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data.encode()), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<reference>", "exec"), {"__name__": "__main__"})
    finally:
        sys.stdin = saved
    return out.getvalue()


def run_call(code: str, fn_name: str, args: list[Any]) -> str:
    namespace: dict[str, Any] = {"List": list, "Counter": Counter, "comb": math.comb}
    exec(compile(code, "<reference>", "exec"), namespace)
    value = getattr(namespace["Solution"](), fn_name)(*args)
    return json.dumps(list(value) if isinstance(value, tuple) else value)


def encode_private(tests: list[dict[str, str]]) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode("ascii")


def file_for(date: str) -> str:
    return [name for start, name in FILES if start <= date][-1]


def record(problem: dict[str, Any], call: bool) -> dict[str, Any]:
    if call:
        inputs = ["\n".join(json.dumps(a) for a in args) for args in problem["args"]]
        outputs = [run_call(problem["reference"], problem["fn_name"], a) for a in problem["args"]]
        testtype = "functional"
    else:
        inputs = problem["inputs"]
        outputs = [run_stdin(problem["reference"], i) for i in inputs]
        testtype = "stdin"
    tests = [
        {"input": i, "output": o, "testtype": testtype}
        for i, o in zip(inputs, outputs, strict=True)
    ]
    public, private = tests[: problem["public"]], tests[problem["public"] :]
    platform = "leetcode" if call else problem["platform"]
    return {
        "question_title": problem["title"],
        "question_content": problem["statement"],
        "platform": platform,
        "question_id": problem["id"],
        "contest_id": f"{platform}-{problem['date'][:7]}",
        "contest_date": f"{problem['date']}T00:00:00",
        "starter_code": problem.get("starter", ""),
        "difficulty": problem["difficulty"],
        "public_test_cases": json.dumps(public),
        "private_test_cases": encode_private(private),
        "metadata": json.dumps({"func_name": problem["fn_name"]} if call else {}),
    }


def responses(problem: dict[str, Any], call: bool) -> dict[str, str]:
    fence = "```"
    out = {}
    for variant in ("reference", "wrong", "slow", "crash"):
        code = problem[variant]
        if call and variant == "reference":  # two blocks: the last one counts
            out[variant] = (
                f"The starter code is\n{fence}python\n{problem['starter']}\n{fence}\n\n"
                f"and the completed solution:\n{fence}python\n{code}{fence}\n"
            )
        else:
            out[variant] = f"Here is my program.\n\n{fence}python\n{code}{fence}\n"
    if call:  # an unterminated block: one fence line only
        out["nocode"] = f"{fence}python\n{problem['reference']}"
    else:
        out["nocode"] = f"Use a {problem['title'].lower()} approach: it runs in linear time."
    return out


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    by_file: dict[str, list[dict[str, Any]]] = {name: [] for _, name in FILES}
    replays: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
    demo: list[dict[str, Any]] = []
    solutions: list[dict[str, Any]] = []
    problems = [(p, False) for p in STDIN] + [(p, True) for p in CALL]
    for problem, call in sorted(problems, key=lambda item: item[0]["date"]):
        row = record(problem, call)
        by_file[file_for(problem["date"])].append(row)
        solutions.append({"question_id": problem["id"], "solution": problem["reference"]})
        if problem["id"] in DEMO_IDS:
            demo.append(row)
        for variant, text in responses(problem, call).items():
            replays[variant].append(
                {"dataset": DATASET, "sample_id": problem["id"], "response": text}
            )
    for name, rows in by_file.items():
        write_jsonl(HERE / name, rows)
    for variant, rows in replays.items():
        write_jsonl(HERE / "responses" / f"{variant}.jsonl", rows)
    write_jsonl(HERE / SOLUTIONS, solutions)
    demo_dir = HERE.parents[2] / "pytest_qnext" / "data" / "demo" / "livecodebench"
    write_jsonl(demo_dir / "test6.jsonl", demo)
    write_jsonl(demo_dir / SOLUTIONS, [s for s in solutions if s["question_id"] in DEMO_IDS])
    counts = {name: len(rows) for name, rows in by_file.items()}
    print(f"{len(problems)} problems: {counts}; demo {len(demo)}")


if __name__ == "__main__":
    main()
