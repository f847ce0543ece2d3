"""Contained execution of model-written code (reusable by every code benchmark).

Each program runs in a fresh process forked by a trusted zygote, in its own session and new
user (unless root), mount, network, pid, IPC and UTS namespaces: no network at all, a read-only
root holding only system and interpreter directories plus a private size-limited /tmp,
rlimits on CPU, address space, processes, file size and open files, a scrubbed environment,
all privileges dropped; killing the sandbox's pid 1 kills everything it started. See README.md.

Public API:

* `SandboxProcess(runner, limits=, mode=)`: one sandbox running a runner file's
  `main(channel)`; `send`/`recv(timeout)`/`kill`/`close`.
* `GradingPool(grade, workers=)`: a thread pool that grades programs as answers arrive:
  `submit(problem, code) -> Future[verdict]`, `progress()`.
* `Runtime(mode)` / `current_runtime()`: where one run's programs execute (its mode and its own
  zygote; `close()` kills every sandbox it started); scorers ask `current_runtime()`.
* `sandbox_problem(mode)` / `require_sandbox(mode)`: start-up availability checks;
  `UNSAFE_WARNING` for the `unsafe-local` mode's header line.
"""

from __future__ import annotations

from pytest_qnext.sandbox.availability import UNSAFE_WARNING, require_sandbox, sandbox_problem
from pytest_qnext.sandbox.limits import (
    DEFAULT_LIMITS,
    MODES,
    Limits,
    SandboxError,
    SandboxMode,
    SandboxUnavailable,
)
from pytest_qnext.sandbox.pool import GradingPool, Progress, default_workers
from pytest_qnext.sandbox.process import (
    ExitInfo,
    MessageTooLarge,
    RunnerGone,
    RunnerTimeout,
    SandboxProcess,
)
from pytest_qnext.sandbox.runtime import DEFAULT_RUNTIME, Runtime, current_runtime
from pytest_qnext.sandbox.zygote import SANDBOX_ENV

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_RUNTIME",
    "MODES",
    "SANDBOX_ENV",
    "UNSAFE_WARNING",
    "ExitInfo",
    "GradingPool",
    "Limits",
    "MessageTooLarge",
    "Progress",
    "RunnerGone",
    "RunnerTimeout",
    "Runtime",
    "SandboxError",
    "SandboxMode",
    "SandboxProcess",
    "SandboxUnavailable",
    "current_runtime",
    "default_workers",
    "require_sandbox",
    "sandbox_problem",
]
