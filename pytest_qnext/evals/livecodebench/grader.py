"""Grading one program against one problem's tests, in one sandboxed process.

The sandbox runs `runner.py`, which executes the program on each input and sends back what it
produced; this module decides. Expected outputs never enter the sandbox. Official rules
(LiveCodeBench `testing_util.py`, also EvalScope's copy):

* the tests run in order in one process and grading stops at the first failing test;
* stdin/stdout: the output and the expected text are stripped, split on "\\n" and each line
  stripped; the line counts must match; a line pair matches when equal, else when every
  whitespace-separated token of both parses as a `decimal.Decimal` and the two lists are equal
  (exact: "1.0" = "1" and "1e3" = "1000", but "0.30000000000000004" != "0.3"; no tolerance);
* call-based: each input line is one JSON argument; the returned value (a tuple counts as a
  list) must `==` the JSON-decoded expected output (so True == 1 and 2.0 == 2, as in Python);
* `timeout` seconds per test (6 by default) and for compiling; a backstop of
  (timeout + 1) * tests + 5 seconds for the whole problem.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, get_args

from pytest_qnext.sandbox import (
    DEFAULT_LIMITS,
    Limits,
    MessageTooLarge,
    RunnerGone,
    RunnerTimeout,
    SandboxMode,
    SandboxProcess,
)
from pytest_qnext.sandbox.zygote import Zygote

__all__ = [
    "FLAVOURS",
    "KINDS",
    "RUNNER",
    "GradeSettings",
    "Kind",
    "Problem",
    "Verdict",
    "decode_value",
    "grade",
    "lines_match",
    "truncate",
]

#: The harness that runs inside the sandbox.
RUNNER = Path(__file__).with_name("runner.py")

#: How a program fared. `pass` or the reason it failed (the model's fault in every case; an
#: exception from `grade` means the grader itself broke).
Kind = Literal[
    "pass",
    "wrong_answer",
    "compile_error",
    "runtime_error",
    "timeout",
    "memory",
    "output_limit",
    "killed",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
Flavour = Literal["evalscope", "official"]
FLAVOURS: tuple[Flavour, ...] = get_args(Flavour)

TRUNCATE_CHARS = 300  # of an input / expected / got shown for a failing test
_REPLY_SLACK_S = 0.5  # pipe latency allowance on top of the per-test timeout


def truncate(text: str, limit: int = TRUNCATE_CHARS) -> str:
    """Head and tail of `text` when longer than `limit` characters."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}...({len(text) - 2 * half} chars)...{text[-half:]}"


@dataclass(frozen=True)
class Problem:
    """One problem's tests (public then private, as officially) and how they are called."""

    id: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    fn_name: str | None = None  # None: the program reads stdin and writes stdout
    timeout_s: float = 6.0  # per test, and for compiling
    flavour: Flavour = "evalscope"  # whose harness quirks to reproduce

    def __post_init__(self) -> None:
        if len(self.inputs) != len(self.outputs):
            raise ValueError(f"{self.id}: {len(self.inputs)} inputs, {len(self.outputs)} outputs")
        if self.flavour not in FLAVOURS:
            raise ValueError(f"flavour {self.flavour!r}: valid {', '.join(FLAVOURS)}")
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s!r}")


@dataclass(frozen=True)
class GradeSettings:
    """Where programs run: the sandbox mode and limits (the same for every problem), and the
    zygote that forks the sandboxes (None: the process-wide one)."""

    mode: SandboxMode = "namespaces"
    limits: Limits = DEFAULT_LIMITS
    max_output_chars: int = 16 << 20
    zygote: Zygote | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one program on one problem."""

    kind: Kind
    tests_passed: int
    tests_total: int
    failed_test: int | None = None  # 0-based index of the first failing test
    input: str = ""  # of the failing test, truncated
    expected: str = ""
    got: str = ""
    error: str = ""
    run_seconds: float = 0.0  # the program's own time over the tests it ran
    wall_seconds: float = 0.0  # sandbox start to verdict
    sandbox_cpu_seconds: float | None = None  # CPU time of all the sandbox's processes
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.kind == "pass"

    def explanation(self) -> str:
        """One line for a failure message."""
        if self.passed:
            return f"passed {self.tests_total} tests"
        where = "" if self.failed_test is None else f" on test {self.failed_test + 1}"
        parts = [f"{self.kind}{where} ({self.tests_passed}/{self.tests_total} passed)"]
        if self.error:
            parts.append(f"error {json.dumps(truncate(self.error, 200))}")
        if self.failed_test is not None and self.kind == "wrong_answer":
            for name in ("input", "expected", "got"):
                parts.append(f"{name} {json.dumps(truncate(getattr(self, name), 100))}")
        return "; ".join(parts)

    def details(self) -> dict[str, Any]:
        """JSON-able fields for the sample's report row."""
        row = asdict(self)
        row.pop("extra")
        row.update(self.extra)
        return row


# --- comparing ------------------------------------------------------------------------------


def _stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(token) for token in line.split()]
    except (InvalidOperation, ValueError):
        return None


def lines_match(got: str, expected: str) -> str | None:
    """None when a stdin/stdout program's output matches, else why not (official rule)."""
    got_lines, expected_lines = _stripped_lines(got), _stripped_lines(expected)
    if len(got_lines) != len(expected_lines):
        return f"{len(got_lines)} output lines, expected {len(expected_lines)}"
    for number, (mine, theirs) in enumerate(zip(got_lines, expected_lines, strict=False), start=1):
        if mine == theirs:
            continue
        mine_numbers, their_numbers = _decimals(mine), _decimals(theirs)
        if mine_numbers is None or their_numbers is None or mine_numbers != their_numbers:
            return f"line {number} differs"
    return None


class _Opaque:
    """A returned object of another type: equal to nothing (officially its own __eq__ ran)."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind, self.text = kind, text

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<{self.kind} {self.text}>"


def decode_value(encoded: Any) -> Any:
    """The Python value `runner.encode_value` described (containers rebuilt with their types)."""
    if not isinstance(encoded, dict):
        return encoded
    if "list" in encoded:
        return [decode_value(item) for item in encoded["list"]]
    if "tuple" in encoded:
        return tuple(decode_value(item) for item in encoded["tuple"])
    if "set" in encoded or "frozenset" in encoded:
        raw = encoded["set"] if "set" in encoded else encoded["frozenset"]
        items = [decode_value(item) for item in raw]
        try:
            return set(items) if "set" in encoded else frozenset(items)
        except TypeError:
            return _Opaque("set", repr(items)[:200])
    if "dict" in encoded:
        try:
            return {decode_value(k): decode_value(v) for k, v in encoded["dict"]}
        except TypeError:
            return _Opaque("dict", str(encoded)[:200])
    return _Opaque(str(encoded.get("other", "?")), str(encoded.get("repr", ""))[:200])


def _show(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


# --- running --------------------------------------------------------------------------------


@dataclass
class _Run:
    problem: Problem
    started: float
    passed: int = 0
    run_seconds: float = 0.0

    def verdict(self, kind: Kind, index: int | None = None, **fields: Any) -> Verdict:
        if index is not None and "input" not in fields:
            fields["input"] = truncate(self.problem.inputs[index])
        return Verdict(
            kind=kind,
            tests_passed=self.passed,
            tests_total=len(self.problem.inputs),
            failed_test=index,
            run_seconds=self.run_seconds,
            wall_seconds=time.monotonic() - self.started,
            **fields,
        )


def _call_args(problem: Problem) -> list[list[Any]]:
    try:
        return [[json.loads(line) for line in text.split("\n")] for text in problem.inputs]
    except ValueError as exc:
        raise ValueError(
            f"{problem.id}: a test input is not one JSON value per line ({exc})"
        ) from None


def _test_message(problem: Problem, args: list[list[Any]] | None, index: int) -> dict[str, Any]:
    if args is None:
        return {"input": problem.inputs[index]}
    return {"args": args[index]}


def _gone(run: _Run, sandbox: SandboxProcess, index: int | None) -> Verdict:
    info = sandbox.close()
    signal_name = info.signal_name
    if signal_name is not None:
        error = f"killed by {signal_name}"
        if signal_name == "SIGXCPU":
            error += " (CPU time limit)"
        return run.verdict("killed", index, error=error)
    return run.verdict("runtime_error", index, error=f"exited with status {info.status}")


def _receive(sandbox: SandboxProcess, timeout: float) -> dict[str, Any]:
    reply = sandbox.recv(timeout)
    if not isinstance(reply, dict):
        return {"op": "garbled"}
    return reply


def grade(problem: Problem, code: str, settings: GradeSettings | None = None) -> Verdict:
    """Run `code` on every test of `problem` in one fresh sandbox; the first failure decides."""
    settings = settings or GradeSettings()
    args = _call_args(problem) if problem.fn_name is not None else None
    expected = [json.loads(o) for o in problem.outputs] if args is not None else None
    backstop = (problem.timeout_s + 1) * len(problem.inputs) + 5
    limits = Limits(**{**asdict(settings.limits), "cpu_seconds": backstop})
    run = _Run(problem, time.monotonic())
    sandbox = SandboxProcess(RUNNER, limits=limits, mode=settings.mode, zygote=settings.zygote)
    try:
        sandbox.post(
            {
                "op": "load",
                "code": code,
                "fn_name": problem.fn_name,
                "flavour": problem.flavour,
                "max_output": settings.max_output_chars,
            }
        )
        for i in range(len(problem.inputs)):  # all at once: the runner goes back to back
            sandbox.post({"op": "test", **_test_message(problem, args, i)})
        verdict = _collect(sandbox, run, expected, run.started + backstop)
    finally:
        info = sandbox.close()
    return replace(verdict, sandbox_cpu_seconds=info.cpu_seconds)


def _collect(
    sandbox: SandboxProcess, run: _Run, expected: Sequence[Any] | None, deadline: float
) -> Verdict:
    """Read the runner's replies in order; the first failing test (or the end) decides."""
    problem = run.problem
    per_test = problem.timeout_s + _REPLY_SLACK_S
    index: int | None = None
    try:
        reply = _receive(sandbox, min(per_test, deadline - time.monotonic()))
        if reply.get("op") == "compile_error":
            return run.verdict("compile_error", error=str(reply.get("error", "")))
        if reply.get("op") != "loaded":
            return run.verdict("runtime_error", error="the program broke the harness")
        for index in range(len(problem.inputs)):
            # each result is due `timeout` after the previous one (the runner starts the next
            # test as soon as it has sent a result)
            reply = _receive(sandbox, min(per_test, deadline - time.monotonic()))
            seconds = float(reply.get("seconds", 0.0))
            run.run_seconds += seconds
            if seconds > problem.timeout_s:
                return run.verdict("timeout", index, error=f"took {seconds:.2f}s")
            verdict = _judge(run, index, reply, expected)
            if verdict is not None:
                return verdict
            run.passed += 1
    except RunnerTimeout:
        sandbox.kill()
        limit = "the whole problem's backstop" if time.monotonic() >= deadline else "the test"
        what = "compiling" if index is None else f"test {index + 1}"
        return run.verdict(
            "timeout", index, error=f"{what} ran past {problem.timeout_s:g}s ({limit})"
        )
    except MessageTooLarge as exc:
        sandbox.kill()
        return run.verdict("output_limit", index, error=str(exc))
    except RunnerGone:
        return _gone(run, sandbox, index)
    return run.verdict("pass")


def _judge(
    run: _Run, index: int, reply: dict[str, Any], expected_values: Sequence[Any] | None
) -> Verdict | None:
    """None when test `index` passed, else the failing verdict."""
    status = reply.get("status")
    if reply.get("op") != "result":
        return run.verdict("runtime_error", index, error="the program broke the harness")
    if status == "output_limit":
        return run.verdict("output_limit", index, error=f"{reply.get('size')} characters of output")
    if status == "error":
        kind: Kind = "memory" if reply.get("memory") else "runtime_error"
        return run.verdict(kind, index, error=str(reply.get("error", "")))
    expected_text = run.problem.outputs[index]
    if expected_values is None:
        got = str(reply.get("stdout", ""))
        reason = lines_match(got, expected_text)
        if reason is None:
            return None
        return run.verdict(
            "wrong_answer",
            index,
            expected=truncate(expected_text),
            got=truncate(got),
            error=reason,
        )
    value = decode_value(reply.get("value"))
    if value == expected_values[index]:
        return None
    return run.verdict(
        "wrong_answer", index, expected=truncate(expected_text), got=truncate(_show(value))
    )
