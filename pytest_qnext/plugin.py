"""pytest-qnext's hooks: the only module with pytest hooks (registered via the pytest11 entry point).

State lives in a `QnextState` kept in `config.stash`; the hooks are thin and delegate to it and
to the capability / perf sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.settings import Settings, add_options
from pytest_qnext.target import ResolvedTarget, TargetError, TargetRunner, preflight

__all__ = ["QnextState", "STATE_KEY"]

TARGET_MARKERS = ("perf", "capability")
NO_TARGET = (
    "pytest-qnext: {what} items are selected but no server to test was given; give one with "
    "--qnext-url URL (a running server), --qnext-serve 'COMMAND' (start one) or --qnext-sim "
    "(the built-in simulator)"
)


@dataclass
class QnextState:
    """Per-session state of the plugin."""

    settings: Settings
    runner: TargetRunner | None = None
    target: ResolvedTarget | None = None
    extras: dict[str, Any] = field(default_factory=dict)


STATE_KEY = pytest.StashKey[QnextState]()


def _state(config: pytest.Config) -> QnextState:
    return config.stash[STATE_KEY]


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not _is_xdist_worker(config) and bool(getattr(config.option, "numprocesses", None))


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "perf: load-test sweep points against the server (pytest -m perf)"
    )
    config.addinivalue_line(
        "markers", "capability: one benchmark sample against the server (pytest -m capability)"
    )
    config.stash[STATE_KEY] = QnextState(settings=Settings.from_config(config))
    if _is_xdist_worker(config):
        data = config.workerinput.get("qnext_target")  # type: ignore[attr-defined]
        if data:
            config.stash[STATE_KEY].target = ResolvedTarget.from_json(data)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return _state(config).settings.header_lines()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Start the target we own and pre-flight it, before xdist starts its workers."""
    config = session.config
    state = _state(config)
    if _is_xdist_worker(config) or config.option.collectonly or not state.settings.has_target:
        return
    state.runner = TargetRunner(state.settings)
    try:
        urls = state.runner.start(oracle_file=_oracle_file(state))
        state.target = preflight(state.settings, urls)
    except TargetError as exc:
        state.runner.stop()
        raise pytest.UsageError(str(exc)) from None


def _oracle_file(state: QnextState) -> Path | None:
    """The simulator's oracle answers for the selected datasets (capability engine builds it)."""
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller -> worker: the resolved target travels as plain values."""
    target = _state(node.config).target
    if target is not None:
        node.workerinput["qnext_target"] = target.to_json()


def pytest_collection_finish(session: pytest.Session) -> None:
    state = _state(session.config)
    if session.config.option.collectonly or state.target is not None:
        return
    for marker in TARGET_MARKERS:
        if any(item.get_closest_marker(marker) for item in session.items):
            raise pytest.UsageError(NO_TARGET.format(what=marker))


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    if state is not None and state.runner is not None:
        state.runner.stop()


@pytest.fixture(scope="session")
def qnext_target(request: pytest.FixtureRequest) -> ResolvedTarget:
    """The server under test (URLs and model), pre-flighted."""
    target = _state(request.config).target
    if target is None:
        raise pytest.UsageError(NO_TARGET.format(what="qnext"))
    return target
