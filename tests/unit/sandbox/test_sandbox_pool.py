"""GradingPool: futures, counters, errors, shutdown; and real sandboxes graded in parallel."""

from __future__ import annotations

import json
import threading

import pytest
from sandbox_helpers import start

from pytest_qnext.sandbox import GradingPool, Progress, default_workers


def test_results_and_counters() -> None:
    release = threading.Event()
    started = threading.Semaphore(0)

    def grade(problem: int, code: str) -> str:
        started.release()
        release.wait(30)
        return f"{problem}:{code}"

    with GradingPool(grade, workers=2) as pool:
        futures = [pool.submit(n, "x") for n in range(5)]
        started.acquire(timeout=30)
        started.acquire(timeout=30)
        assert pool.progress() == Progress(graded=0, running=2, queued=3)
        release.set()
        assert [f.result(timeout=30) for f in futures] == [f"{n}:x" for n in range(5)]
        assert pool.progress() == Progress(graded=5, running=0, queued=0)
        assert str(pool.progress()) == "5 graded, 0 running, 0 queued"


def test_a_broken_grader_surfaces_in_its_future() -> None:
    def grade(problem: int, code: str) -> int:
        raise RuntimeError("grader broke")

    with GradingPool(grade, workers=1) as pool:
        future = pool.submit(1, "x")
        with pytest.raises(RuntimeError, match="grader broke"):
            future.result(timeout=30)
        assert pool.progress().graded == 1


def test_shutdown_can_drop_queued_work() -> None:
    gate = threading.Event()

    def grade(problem: int, code: str) -> int:
        gate.wait(30)
        return problem

    pool = GradingPool(grade, workers=1)
    first = pool.submit(1, "x")
    queued = [pool.submit(n, "x") for n in range(2, 6)]
    gate.set()
    pool.shutdown(cancel_queued=True)
    assert first.result(timeout=30) == 1
    cancelled = [f for f in queued if f.cancelled()]
    assert pool.progress().queued == 0
    assert pool.progress().graded + len(cancelled) == 5


def test_workers() -> None:
    assert default_workers() >= 1
    assert GradingPool(lambda p, c: None).workers == default_workers()
    with pytest.raises(ValueError, match="workers"):
        GradingPool(lambda p, c: None, workers=0)


@pytest.mark.usefixtures("sandbox_ready")
def test_sandboxed_programs_run_in_parallel() -> None:
    """Two programs that each sleep 2 s overlap in time with two workers."""
    program = "import time\nt0 = time.time()\ntime.sleep(2)\nprint([t0, time.time()])"

    def grade(problem: int, code: str) -> list[float]:
        with start() as sandbox:
            sandbox.send({"code": code})
            return list(json.loads(sandbox.recv(60)["stdout"]))

    with GradingPool(grade, workers=2) as pool:
        first, second = (pool.submit(n, program) for n in range(2))
        (a0, a1), (b0, b1) = first.result(timeout=120), second.result(timeout=120)
    assert a0 < b1 and b0 < a1  # the two runs overlapped
