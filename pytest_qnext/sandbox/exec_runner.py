"""A generic runner: executes Python source sent by the parent inside the sandbox.

Runs inside the sandbox (standard library only; `_boot` calls `main(channel)`). Protocol: the
parent sends {"code": str, "stdin": str (optional)}; the runner executes the code as
`__main__` with `sys.stdin`/`sys.stdout` replaced by text buffers and answers
{"status": "ok" | "error", "stdout": str, "error": str}. One program per message; EOF ends.
Used by the availability probe and by tests of the sandbox itself.
"""

from __future__ import annotations

import io
import sys
import traceback
from typing import Any


def run(code: str, stdin: str) -> dict[str, Any]:
    out = io.StringIO()
    saved = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO(stdin), out
    try:
        exec(compile(code, "<program>", "exec"), {"__name__": "__main__"})
        status, error = "ok", ""
    except SystemExit as exc:
        status, error = ("ok", "") if exc.code in (None, 0) else ("error", repr(exc))
    except BaseException as exc:
        status = "error"
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    finally:
        sys.stdin, sys.stdout = saved
    return {"status": status, "stdout": out.getvalue(), "error": error}


def main(channel: Any) -> int:
    while True:
        message = channel.recv()
        if message is None:
            return 0
        channel.send(run(str(message.get("code", "")), str(message.get("stdin", ""))))
