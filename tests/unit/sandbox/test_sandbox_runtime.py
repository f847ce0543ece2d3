"""Runtime: the mode and zygote one run's programs use; closing it kills what runs and starts
nothing more. GradingPool passes any arguments through. The option table's sandbox modes are
the sandbox's own."""

from __future__ import annotations

import threading
import time

import pytest
from sandbox_helpers import EXEC_RUNNER, pid_namespace, processes_in

from pytest_qnext.options.capability import SANDBOX_MODES
from pytest_qnext.sandbox import (
    DEFAULT_RUNTIME,
    MODES,
    GradingPool,
    RunnerGone,
    Runtime,
    SandboxError,
    SandboxProcess,
    current_runtime,
)


def test_the_option_table_lists_the_sandbox_modes() -> None:
    assert SANDBOX_MODES == MODES


def test_active_runtime_is_per_context() -> None:
    runtime = Runtime("unsafe-local")
    seen: list[Runtime] = []
    assert current_runtime() is DEFAULT_RUNTIME
    assert DEFAULT_RUNTIME.mode == "namespaces" and DEFAULT_RUNTIME.zygote is None
    with runtime.active():
        assert current_runtime() is runtime
        other = threading.Thread(target=lambda: seen.append(current_runtime()))
        other.start()
        other.join(30)
        with Runtime("namespaces").active() as inner:
            assert current_runtime() is inner
        assert current_runtime() is runtime
    assert current_runtime() is DEFAULT_RUNTIME
    assert seen == [DEFAULT_RUNTIME]  # another thread is outside the runtime
    with pytest.raises(ValueError, match="valid: namespaces, unsafe-local"):
        Runtime("docker")  # type: ignore[arg-type]


@pytest.mark.usefixtures("sandbox_ready")
def test_close_kills_running_sandboxes_and_starts_no_more() -> None:
    runtime = Runtime("namespaces")
    sandbox = SandboxProcess(EXEC_RUNNER, zygote=runtime.zygote)
    sandbox.send({"code": "import time\nwhile True: time.sleep(1)"})
    namespace = pid_namespace(sandbox.init_pid)
    assert namespace is not None and processes_in(namespace)
    runtime.close()
    with pytest.raises(RunnerGone):
        sandbox.recv(30)
    sandbox.close()
    deadline = time.monotonic() + 30
    while processes_in(namespace) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_in(namespace) == []
    with pytest.raises(SandboxError, match="closed"):
        SandboxProcess(EXEC_RUNNER, zygote=runtime.zygote)
    runtime.close()  # idempotent


def test_grading_pool_passes_any_arguments() -> None:
    def grade(problem: int, code: str, *, twice: bool = False) -> str:
        return code * (2 if twice else 1) + str(problem)

    with GradingPool(grade, workers=1) as pool:
        assert pool.submit(1, "x", twice=True).result(timeout=30) == "xx1"
        assert pool.submit(2, code="y").result(timeout=30) == "y2"
