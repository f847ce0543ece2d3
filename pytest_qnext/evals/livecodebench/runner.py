"""LiveCodeBench's test harness, as it runs inside the sandbox (standard library only).

The sandbox zygote executes this file once (module level: imports, definitions) and each
sandbox calls `main(channel)`. It reproduces how the official harness runs a program (the
`flavour` picks LiveCodeBench's own or EvalScope's fork where they differ), but it never sees an
expected output: it only runs the program on each input the parent sends and returns what the
program produced; the parent compares (`grader.py`). Protocol (one JSON value per message):

    parent: {"op": "load", "code", "fn_name" (None: stdin/stdout), "flavour", "max_output"}
    runner: {"op": "loaded"} | {"op": "compile_error", "error"}
    parent: {"op": "test", "input": str}       (stdin/stdout problems)
            {"op": "test", "args": [...]}       (call-based: the JSON-decoded argument lines)
    runner: {"op": "result", "status": "ok", "stdout": str | "value": <encoded>, "seconds"}
            {"op": "result", "status": "error", "error": str, "memory": bool, "seconds"}
            {"op": "result", "status": "output_limit", "size": int, "seconds"}

How the official harness runs a program (LiveCodeBench `lcb_runner/evaluation/testing_util.py`
@ 28fef95; EvalScope 1.x `benchmarks/live_code_bench/testing_util.py`), reproduced here:

* a preamble of star imports (`PREAMBLE_MODULES`) and `sys.setrecursionlimit(50000)`;
* stdin/stdout programs: if the last statement is `if __name__ == '__main__':` its body
  replaces it; imports are hoisted to module level and everything else becomes the body of
  `wrapped_function()`, called once per test in the same module (so hoisted imports bind the
  process's *real* `sys.stdin`/`sys.stdout`);
* during a call `sys.stdin` is a fake (official: a wrapper whose `read()` returns the whole
  input without consuming it, `readlines()` is `input.split("\\n")`, `buffer.readline()` always
  returns the first line and iterating it fails; EvalScope: a real text stream over the input),
  and the *real* `sys.stdin` gets `read`/`readline`/`readlines` replaced by functions over the
  input (`readline` returns lines without their newline and raises StopIteration past the end);
  `sys.stdout` is a buffer: output written to fd 1 directly is not seen;
* `SystemExit` ends a stdin/stdout program normally; any other exception is a runtime error;
* call-based programs: preamble + code, `Solution()` when the text contains "class Solution"
  (else the module), `getattr(..., fn_name)`, one call per test with the decoded arguments; a
  returned tuple counts as a list;
* before compiling, `reliability_guard()` sets a list of `os`/`shutil`/`subprocess` functions to
  None (`GUARDED`), so programs calling e.g. `os.getcwd()` fail as they do officially.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

__all__ = [
    "GUARDED",
    "PREAMBLE_MODULES",
    "clean_if_name",
    "compile_program",
    "encode_value",
    "main",
    "make_function",
    "preamble",
]

#: The modules the official preamble star-imports, in order (later names shadow earlier ones),
#: then imports by name.
PREAMBLE_MODULES = (
    "string",
    "re",
    "datetime",
    "collections",
    "heapq",
    "bisect",
    "copy",
    "math",
    "random",
    "statistics",
    "itertools",
    "functools",
    "operator",
    "io",
    "sys",
    "json",
    "builtins",
    "typing",
)
_PREAMBLE_NAMED = tuple(m for m in PREAMBLE_MODULES if m not in ("builtins", "typing"))
#: What the official reliability_guard() sets to None, per module.
GUARDED = {
    "os": [
        "kill",
        "system",
        "putenv",
        "remove",
        "removedirs",
        "rmdir",
        "fchdir",
        "setuid",
        "fork",
        "forkpty",
        "killpg",
        "rename",
        "renames",
        "truncate",
        "replace",
        "unlink",
        "fchmod",
        "fchown",
        "chmod",
        "chown",
        "chroot",
        "lchflags",
        "lchmod",
        "lchown",
        "getcwd",
        "chdir",
    ],
    "shutil": ["rmtree", "move", "chown"],
    "subprocess": ["Popen"],
    "builtins": ["quit", "help"],
}
_GUARDED_MODULES = ("ipdb", "joblib", "resource", "psutil", "tkinter")
_INT_DIGITS = {"official": 50000, "evalscope": 4300}  # sys.set_int_max_str_digits in effect
_MAX_DEPTH = 100
_ERROR_CHARS = 1000

for _name in (*PREAMBLE_MODULES, *GUARDED):  # loaded once in the zygote: each sandbox
    __import__(_name)  # starts warm


def preamble() -> str:
    """The official preamble: star imports, named imports, a high recursion limit."""
    lines = [f"from {name} import *" for name in PREAMBLE_MODULES]
    lines += [f"import {name}" for name in _PREAMBLE_NAMED]
    return "\n".join([*lines, "sys.setrecursionlimit(50000)", ""])


def clean_if_name(code: str) -> str:
    """Unwrap a final `if __name__ == '__main__':` block (its `else` is dropped)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'":
        head = ast.unparse(ast.Module(body=tree.body[:-1], type_ignores=[]))
        return head + "\n" + ast.unparse(ast.Module(body=last.body, type_ignores=[]))
    return code


def make_function(code: str) -> str:
    """Hoist imports to module level; everything else becomes `wrapped_function()`'s body."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code  # compiling it reports the error
    imports: list[ast.stmt] = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    others = [s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom))]
    function = ast.FunctionDef(
        name="wrapped_function",
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=others,
        decorator_list=[],
        lineno=-1,
    )
    try:
        hoisted = ast.unparse(ast.Module(body=imports, type_ignores=[]))
        return preamble() + "\n" + hoisted + "\n" + ast.unparse(function)
    except Exception:
        return code


def compile_program(code: str, fn_name: str | None) -> Callable[..., Any]:
    """The callable the tests call: `wrapped_function` (stdin) or the named method/function.

    Raises whatever compiling or running the module raises, or LookupError when the function
    is missing (all "compile errors" to the caller).
    """
    source = make_function(clean_if_name(code)) if fn_name is None else preamble() + "\n" + code
    module = ModuleType("tmp_sol", "")
    exec(compile(source, "<program>", "exec"), module.__dict__)
    holder: Any = module.Solution() if "class Solution" in source else module
    name = "wrapped_function" if fn_name is None else fn_name
    function = getattr(holder, name, None)
    if function is None:
        raise LookupError(f"the program defines no {name}")
    return function  # type: ignore[no-any-return]


# --- stdin as the official harnesses fake it ------------------------------------------------


class _FirstLineBuffer:
    """Official `sys.stdin.buffer`: read() = all bytes, readline() = always the first line."""

    def __init__(self, data: str) -> None:
        self._bytes = data.encode("utf-8")

    def read(self, *args: Any) -> bytes:
        return self._bytes

    def readline(self, *args: Any) -> bytes:
        return self._bytes.split(b"\n")[0] + b"\n"


class OfficialStdin:
    """Official `sys.stdin` during a call: non-consuming read(), split readlines(), no iteration
    (no `__iter__`), StringIO behaviour for everything else."""

    def __init__(self, data: str) -> None:
        self._data = data
        self._stream = io.StringIO(data)
        self.buffer = _FirstLineBuffer(data)

    def read(self, *args: Any) -> str:
        return self._data

    def readline(self, *args: Any) -> str:
        return self._stream.readline(*args)

    def readlines(self, *args: Any) -> list[str]:
        return self._data.split("\n")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _fake_stdin(data: str, flavour: str) -> Any:
    if flavour == "official":
        return OfficialStdin(data)
    return io.TextIOWrapper(io.BytesIO(data.encode("utf-8")), encoding="utf-8")


def _line_reader(data: str) -> Callable[..., str]:
    lines: Iterator[str] = iter(data.split("\n"))

    def readline(*args: Any) -> str:
        return next(lines)  # StopIteration past the end, as officially

    return readline


class _Captured(io.StringIO):
    """Official stdout capture: a buffer whose close() takes one argument, so a program calling
    `sys.stdout.close()` fails as it does officially."""

    close = staticmethod(lambda x: 1)  # type: ignore[assignment]

    def __del__(self) -> None:
        pass


def run_stdin_program(function: Callable[[], Any], data: str, flavour: str) -> str:
    """Call `wrapped_function` with the input faked as officially; return what it printed."""
    real_stdin = sys.stdin
    patched = {
        "read": lambda *args: data,
        "readline": _line_reader(data),
        "readlines": lambda *args: data.split("\n"),
    }
    saved = {name: real_stdin.__dict__[name] for name in patched if name in real_stdin.__dict__}
    captured = _Captured()
    saved_stdout = sys.stdout
    for name, value in patched.items():
        setattr(real_stdin, name, value)
    sys.stdin, sys.stdout = _fake_stdin(data, flavour), captured
    try:
        function()
    except SystemExit:
        pass
    finally:
        sys.stdin, sys.stdout = real_stdin, saved_stdout
        for name in patched:
            if name in saved:
                setattr(real_stdin, name, saved[name])
            else:
                delattr(real_stdin, name)
    return captured.getvalue()


# --- values returned by call-based programs -------------------------------------------------


def encode_value(value: Any, depth: int = 0) -> Any:
    """A JSON form of a returned value that keeps the Python types `==` depends on.

    None, bool, int, float and str are themselves; containers are tagged ({"list": [...]},
    {"tuple": ...}, {"set": ...}, {"frozenset": ...}, {"dict": [[k, v], ...]}); numpy scalars
    become their Python value; anything else is {"other": type name, "repr": ...}, which the
    parent never considers equal to an expected value.
    """
    if depth > _MAX_DEPTH:
        return {"other": "deep", "repr": "(nested too deeply)"}
    if value is None or type(value) in (bool, str, int, float):
        return value
    for scalar in (bool, int, float, str):  # subclasses (IntEnum, ...) compare as their base
        if isinstance(value, scalar):
            return scalar(value)
    tags = ((list, "list"), (tuple, "tuple"), (set, "set"), (frozenset, "frozenset"))
    for kind, tag in tags:
        if isinstance(value, kind):
            return {tag: [encode_value(item, depth + 1) for item in value]}
    if isinstance(value, dict):
        items = value.items()
        return {
            "dict": [[encode_value(k, depth + 1), encode_value(v, depth + 1)] for k, v in items]
        }
    kind_name = f"{type(value).__module__}.{type(value).__qualname__}"
    if kind_name.startswith("numpy.") and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return encode_value(value.item(), depth)
    try:
        text = repr(value)[:200]
    except Exception:
        text = "(no repr)"
    return {"other": kind_name, "repr": text}


# --- the loop -------------------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[-_ERROR_CHARS:]


def reliability_guard() -> None:
    """What the official harness disables before compiling a program (not a security
    measure: the sandbox is)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    for module_name, names in GUARDED.items():
        module = __import__(module_name)
        for name in names:
            setattr(module, name, None)
    for module_name in _GUARDED_MODULES:
        sys.modules[module_name] = None  # type: ignore[assignment]


def _run_test(
    function: Callable[..., Any], message: dict[str, Any], load: dict[str, Any]
) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any]
    try:
        if load.get("fn_name") is None:
            output = run_stdin_program(function, str(message["input"]), str(load["flavour"]))
            if len(output) > int(load["max_output"]):
                result = {"status": "output_limit", "size": len(output)}
            else:
                result = {"status": "ok", "stdout": output}
        else:
            value = function(*message["args"])
            if isinstance(value, tuple):  # a tuple counts as a list, as officially
                value = list(value)
            result = {"status": "ok", "value": encode_value(value)}
    except BaseException as exc:  # SystemExit/KeyboardInterrupt end the run officially too
        memory = isinstance(exc, MemoryError)
        result = {"status": "error", "error": _error_text(exc), "memory": memory}
    return {"op": "result", **result, "seconds": time.perf_counter() - started}


def main(channel: Any) -> int:
    # the "real" stdin a program may reach: empty, as officially (kept open for the process)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    load = channel.recv()
    if not isinstance(load, dict) or load.get("op") != "load":
        return 2
    if "numpy" in str(load.get("code")):  # the official harness has numpy loaded before its
        with contextlib.suppress(ImportError):  # guard runs, so programs may import it
            import numpy  # noqa: F401
    set_digits = getattr(sys, "set_int_max_str_digits", None)
    if set_digits is not None:
        set_digits(_INT_DIGITS.get(str(load.get("flavour")), 4300))
    reliability_guard()
    try:
        function = compile_program(str(load["code"]), load.get("fn_name"))
    except BaseException as exc:
        channel.send({"op": "compile_error", "error": _error_text(exc)})
        return 0
    channel.send({"op": "loaded"})
    while True:
        message = channel.recv()
        if not isinstance(message, dict) or message.get("op") != "test":
            return 0
        channel.send(_run_test(function, message, load))
