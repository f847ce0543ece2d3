"""How soon a sandboxed program that never answers is gone after its deadline.

(That it is killed and leaves nothing behind: tests/unit/sandbox/test_sandbox_hostile.py.)
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import pytest_qnext.sandbox
from pytest_qnext.sandbox import RunnerTimeout, SandboxProcess, sandbox_problem

EXEC_RUNNER = Path(pytest_qnext.sandbox.__file__).parent / "exec_runner.py"
DEADLINE = 1.0

pytestmark = pytest.mark.timing


def test_busy_loop_is_gone_within_seconds_of_its_deadline() -> None:
    problem = sandbox_problem("namespaces")
    if problem is not None:
        pytest.fail(f"the code sandbox is unavailable on this machine: {problem}", pytrace=False)
    sandbox = SandboxProcess(EXEC_RUNNER)
    sandbox.send({"code": "while True:\n    pass\n"})
    started = time.monotonic()
    with pytest.raises(RunnerTimeout):
        sandbox.recv(DEADLINE)
    sandbox.kill()
    info = sandbox.close()
    took = time.monotonic() - started
    print(f"\nbusy loop gone {took - DEADLINE:.2f} s after its {DEADLINE:g} s deadline")
    assert info.killed
    assert took < DEADLINE + 10
