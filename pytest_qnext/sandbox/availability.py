"""Can model-written code run here, and how safely? For the plugin's start-up checks.

`sandbox_problem(mode)` starts one real sandbox (the same code path every program takes) and
runs a trivial program in it; the answer is cached for the process. In `namespaces` mode a
failure means the kernel refuses user/network/mount namespaces (or this is not Linux): code
benchmarks must then refuse to run, with `sandbox_problem`'s line, unless the user chose
`unsafe-local`, whose header warning is `UNSAFE_WARNING`.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from pytest_qnext.sandbox.limits import MODES, SandboxError, SandboxMode, SandboxUnavailable

__all__ = ["UNSAFE_WARNING", "require_sandbox", "sandbox_problem"]

#: Shown (loudly) whenever programs run in `unsafe-local` mode.
UNSAFE_WARNING = (
    "WARNING: --qnext-sandbox unsafe-local: model-written programs run with resource limits "
    "only; they can read your files, reach the network and leave processes behind"
)
_FIX = (
    "enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or on "
    "Ubuntu kernel.apparmor_restrict_unprivileged_userns=0) or run as root; or pass "
    "--qnext-sandbox unsafe-local to run model code with resource limits only (unsafe)"
)
_PROBE = Path(__file__).with_name("exec_runner.py")


@functools.cache
def sandbox_problem(mode: SandboxMode = "namespaces") -> str | None:
    """None when sandboxed programs can run in `mode` here, else one line: why, and the fix."""
    if mode not in MODES:
        return f"unknown sandbox mode {mode!r}; valid: {', '.join(MODES)}"
    if not sys.platform.startswith("linux"):
        return f"the code sandbox needs Linux (this is {sys.platform}); {_FIX}"
    from pytest_qnext.sandbox.process import SandboxProcess

    try:
        with SandboxProcess(_PROBE, mode=mode) as sandbox:
            sandbox.send({"code": "print(6 * 7)"})
            reply = sandbox.recv(30.0)
    except SandboxError as exc:
        return f"cannot start the code sandbox ({mode}): {exc}; {_FIX}"
    except Exception as exc:  # RunnerGone/RunnerTimeout from a half-working sandbox
        return f"the code sandbox ({mode}) did not answer ({type(exc).__name__}: {exc}); {_FIX}"
    if not isinstance(reply, dict) or reply.get("stdout") != "42\n":
        return f"the code sandbox ({mode}) answered {str(reply)[:100]!r}; {_FIX}"
    return None


def require_sandbox(mode: SandboxMode = "namespaces") -> None:
    """Raise SandboxUnavailable (one line) unless programs can run in `mode` here."""
    problem = sandbox_problem(mode)
    if problem is not None:
        raise SandboxUnavailable(problem)
