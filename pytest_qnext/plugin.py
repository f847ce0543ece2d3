"""pytest-qnext hooks: the only module with pytest hooks (registered via the pytest11 entry point).

State lives in a `QnextState` kept in `config.stash`; the hooks are thin and delegate to it and
to the capability / perf sessions.

This plugin is loaded into every pytest run of every project that installs it, so importing it
must stay cheap: the HTTP stacks, numpy, the benchmarks, the capability engine and the perf
load generator are imported only when a qnext option or marker asks for them
(`tests/unit/test_plugin_imports.py` pins what `import pytest_qnext.plugin` pulls in).
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from types import MethodType
from typing import TYPE_CHECKING, Any

import pytest

from pytest_qnext.capability.errors import SampleError
from pytest_qnext.options import add_options, any_given_explicitly
from pytest_qnext.settings import Settings
from pytest_qnext.state import (
    CAPABILITY_KEY,
    CAPABILITY_REPORT_KEY,
    CLIENT_CAPACITY_KEY,
    PERF_KEY,
    STATE_KEY,
    QnextState,
    capability_active,
    capability_report,
    capability_session,
    is_xdist_controller,
    is_xdist_worker,
    qnext_state,
    run_folder,
)

if TYPE_CHECKING:
    from pytest_qnext.capability.session import ItemResult
    from pytest_qnext.perf.options import SweepPoint
    from pytest_qnext.target import ResolvedTarget

__all__ = ["STATE_KEY", "QnextState"]

FIXTURE = "qnext_sample"
PERF_POINT_FIXTURE = "qnext_perf_point"
PROBE_FIXTURE = "qnext_probe"
TARGET_MARKERS = ("perf", "capability")
NO_DATASETS = (
    "pytest-qnext: capability items are selected but no benchmark is; give --qnext-datasets "
    "(e.g. mmlu_pro,ifeval or general_mcq with --qnext-dataset-args)"
)
NO_TARGET = (
    "pytest-qnext: {what} items are selected but no server to test was given; give one with "
    "--qnext-url URL (a running server), --qnext-serve 'COMMAND' (start one) or --qnext-sim "
    "(the built-in simulator)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_qnext import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "perf: load-test sweep points against the server (pytest -m perf)"
    )
    config.addinivalue_line(
        "markers", "capability: one benchmark sample against the server (pytest -m capability)"
    )
    settings = Settings.from_config(config)
    state = config.stash[STATE_KEY] = QnextState(settings=settings)
    if is_xdist_worker(config):
        data = config.workerinput.get("qnext_target")  # type: ignore[attr-defined]
        if data:
            from pytest_qnext.target import ResolvedTarget

            state.target = ResolvedTarget.from_json(data)
        return
    from pytest_qnext.perf.guard import refuse_xdist

    refuse_xdist(config)
    if capability_active(settings) or settings.has_target or any_given_explicitly(config):
        from pytest_qnext.lifecycle import check_before_run, on_sigterm

        check_before_run(config)
        on_sigterm(config)
    config.pluginmanager.register(_CapabilityController(config), "qnext-capability")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The qnext settings in effect, only in runs that use qnext (a guest stays quiet)."""
    from pytest_qnext.perf.guard import selects_perf

    state = qnext_state(config)
    settings = state.settings
    perf = selects_perf(config)
    if not (any_given_explicitly(config) or settings.has_target or perf):
        return []
    lines = settings.header_lines(perf=perf)
    if perf and not config.option.collectonly and not is_xdist_worker(config):
        from pytest_qnext.perf.selftest import capacity_line, client_capacity

        capacity = config.stash[CLIENT_CAPACITY_KEY] = client_capacity(settings.perf.max_tokens)
        lines.append(capacity_line(capacity, settings.perf.workers, settings.perf.rates))
    if state.notices is not None:
        lines += state.notices.header + [f"qnext warning: {w}" for w in state.notices.warnings]
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Start the target we own and pre-flight it, before xdist starts its workers."""
    config = session.config
    state = qnext_state(config)
    if state.settings.capability.datasets:
        capability = capability_session(config)
        entries = capability.entries()  # bad datasets: one line here, not at collection
        if state.settings.capability.collection_run and not is_xdist_worker(config):
            from pytest_qnext.lifecycle import check_collection_gates

            check_collection_gates(config, entries)
        if capability.replaying and not is_xdist_worker(config):
            from pytest_qnext.lifecycle import note_replay

            note_replay(config, capability)
        from pytest_qnext.lifecycle import check_code_benchmarks

        check_code_benchmarks(config)
        checks = not (config.option.collectonly or is_xdist_worker(config))
        if state.settings.has_target and checks:
            capability.check_cache()  # a broken cache: one line now, not an error per sample
        asks = state.settings.has_target or is_xdist_worker(config)
        if asks and not config.option.collectonly and not is_xdist_controller(config):
            capability.warm_up()  # the prefetch child starts during collection
    if is_xdist_worker(config) or config.option.collectonly or not state.settings.has_target:
        return
    from pytest_qnext.lifecycle import oracle_file, perf_sim_extra, remove_oracle
    from pytest_qnext.target import TargetError, TargetRunner, preflight

    state.runner = TargetRunner(state.settings)
    try:
        urls = state.runner.start(
            oracle_file=oracle_file(config), sim_extra=perf_sim_extra(state.settings)
        )
        state.target = preflight(state.settings, urls)
    except TargetError as exc:
        state.runner.stop()
        raise pytest.UsageError(str(exc)) from None
    finally:
        remove_oracle(state)  # the simulator has read it (or is gone): nothing left in /tmp


def _contiguous_dist(config: pytest.Config) -> bool:
    """Whether xdist uses our contiguous scheduler (so workers know their items in advance)."""
    return bool(
        qnext_state(config).settings.capability.datasets and config.getvalue("dist") == "load"
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Capability runs: worker gw<i> of n runs contiguous block i (capability/scheduler.py)."""
    if not _contiguous_dist(config):
        return None
    from pytest_qnext.capability.scheduler import ContiguousScheduling

    return ContiguousScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller -> worker: the resolved target travels as plain values."""
    target = qnext_state(node.config).target
    if target is not None:
        node.workerinput["qnext_target"] = target.to_json()
    node.workerinput["qnext_contiguous"] = _contiguous_dist(node.config)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = qnext_state(session.config)
    if session.config.option.collectonly:
        return
    if any(_is_placeholder(item) for item in session.items):
        raise pytest.UsageError(NO_DATASETS)
    if state.target is None:
        replay = state.settings.capability.responses is not None
        for marker in TARGET_MARKERS:
            if marker == "capability" and replay:
                continue
            if any(item.get_closest_marker(marker) for item in session.items):
                raise pytest.UsageError(NO_TARGET.format(what=marker))
    _start_capability(session)


def _sample_id(item: pytest.Item) -> str | None:
    """The id of the benchmark sample a capability item stands for (None for other items and
    for the placeholder item)."""
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get(FIXTURE) if callspec is not None else None
    return None if value is None else str(value)


def _stopped_early(session: pytest.Session) -> str | None:
    """Why the session ended before running every selected item, if it did."""
    if session.exitstatus == pytest.ExitCode.INTERRUPTED:
        return "interrupted"
    reason = session.shouldfail or session.shouldstop
    return str(reason) if reason else None


def _is_placeholder(item: pytest.Item) -> bool:
    """The item standing for "no capability datasets selected"."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and FIXTURE in callspec.params and callspec.params[FIXTURE] is None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every selected benchmark sample becomes one `test_sample[<dataset>/<id>]` item."""
    if FIXTURE in metafunc.fixturenames:
        capability = capability_session(metafunc.config)
        metafunc.parametrize(FIXTURE, capability.params(), indirect=True)
    if PERF_POINT_FIXTURE in metafunc.fixturenames:
        # the point ids are the values: plain strings, readable in --benchmark-json's params
        ids = [p.id for p in qnext_state(metafunc.config).settings.perf.points()]
        metafunc.parametrize(PERF_POINT_FIXTURE, ids, ids=ids, indirect=True)
    if PROBE_FIXTURE in metafunc.fixturenames:
        # one item per probe the capacity search may run, then its result (perf/capacity.py)
        perf = qnext_state(metafunc.config).settings.perf
        slots = [f"probe-{i:02d}" for i in range(1, perf.find_max_probes + 1)] + ["result"]
        slots = slots if perf.find_max else []
        metafunc.parametrize(PROBE_FIXTURE, slots, ids=slots)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Perf items with nothing to run (no sweep points, no capacity search) are deselected."""
    ours = {PERF_POINT_FIXTURE, PROBE_FIXTURE}
    empty = [
        item
        for item in items
        if ours & set(getattr(item, "fixturenames", ()))
        and any(
            str(mark.kwargs.get("reason", "")).startswith("got empty parameter set")
            for mark in item.iter_markers("skip")
        )
    ]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [item for item in items if item not in empty]


def _start_capability(session: pytest.Session) -> None:
    """Plan this process's capability items (its xdist share) and start prefetching."""
    config = session.config
    items = session.items
    if is_xdist_worker(config) and config.workerinput.get("qnext_contiguous"):  # type: ignore[attr-defined]
        from pytest_qnext.capability.scheduler import block, worker_index

        info = config.workerinput  # type: ignore[attr-defined]
        index = worker_index(str(info.get("workerid", "")))
        items = block(items, index, int(info.get("workercount", 1))) if index is not None else []
    ids = [sample_id for item in items if (sample_id := _sample_id(item)) is not None]
    if not ids:
        return
    if is_xdist_worker(config):
        _tell_controller_planned(session, items)
    _short_failures(items)
    capability = capability_session(config)
    capability.set_target(qnext_state(config).target)
    capability.plan(ids)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not is_xdist_worker(config):
        capability.progress_sink = reporter.write_line
    capability.start()


def _tell_controller_planned(session: pytest.Session, items: list[pytest.Item]) -> None:
    """xdist's controller collects nothing: the first sample item of each worker's share
    carries the session's count of capability items to it (quiet output, completeness)."""
    from pytest_qnext.report.controller import PLANNED_PROPERTY

    planned = sum(1 for item in session.items if _sample_id(item) is not None)
    first = next(item for item in items if _sample_id(item) is not None)
    first.user_properties.append((PLANNED_PROPERTY, planned))


def _short_failures(items: list[pytest.Item]) -> None:
    """A capability item's failure is one message (`pytest.fail(..., pytrace=False)`): its
    report gets that text as is, without pytest's traceback filtering, which costs
    milliseconds per failed item (on a big run, more than everything else the item does)."""
    for item in items:
        if _sample_id(item) is not None:
            item.repr_failure = MethodType(_short_failure, item)  # type: ignore[method-assign]


def _short_failure(item: pytest.Item, excinfo: Any, style: Any = None) -> Any:
    value = excinfo.value
    if isinstance(value, pytest.fail.Exception) and not value.pytrace:
        return value.msg
    return type(item).repr_failure(item, excinfo, style)


@pytest.fixture
def qnext_sample(request: pytest.FixtureRequest) -> ItemResult:
    """The judged answer of this item's benchmark sample; call `.check()` in the test."""
    from pytest_qnext.report.controller import META_PROPERTY, NOTE_PROPERTY, ROW_PROPERTY

    result = capability_session(request.config).run(request.param)
    for note in result.notes:  # e.g. a cache that cannot be written: one line in the report
        request.node.user_properties.append((NOTE_PROPERTY, note))
    if result.stop is not None:  # the server stopped answering: one line, not an error each
        request.session.shouldfail = result.stop
    if result.meta is not None:
        request.node.user_properties.append((META_PROPERTY, result.meta.to_json()))
    request.node.user_properties.append((ROW_PROPERTY, result.row.to_json()))
    if result.outcome == "error":
        raise SampleError(result.message)
    if result.outcome == "skipped":
        pytest.skip(result.message)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Request errors of capability items show as one line, not a traceback; a sample's row
    travels in its teardown report only (the setup and call reports keep the property's name,
    which marks them as a sample's, without the row: under xdist each report crosses to the
    controller, and three copies of every row cost it three times the memory)."""
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(SampleError):
        report.longrepr = str(call.excinfo.value)
    if report.when != "teardown" and report.user_properties:
        from pytest_qnext.report.controller import TEARDOWN_ONLY

        report.user_properties = [
            (name, None if name in TEARDOWN_ONLY else value)
            for name, value in report.user_properties
        ]
    return report


class _CapabilityController:
    """Hooks of the controller (or the only process): rows in, report and exit status out."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(tryfirst=True)  # before --junitxml reads the teardown's properties
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        known = self.config.stash.get(CAPABILITY_REPORT_KEY, None)
        if known is not None or report.user_properties:
            from pytest_qnext.report.controller import junit_properties
            from pytest_qnext.report.listing import progress_line

            capability = capability_report(self.config)
            capability.add_report(report)
            line = progress_line(report, self.config, capability)
            if report.when == "teardown":  # (after progress_line: it reads the row's property)
                report.user_properties = junit_properties(report.user_properties)
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if line and reporter is not None:
                reporter.write_line(line)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the run folder, point the latest links at it and let gates decide the exit
        status (report/controller.py, report/session.py)."""
        capability = self.config.stash.get(CAPABILITY_KEY, None)
        if capability is not None:
            capability.stop()
        state = qnext_state(self.config)
        perf = self.config.stash.get(PERF_KEY, None)
        report = self.config.stash.get(CAPABILITY_REPORT_KEY, None)
        if state.run is None or (report is None and perf is None):
            return
        from pytest_qnext.report.session import finish_session

        stopped = _stopped_early(session)
        if stopped == "interrupted" and state.terminated:
            stopped = "terminated by SIGTERM"
        points = [point.to_json() for point in perf.points] if perf is not None else []
        capacity = perf.capacity if perf is not None else None
        state.notes = finish_session(state.run, report, points, stopped=stopped, capacity=capacity)
        if report is not None and (report.has_rows or report.gated):
            session.exitstatus = report.exit_status(session.exitstatus)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Count the selected capability items and decide the run kind from what is selected."""
        planned = sum(1 for item in session.items if _sample_id(item) is not None)
        if planned:
            capability_report(self.config).planned = planned
        perf = any(item.get_closest_marker("perf") for item in session.items)
        if planned or perf:
            from pytest_qnext.report.rundir import run_kind

            run_folder(self.config).kind = run_kind(bool(planned), perf)

    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> tuple[str, str, str] | None:
        """Big capability runs print no progress letter per sample (report/listing.py)."""
        capability = self.config.stash.get(CAPABILITY_REPORT_KEY, None)
        if capability is None:
            return None
        from pytest_qnext.report.listing import quiet_status

        return quiet_status(report, config, capability)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> Generator[None, None, None]:
        """Wrong answers are not test bugs: by default they get no FAILURES block and at most a
        few short summary lines (-v or --tb=long show them all); the qnext table, gates and
        verdict come last, after pytest's short summary."""
        report = self.config.stash.get(CAPABILITY_REPORT_KEY, None)
        notes = qnext_state(self.config).notes
        if report is None and not notes:
            return (yield)
        from pytest_qnext.report.listing import Listing

        listing = Listing(terminalreporter, self.config)
        listing.hide()
        try:
            yield
        finally:
            listing.restore()
            lines = listing.lines(report)
            lines += report.terminal_lines() if report is not None else []
            lines += notes
            if lines:
                title = "qnext capability" if report is not None else "qnext report"
                terminalreporter.write_sep("=", title)
                for line in lines:
                    terminalreporter.write_line(line)


@pytest.fixture
def qnext_perf_point(request: pytest.FixtureRequest) -> SweepPoint:
    """This item's sweep point (parallel streams, measured requests), from its id."""
    points = qnext_state(request.config).settings.perf.points()
    return next(p for p in points if p.id == request.param)


@pytest.fixture(scope="session")
def qnext_perf(request: pytest.FixtureRequest, qnext_target: ResolvedTarget) -> Any:
    """`run(point, benchmark) -> PointResult` for perf sweep items (call `.check()` on it)."""
    from pytest_qnext.perf.guard import XDIST_REFUSAL

    if is_xdist_worker(request.config):
        pytest.fail(XDIST_REFUSAL, pytrace=False)
    state = qnext_state(request.config)
    perf = request.config.stash.get(PERF_KEY, None)
    if perf is None:
        from pytest_qnext.perf.session import PerfSession

        perf = PerfSession.create(state.settings, qnext_target)
        perf.report_dir = run_folder(request.config).path()  # perf.jsonl, charts: this run's
        perf.client_capacity = request.config.stash.get(CLIENT_CAPACITY_KEY, None)
        request.config.stash[PERF_KEY] = perf
    return perf.run_point


@pytest.fixture
def qnext_find_max(request: pytest.FixtureRequest, qnext_perf: Any) -> Any:
    """`run(slot)`: the capacity search's next probe (or, for slot "result", its answer and
    gates); fails the item with one line when a gate on the answer fails."""
    perf = request.config.stash[PERF_KEY]

    def run(slot: str) -> str:
        if slot != "result":
            return perf.run_probe(slot)
        failures = [g.message for g in perf.search_result() if not g.passed]
        if failures:
            pytest.fail("; ".join(failures), pytrace=False)
        return perf.search.describe() if perf.search is not None else ""

    return run


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The perf sweep table (one row per point), with its notes and warnings."""
    perf = terminalreporter.config.stash.get(PERF_KEY, None)
    lines = perf.terminal_lines() if perf is not None else []
    if lines:
        terminalreporter.write_sep("=", "qnext perf")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop prefetching (workers too; also after Ctrl-C); write the perf charts."""
    perf = session.config.stash.get(PERF_KEY, None)
    if perf is not None:
        perf.finish()
    capability = session.config.stash.get(CAPABILITY_KEY, None)
    if capability is not None:
        capability.stop()


def pytest_unconfigure(config: pytest.Config) -> None:
    capability = config.stash.get(CAPABILITY_KEY, None)
    if capability is not None:
        capability.stop()
    state = config.stash.get(STATE_KEY, None)
    if state is None or (state.runner is None and state.oracle_dir is None and not state.sigterm):
        return
    from pytest_qnext.lifecycle import remove_oracle, restore_sigterm

    remove_oracle(state)
    if state.runner is not None:
        state.runner.stop()
        for note in state.runner.notes():
            sys.stderr.write(f"{note}\n")
    restore_sigterm(state)


@pytest.fixture(scope="session")
def qnext_target(request: pytest.FixtureRequest) -> ResolvedTarget:
    """The server under test (URLs and model), pre-flighted."""
    target = qnext_state(request.config).target
    if target is None:
        raise pytest.UsageError(NO_TARGET.format(what="qnext"))
    return target
