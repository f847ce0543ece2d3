"""pytest-qnext hooks: the only module with pytest hooks (registered via the pytest11 entry point).

State lives in a `QnextState` kept in `config.stash`; the hooks are thin and delegate to it and
to the capability / perf sessions.

This plugin is loaded into every pytest run of every project that installs it, so importing it
must stay cheap: the HTTP stacks, numpy, the benchmarks, the capability engine and the perf
load generator are imported only when a qnext option or marker asks for them
(`tests/unit/test_plugin_imports.py` pins what `import pytest_qnext.plugin` pulls in).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from types import MethodType
from typing import TYPE_CHECKING, Any

import pytest

from pytest_qnext.capability.errors import SampleError
from pytest_qnext.options import add_options, any_given_explicitly
from pytest_qnext.settings import Settings

if TYPE_CHECKING:
    from pytest_qnext.capability.notices import RunNotices
    from pytest_qnext.capability.session import CapabilitySession, ItemResult
    from pytest_qnext.evals.registry import Registry
    from pytest_qnext.perf.options import SweepPoint
    from pytest_qnext.perf.session import PerfSession
    from pytest_qnext.report.controller import CapabilityReport
    from pytest_qnext.target import ResolvedTarget, TargetRunner

__all__ = ["STATE_KEY", "QnextState"]

FIXTURE = "qnext_sample"
PERF_POINT_FIXTURE = "qnext_perf_point"
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


@dataclass
class QnextState:
    """Per-session state of the plugin."""

    settings: Settings
    runner: TargetRunner | None = None
    target: ResolvedTarget | None = None
    benchmarks: Registry | None = None
    oracle_dir: Path | None = None  # the simulator's oracle answers (removed at unconfigure)
    notices: RunNotices | None = None  # the sandbox line and run warnings (header and report)


STATE_KEY = pytest.StashKey[QnextState]()
CAPABILITY_KEY: pytest.StashKey[CapabilitySession] = pytest.StashKey()
CAPABILITY_REPORT_KEY: pytest.StashKey[CapabilityReport] = pytest.StashKey()
PERF_KEY: pytest.StashKey[PerfSession] = pytest.StashKey()
CLIENT_CAPACITY_KEY: pytest.StashKey[dict[str, float]] = pytest.StashKey()
PROBE_FIXTURE = "qnext_probe"


def _state(config: pytest.Config) -> QnextState:
    return config.stash[STATE_KEY]


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not _is_xdist_worker(config) and bool(getattr(config.option, "numprocesses", None))


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_qnext import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def _capability_active(settings: Settings) -> bool:
    """Whether this run asked for anything capability (datasets, replay, gates, baseline)."""
    cap = settings.capability
    return bool(cap.datasets or cap.responses or cap.gates or cap.baseline)


def _benchmarks(config: pytest.Config) -> Registry:
    """The session's benchmark registry: installed ones plus the pytest_qnext_benchmarks hook's
    (asked once, when a capability run first needs it)."""
    state = _state(config)
    if state.benchmarks is None:
        from pytest_qnext.evals.base import EvalSpec
        from pytest_qnext.evals.registry import Registry, RegistryError

        extra: list[EvalSpec] = []
        for result in config.hook.pytest_qnext_benchmarks(config=config):
            extra.extend(result if isinstance(result, list | tuple) else [result])
        try:
            state.benchmarks = Registry(extra=extra)
        except RegistryError as exc:
            raise pytest.UsageError(f"pytest-qnext: {exc}") from None
    return state.benchmarks


def _capability(config: pytest.Config) -> CapabilitySession:
    """This process's capability session, created on first use."""
    session = config.stash.get(CAPABILITY_KEY, None)
    if session is None:
        from pytest_qnext.capability.session import CapabilitySession

        session = CapabilitySession(_state(config).settings, _benchmarks(config))
        config.stash[CAPABILITY_KEY] = session
    return session


def _capability_report(config: pytest.Config) -> CapabilityReport:
    """The controller's capability report, created on first use."""
    report = config.stash.get(CAPABILITY_REPORT_KEY, None)
    if report is None:
        from pytest_qnext.report.aggregate import registry_breakdown
        from pytest_qnext.report.controller import CapabilityReport

        settings = _state(config).settings
        report = CapabilityReport(
            settings.capability,
            settings.report_dir,
            breakdown_for=lambda dataset: registry_breakdown(dataset, _benchmarks(config)),
        )
        config.stash[CAPABILITY_REPORT_KEY] = report
    return report


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
    if _is_xdist_worker(config):
        data = config.workerinput.get("qnext_target")  # type: ignore[attr-defined]
        if data:
            from pytest_qnext.target import ResolvedTarget

            state.target = ResolvedTarget.from_json(data)
        return
    from pytest_qnext.perf.guard import refuse_xdist

    refuse_xdist(config)
    if _capability_active(settings):
        _capability_report(config)  # a bad gate is a usage error now, not after the run
    config.pluginmanager.register(_CapabilityController(config), "qnext-capability")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The qnext settings in effect, only in runs that use qnext (a guest stays quiet)."""
    from pytest_qnext.perf.guard import selects_perf

    state = _state(config)
    settings = state.settings
    perf = selects_perf(config)
    if not (any_given_explicitly(config) or settings.has_target or perf):
        return []
    lines = settings.header_lines(perf=perf)
    if perf and not config.option.collectonly and not _is_xdist_worker(config):
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
    state = _state(config)
    if state.settings.capability.datasets:
        capability = _capability(config)
        capability.entries()  # bad datasets: one line here, not at collection
        _check_code_benchmarks(config)
        checks = not (config.option.collectonly or _is_xdist_worker(config))
        if state.settings.has_target and checks:
            capability.check_cache()  # a broken cache: one line now, not an error per sample
        asks = state.settings.has_target or _is_xdist_worker(config)
        if asks and not config.option.collectonly and not _is_xdist_controller(config):
            capability.warm_up()  # the prefetch child starts during collection
    if _is_xdist_worker(config) or config.option.collectonly or not state.settings.has_target:
        return
    from pytest_qnext.target import TargetError, TargetRunner, preflight

    state.runner = TargetRunner(state.settings)
    try:
        urls = state.runner.start(
            oracle_file=_oracle_file(config), sim_extra=_perf_sim_extra(state.settings)
        )
        state.target = preflight(state.settings, urls)
    except TargetError as exc:
        state.runner.stop()
        raise pytest.UsageError(str(exc)) from None


def _check_code_benchmarks(config: pytest.Config) -> None:
    """Code benchmarks need a working sandbox (else one line, exit 4); the sandbox header line
    and the run's warnings go to the header and the report (capability/notices.py)."""
    from pytest_qnext.capability.notices import check_sandbox, run_notices

    state = _state(config)
    capability = state.settings.capability
    registry = _benchmarks(config)
    names = capability.datasets
    if capability.collection_run:  # a collection's benchmarks are those of its rows
        names = tuple(_capability(config).metas)
    specs = [registry.get(name) for name in names]
    if not config.option.collectonly and not _is_xdist_worker(config):
        check_sandbox(capability, specs)
    state.notices = run_notices(capability, specs)
    report = config.stash.get(CAPABILITY_REPORT_KEY, None)
    if report is not None:
        report.run_warnings = list(state.notices.warnings)


def _perf_sim_extra(settings: Settings) -> str:
    """The simulator counts tokens with the perf tokenizer (a spec's own key wins)."""
    tokenizer = settings.perf.tokenizer
    return f'tokenizer="{tokenizer}"' if tokenizer else ""


def _oracle_file(config: pytest.Config) -> Path | None:
    """The simulator's oracle answers for the selected datasets (built from the settings)."""
    state = _state(config)
    capability = state.settings.capability
    if state.settings.sim_spec is None or not capability.datasets or capability.responses:
        return None
    from pytest_qnext.sim.oracle import write_oracle_file

    entries = _capability(config).entries()
    folder = Path(tempfile.mkdtemp(prefix="qnext-oracle-"))
    state.oracle_dir = folder
    path = folder / "oracle.jsonl"
    return path if write_oracle_file(capability, path, entries) else None


def _contiguous_dist(config: pytest.Config) -> bool:
    """Whether xdist uses our contiguous scheduler (so workers know their items in advance)."""
    return bool(_state(config).settings.capability.datasets and config.getvalue("dist") == "load")


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
    target = _state(node.config).target
    if target is not None:
        node.workerinput["qnext_target"] = target.to_json()
    node.workerinput["qnext_contiguous"] = _contiguous_dist(node.config)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = _state(session.config)
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
        capability = _capability(metafunc.config)
        metafunc.parametrize(FIXTURE, capability.params(), indirect=True)
    if PERF_POINT_FIXTURE in metafunc.fixturenames:
        # the point ids are the values: plain strings, readable in --benchmark-json's params
        ids = [p.id for p in _state(metafunc.config).settings.perf.points()]
        metafunc.parametrize(PERF_POINT_FIXTURE, ids, ids=ids, indirect=True)
    if PROBE_FIXTURE in metafunc.fixturenames:
        # one item per probe the capacity search may run, then its result (perf/capacity.py)
        perf = _state(metafunc.config).settings.perf
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
    if _is_xdist_worker(config) and config.workerinput.get("qnext_contiguous"):  # type: ignore[attr-defined]
        from pytest_qnext.capability.scheduler import block, worker_index

        info = config.workerinput  # type: ignore[attr-defined]
        index = worker_index(str(info.get("workerid", "")))
        items = block(items, index, int(info.get("workercount", 1))) if index is not None else []
    ids = [sample_id for item in items if (sample_id := _sample_id(item)) is not None]
    if not ids:
        return
    _short_failures(items)
    capability = _capability(config)
    capability.set_target(_state(config).target)
    capability.plan(ids)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not _is_xdist_worker(config):
        capability.progress_sink = reporter.write_line
    capability.start()


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

    result = _capability(request.config).run(request.param)
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
    """Request errors of capability items show as one line, not a traceback."""
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(SampleError):
        report.longrepr = str(call.excinfo.value)
    return report


class _CapabilityController:
    """Hooks of the controller (or the only process): rows in, report and exit status out."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        known = self.config.stash.get(CAPABILITY_REPORT_KEY, None)
        if known is not None or report.user_properties:
            _capability_report(self.config).add_report(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the report dir and let gates decide the exit status (report/controller.py)."""
        capability = self.config.stash.get(CAPABILITY_KEY, None)
        if capability is not None:
            capability.stop()
        perf = self.config.stash.get(PERF_KEY, None)
        perf_rows = [point.to_json() for point in perf.points] if perf is not None else []
        capacity = perf.capacity if perf is not None else None
        report = self.config.stash.get(CAPABILITY_REPORT_KEY, None)
        if report is None and perf_rows:
            report = _capability_report(self.config)
        if report is None:
            return
        if report.has_rows or perf_rows:
            report.finish(perf=perf_rows, stopped=_stopped_early(session), capacity=capacity)
        if report.has_rows:
            session.exitstatus = report.exit_status(session.exitstatus)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        planned = sum(1 for item in session.items if _sample_id(item) is not None)
        if planned:
            _capability_report(self.config).planned = planned

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        report = self.config.stash.get(CAPABILITY_REPORT_KEY, None)
        lines = report.terminal_lines() if report is not None else []
        if lines:
            terminalreporter.write_sep("=", "qnext capability")
            for line in lines:
                terminalreporter.write_line(line)


@pytest.fixture
def qnext_perf_point(request: pytest.FixtureRequest) -> SweepPoint:
    """This item's sweep point (parallel streams, measured requests), from its id."""
    points = _state(request.config).settings.perf.points()
    return next(p for p in points if p.id == request.param)


@pytest.fixture(scope="session")
def qnext_perf(request: pytest.FixtureRequest, qnext_target: ResolvedTarget) -> Any:
    """`run(point, benchmark) -> PointResult` for perf sweep items (call `.check()` on it)."""
    from pytest_qnext.perf.guard import XDIST_REFUSAL

    if _is_xdist_worker(request.config):
        pytest.fail(XDIST_REFUSAL, pytrace=False)
    state = _state(request.config)
    perf = request.config.stash.get(PERF_KEY, None)
    if perf is None:
        from pytest_qnext.perf.session import PerfSession

        perf = PerfSession.create(state.settings, qnext_target)
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
    if state is not None and state.oracle_dir is not None:
        shutil.rmtree(state.oracle_dir, ignore_errors=True)
    if state is not None and state.runner is not None:
        state.runner.stop()


@pytest.fixture(scope="session")
def qnext_target(request: pytest.FixtureRequest) -> ResolvedTarget:
    """The server under test (URLs and model), pre-flighted."""
    target = _state(request.config).target
    if target is None:
        raise pytest.UsageError(NO_TARGET.format(what="qnext"))
    return target
