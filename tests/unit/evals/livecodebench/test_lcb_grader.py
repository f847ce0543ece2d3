"""Grading in the real sandbox: the official comparison rules, the official harnesses' quirks in
both flavours, verdict kinds, the real EvalScope example problem, and that expected outputs
never enter the sandbox.

The quirk tables hold the verdicts the official harness code gives these programs (measured by
running LiveCodeBench `lcb_runner/evaluation/testing_util.py` @ 28fef95 and EvalScope's
`benchmarks/live_code_bench/testing_util.py` @ fde259d2 on them: True = pass, -2 = wrong
answer, -4 = runtime error), translated into our kinds.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.evals.livecodebench.grader import (
    TRUNCATE_CHARS,
    GradeSettings,
    Problem,
    decode_value,
    grade,
    lines_match,
    truncate,
)
from pytest_qnext.evals.livecodebench.runner import encode_value

pytestmark = pytest.mark.usefixtures("lcb_sandbox_ready")

ADD = Problem("add", ("1\n2\n",), ("3\n",))

# program -> (official kind, evalscope kind); input "1\n2\n", expected "3\n"
STDIN_QUIRKS: dict[str, tuple[str, str, str]] = {
    "input": ("a = int(input())\nb = int(input())\nprint(a + b)", "pass", "pass"),
    "for_line_in_stdin": (
        "import sys\nt = 0\nfor line in sys.stdin:\n    t += int(line)\nprint(t)",
        "runtime_error",  # the official fake stdin cannot be iterated
        "pass",
    ),
    "buffer_readline_twice": (
        "import sys\na = int(sys.stdin.buffer.readline())\n"
        "b = int(sys.stdin.buffer.readline())\nprint(a + b)",
        "wrong_answer",  # official buffer.readline() always returns the first line
        "pass",
    ),
    "readlines": (
        "import sys\nprint(sum(int(x) for x in sys.stdin.readlines()))",
        "runtime_error",  # official readlines() = input.split("\n"): a trailing ""
        "pass",
    ),
    "readlines_filtered": (
        "import sys\nprint(sum(int(x) for x in sys.stdin.readlines() if x.strip()))",
        "pass",
        "pass",
    ),
    "read_twice": (
        "import sys\na = sys.stdin.read()\nb = sys.stdin.read()\n"
        "print(sum(map(int, (a + b).split())))",
        "wrong_answer",  # official read() does not consume
        "pass",
    ),
    "open_0": ("print(sum(map(int, open(0).read().split())))", "wrong_answer", "wrong_answer"),
    "from_sys_import_stdin": (
        "from sys import stdin\na = int(stdin.readline())\nb = int(stdin.readline())\nprint(a + b)",
        "pass",
        "pass",
    ),
    "readline_past_end": (
        "import sys\na = int(sys.stdin.readline())\nb = int(sys.stdin.readline())\n"
        "sys.stdin.readline()\nsys.stdin.readline()\nprint(a + b)",
        "pass",
        "pass",
    ),
    "imported_stdin_past_end": (
        "from sys import stdin\na = int(stdin.readline())\nb = int(stdin.readline())\n"
        "stdin.readline()\nstdin.readline()\nprint(a + b)",
        "runtime_error",  # the patched real stdin raises StopIteration past the end
        "runtime_error",
    ),
    "os_write": (
        "import os\na = int(input())\nb = int(input())\nos.write(1, str(a + b).encode())",
        "wrong_answer",
        "wrong_answer",
    ),
    "global_statement": (
        "total = 0\ndef add(x):\n    global total\n    total += x\n"
        "add(int(input()))\nadd(int(input()))\nprint(total)",
        "runtime_error",  # `total` is a local of wrapped_function, not a global
        "runtime_error",
    ),
    "class_solution_text": (
        "NOTE = 'no class Solution here'\na = int(input())\nb = int(input())\nprint(a + b)",
        "compile_error",  # officially -4: the harness instantiates a Solution that is not there
        "compile_error",
    ),
    "stdout_close": (
        "import sys\na = int(input())\nb = int(input())\nprint(a + b)\nsys.stdout.close()",
        "runtime_error",
        "runtime_error",
    ),
    "big_int_text": (
        "x = 10 ** 5000\nprint(len(str(x)) - 5001 + int(input()) + int(input()))",
        "pass",  # the official runner allows 50000 digits, EvalScope's process 4300
        "runtime_error",
    ),
    "exit": ("a = int(input())\nb = int(input())\nprint(a + b)\nexit()", "pass", "pass"),
    "quit": (
        "a = int(input())\nb = int(input())\nprint(a + b)\nquit()",
        "runtime_error",
        "runtime_error",
    ),
    "os_getcwd": (
        "import os\nos.getcwd()\nprint(int(input()) + int(input()))",
        "runtime_error",
        "runtime_error",
    ),
    "main_guard_last": (
        "def main():\n    a = int(input())\n    b = int(input())\n    print(a + b)\n\n"
        "if __name__ == '__main__':\n    main()",
        "pass",
        "pass",
    ),
    "main_guard_not_last": (
        "def main():\n    print(int(input()) + int(input()))\n\n"
        "if __name__ == '__main__':\n    main()\nDONE = True",
        "wrong_answer",
        "wrong_answer",
    ),
    "readline_alias": (
        "import sys\ninput = sys.stdin.readline\na = int(input())\nb = int(input())\nprint(a + b)",
        "pass",
        "pass",
    ),
    "float_text": ("a = int(input())\nb = int(input())\nprint(f'{a + b:.3f}')", "pass", "pass"),
}

_S = "class Solution:\n    def f(self, x: int, y: List[int]):\n        "
# program, expected output, kind (the same in both flavours); inputs "1" and "[4, 5, 6]"
CALL_QUIRKS: dict[str, tuple[str, str, str]] = {
    "list": (_S + "return [x, len(y)]", "[1, 3]", "pass"),
    "tuple_counts_as_list": (_S + "return (x, len(y))", "[1, 3]", "pass"),
    "nested_tuples_do_not": (_S + "return [(x, len(y))]", "[[1, 3]]", "wrong_answer"),
    "bool_for_int": (_S + "return True", "1", "pass"),
    "float_for_int": (_S + "return float(x)", "1", "pass"),
    "numpy_int": (_S + "import numpy\n        return numpy.int64(x)", "1", "pass"),
    "none": (_S + "return None", "null", "pass"),
    "set_for_list": (_S + "return {x}", "[1]", "wrong_answer"),
    "module_function": ("def f(x, y):\n    return x", "1", "pass"),
    "missing_method": (
        "class Solution:\n    def g(self, x, y):\n        return x",
        "1",
        "compile_error",
    ),
    "exit_in_method": (_S + "exit(0)", "1", "runtime_error"),
}


@pytest.mark.parametrize("name", sorted(STDIN_QUIRKS))
@pytest.mark.parametrize("flavour", ["official", "evalscope"])
def test_stdin_programs_get_the_official_verdicts(name: str, flavour: str) -> None:
    code, official, evalscope = STDIN_QUIRKS[name]
    problem = Problem("add", ADD.inputs, ADD.outputs, flavour=flavour)  # type: ignore[arg-type]
    verdict = grade(problem, code)
    assert verdict.kind == (official if flavour == "official" else evalscope), verdict


@pytest.mark.parametrize("name", sorted(CALL_QUIRKS))
def test_call_based_programs_get_the_official_verdicts(name: str) -> None:
    code, expected, kind = CALL_QUIRKS[name]
    problem = Problem("call", ("1\n[4, 5, 6]",), (expected,), fn_name="f")
    assert grade(problem, code).kind == kind


def test_a_custom_eq_object_is_never_equal() -> None:
    """Known difference: officially a returned object's own __eq__ decides (and can say True
    to anything); here only plain data crosses the sandbox, so such an object never matches."""
    eq = "class A:\n            def __eq__(self, o):\n                return True\n"
    code = _S + eq + "        return A()"
    verdict = grade(Problem("call", ("1\n[4, 5, 6]",), ("[5]",), fn_name="f"), code)
    assert verdict.kind == "wrong_answer" and "__main__" not in verdict.got


@pytest.mark.parametrize(
    ("got", "expected", "ok"),
    [
        ("3\n", "3", True),
        ("  3  \n\n", "3\n", True),
        ("1.0\n", "1\n", True),  # Decimal equality, token by token
        ("1e3 2\n", "1000 2.0\n", True),
        ("0.30000000000000004\n", "0.3\n", False),  # exact: no tolerance
        ("1  2\n", "1 2\n", True),  # tokens, not spacing
        ("YES\n", "Yes\n", False),
        ("1\n2\n", "1\n", False),  # line counts must match
        ("1\n\n2\n", "1\n2\n", False),  # a blank line in the middle counts
        ("nan\n", "nan\n", True),  # equal text wins before any number parsing
        ("NaN 1\n", "nan 1\n", False),  # NaN != NaN as Decimals
        ("1,2\n", "1 2\n", False),
        ("-0\n", "0\n", True),
    ],
)
def test_output_lines_compare_like_the_official_grader(got: str, expected: str, ok: bool) -> None:
    assert (lines_match(got, expected) is None) is ok


def test_values_cross_the_sandbox_with_their_types() -> None:
    values: list[Any] = [
        [1, 2.5, "x", None, True],
        (1, (2, 3)),
        {"a": [1], 2: {3, 4}},
        frozenset({1}),
        Decimal("1.5"),
    ]
    for value in values[:4]:
        assert decode_value(json.loads(json.dumps(encode_value(value)))) == value
    assert type(decode_value(encode_value((1, 2)))) is tuple
    assert decode_value(encode_value(Decimal("1.5"))) != Decimal("1.5")  # not plain data


def test_the_real_evalscope_example_problem(shared_data: Path) -> None:
    """The five real tests of EvalScope's recorded live_code_bench example (Codeforces cards
    abc: can one swap make the row "abc"?)."""
    meta = json.loads((shared_data / "evalscope_meta" / "live_code_bench.json").read_text())
    tests = json.loads(meta["sample_example"]["data"]["metadata"]["evaluation_sample"])
    assert tests["fn_name"] is None
    problem = Problem("cards", tuple(tests["inputs"]), tuple(tests["outputs"]))
    solution = (
        "t = int(input())\nfor _ in range(t):\n    s = input().strip()\n"
        "    print('YES' if sum(a != b for a, b in zip(s, 'abc')) in (0, 2) else 'NO')\n"
    )
    assert grade(problem, solution).kind == "pass"
    always_yes = "t = int(input())\nfor _ in range(t):\n    input()\n    print('YES')\n"
    verdict = grade(problem, always_yes)
    assert (verdict.kind, verdict.failed_test, verdict.tests_passed) == ("wrong_answer", 0, 0)
    assert verdict.error == "line 4 differs"
    assert verdict.expected == tests["outputs"][0] and verdict.got.startswith("YES\nYES")


def test_grading_stops_at_the_first_failing_test() -> None:
    problem = Problem("p", ("1\n", "2\n", "3\n"), ("1\n", "2\n", "3\n"))
    verdict = grade(problem, "n = int(input())\nprint(n if n != 2 else 0)")
    assert (verdict.kind, verdict.failed_test, verdict.tests_passed) == ("wrong_answer", 1, 1)
    assert verdict.tests_total == 3 and verdict.input == "2\n"
    assert "\n" not in verdict.explanation() and "on test 2 (1/3 passed)" in verdict.explanation()


def test_expected_outputs_never_enter_the_sandbox() -> None:
    secret = f"QNEXT-EXPECTED-{uuid.uuid4().hex}"
    problem = Problem("p", ("x\n",), (secret + "\n",))
    snoop = (
        "import gc, sys\nfound = [o for o in gc.get_objects() if isinstance(o, str) and "
        "'QNEXT-EXPECTED' in o]\nfor f in list(sys._current_frames().values()):\n"
        "    while f:\n        found += [v for v in f.f_locals.values() if isinstance(v, str) "
        "and 'QNEXT-EXPECTED' in v]\n        f = f.f_back\nprint(found[0] if found else 'none')"
    )
    verdict = grade(problem, snoop)
    assert verdict.kind == "wrong_answer" and verdict.got == "none\n"


def test_kinds_for_time_memory_crashes_and_output() -> None:
    fast = Problem("p", ("1\n", "2\n"), ("1\n", "2\n"), timeout_s=0.5)
    slow = grade(fast, "n = int(input())\nwhile n == 2:\n    pass\nprint(n)")
    assert (slow.kind, slow.failed_test, slow.tests_passed) == ("timeout", 1, 1)
    compiling = grade(
        Problem("c", ("1",), ("1",), fn_name="f", timeout_s=0.5),
        "import time\ntime.sleep(30)\ndef f(x):\n    return x",
    )
    assert compiling.kind == "timeout" and compiling.failed_test is None
    memory = grade(ADD, "x = bytearray(10 * 1024 ** 3)")
    assert memory.kind == "memory" and "MemoryError" in memory.error
    crash = grade(ADD, "import posix, signal\nposix.kill(posix.getpid(), signal.SIGSEGV)")
    assert crash.kind == "killed" and crash.error == "killed by SIGSEGV"
    exited = grade(ADD, "import posix\nposix._exit(3)")
    assert exited.kind == "runtime_error" and exited.error == "exited with status 3"
    flood = grade(ADD, "print('x' * 5000)", GradeSettings(max_output_chars=1000))
    assert flood.kind == "output_limit" and "5001 characters" in flood.error
    bomb = grade(
        Problem("p", ("1\n",), ("1\n",), timeout_s=1.0),
        "import posix\nwhile True:\n    try:\n        posix.fork()\n"
        "    except OSError:\n        pass",
    )
    assert bomb.kind == "timeout"


def test_a_failing_test_is_shown_truncated() -> None:
    long_input = "7" * 5000 + "\n"
    verdict = grade(Problem("p", (long_input,), ("1\n",)), "print(input())")
    assert verdict.kind == "wrong_answer"
    assert len(verdict.input) <= TRUNCATE_CHARS + 20 and len(verdict.got) <= TRUNCATE_CHARS + 20
    assert verdict.input == truncate(long_input)
    assert json.loads(json.dumps(verdict.details()))["kind"] == "wrong_answer"
