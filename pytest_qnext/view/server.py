"""`qnext view`: a read-only web app over the report dirs under one or more roots.

Standard library only: a threaded `http.server` bound to 127.0.0.1. GET (and HEAD) only; a
request whose Host is not this loopback address is refused (DNS rebinding), and every page
carries a Content-Security-Policy that lets only the page's own script and style run.

The runs are rediscovered on every runs-list request (a new run appears on reload); a run's
sample index is built on first use and rebuilt when its samples.jsonl changes.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from pytest_qnext.view.compare import Comparison, compare_runs, tone
from pytest_qnext.view.index import Filters, SampleIndex
from pytest_qnext.view.loader import PERF_FILE, SAMPLES_FILE, Run, discover, read_perf_records
from pytest_qnext.view.pages import overview_context, render
from pytest_qnext.view.perfview import MAX_SCATTER, PerfRun, perf_context

__all__ = ["MAX_RUNS", "Catalog", "ViewError", "make_server"]

MAX_RUNS = 3
COMPARE_PAGE = 100
MAX_LIMIT = 500


class ViewError(Exception):
    """A request the viewer cannot answer; `status` and a one-line message for the page."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class Catalog:
    """The runs under the roots and their lazily built sample indexes."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = [Path(r) for r in roots]
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}
        self.problems: list[str] = []
        self._indexes: dict[str, tuple[tuple[float, int], SampleIndex]] = {}
        self._index_locks: dict[str, threading.Lock] = {}
        self._compare: dict[tuple[Any, ...], Comparison] = {}
        self.rescan()

    @property
    def runs(self) -> list[Run]:
        return list(self._runs.values())

    def rescan(self) -> list[Run]:
        runs, problems = discover(self.roots)
        with self._lock:
            self._runs = {r.id: r for r in runs}
            self.problems = problems
        return runs

    def run(self, run_id: str) -> Run:
        found = self._runs.get(run_id)
        if found is None:
            self.rescan()
            found = self._runs.get(run_id)
        if found is None:
            raise ViewError(HTTPStatus.NOT_FOUND, f"no run {run_id!r} under {self._root_text()}")
        return found

    def _root_text(self) -> str:
        return ", ".join(str(r) for r in self.roots)

    def index(self, run: Run) -> SampleIndex:
        path = run.path / SAMPLES_FILE
        try:
            stat = path.stat()
        except OSError:
            raise ViewError(HTTPStatus.NOT_FOUND, f"run {run.id} has no {SAMPLES_FILE}") from None
        stamp = (stat.st_mtime, stat.st_size)
        with self._lock:
            lock = self._index_locks.setdefault(run.id, threading.Lock())
        with lock:
            cached = self._indexes.get(run.id)
            if cached is None or cached[0] != stamp:
                self._indexes[run.id] = (stamp, SampleIndex(path, run.primary_metric))
            return self._indexes[run.id][1]

    def warm(self, run: Run) -> None:
        """Build `run`'s index ahead of its first query (errors surface on that query)."""
        with contextlib.suppress(ViewError, OSError, ValueError):
            self.index(run)

    def comparison(self, runs: Sequence[Run]) -> Comparison:
        indexes = [self.index(r) for r in runs]
        key = tuple((r.id, id(ix)) for r, ix in zip(runs, indexes, strict=True))
        with self._lock:
            found = self._compare.get(key)
        if found is None:
            found = compare_runs(indexes)
            with self._lock:
                self._compare = {key: found}  # keep only the latest comparison
        return found


def _one(query: dict[str, list[str]], name: str, default: str = "") -> str:
    values = query.get(name)
    return values[0] if values else default


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return int(_one(query, name, str(default)))
    except ValueError:
        raise ViewError(HTTPStatus.BAD_REQUEST, f"{name} must be an integer") from None


def _sample_link(run_id: str) -> Callable[[Any, Any, Any], str]:
    def link(dataset: Any, sample_id: Any, repeat: Any) -> str:
        return "/sample?" + urlencode(
            {"run": run_id, "dataset": dataset, "id": sample_id, "repeat": repeat or 0}
        )

    return link


class Pages:
    """Request path + query -> (content type, body)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _runs(self, query: dict[str, list[str]], need: str) -> list[Run]:
        ids = query.get("run") or []
        if not ids:
            raise ViewError(HTTPStatus.BAD_REQUEST, "pick a run: add ?run=ID (see the runs list)")
        if len(ids) > MAX_RUNS:
            raise ViewError(HTTPStatus.BAD_REQUEST, f"pick at most {MAX_RUNS} runs, got {len(ids)}")
        runs = [self.catalog.run(i) for i in ids]
        for run in runs:
            if need == "capability" and not run.is_capability:
                raise ViewError(HTTPStatus.NOT_FOUND, f"run {run.id} has no capability results")
        return runs

    def index_page(self, query: dict[str, list[str]]) -> str:
        runs = self.catalog.rescan()
        return render(
            "runs.html",
            live=True,
            runs=runs,
            problems=self.catalog.problems,
            roots=[str(r) for r in self.catalog.roots],
        )

    def run_page(self, query: dict[str, list[str]]) -> str:
        (run,) = self._runs(query, "")[:1]
        return render(
            "run.html",
            live=True,
            run=run,
            page="overview",
            o=overview_context(run.summary),
            sample_link=_sample_link(run.id) if run.has_samples else (lambda *a: ""),
        )

    def samples_page(self, query: dict[str, list[str]]) -> str:
        (run,) = self._runs(query, "capability")[:1]
        if run.has_samples:  # build the index while the page loads; its first query waits
            threading.Thread(target=self.catalog.warm, args=(run,), daemon=True).start()
        return render("samples.html", live=True, run=run, page="samples")

    def sample_page(self, query: dict[str, list[str]]) -> str:
        runs = self._runs(query, "capability")
        dataset, sample_id = _one(query, "dataset"), _one(query, "id")
        repeat = _int(query, "repeat", 0)
        rows = [self.catalog.index(r).row(dataset, sample_id, repeat) for r in runs]
        if all(r is None for r in rows):
            raise ViewError(HTTPStatus.NOT_FOUND, f"no sample {dataset}/{sample_id} #r{repeat}")
        title = f"{dataset} / {sample_id}" + (f" #r{repeat}" if repeat else "")
        return render(
            "sample.html", live=True, runs=runs, rows=rows, title=title, page="sample", back=""
        )

    def compare_page(self, query: dict[str, list[str]]) -> str:
        runs = self._runs(query, "capability")
        if len(runs) < 2:
            raise ViewError(HTTPStatus.BAD_REQUEST, "pick 2 or 3 runs to compare")
        comp = self.catalog.comparison(runs)
        kind, dataset = _one(query, "kind"), _one(query, "dataset")
        selected = comp.select(kind, dataset)
        pages = max(1, math.ceil(len(selected) / COMPARE_PAGE))
        page = min(max(1, _int(query, "page", 1)), pages)
        start = (page - 1) * COMPARE_PAGE
        base = [("run", r.id) for r in runs] + [("kind", kind), ("dataset", dataset)]
        rows = []
        for i in selected[start : start + COMPARE_PAGE]:
            key = comp.keys[i]
            cells = comp.cells[i]
            first = next(c for c in cells if c is not None)
            href = "/sample?" + urlencode(
                [("run", r.id) for r in runs]
                + [("dataset", key[0]), ("id", key[1]), ("repeat", key[2])]
            )
            rows.append(
                {
                    "key": key,
                    "kind": comp.kinds[i],
                    "flip": comp.flip[i],
                    "cells": cells,
                    "target": first.get("target"),
                    "tone": tone(comp.kinds[i]),
                    "href": href,
                }
            )

        def page_href(p: int) -> str:
            return "/compare?" + urlencode([*base, ("page", p)])

        all_flips = sum(comp.flip)
        return render(
            "compare.html",
            live=True,
            runs=runs,
            rows=rows,
            kind=kind,
            dataset=dataset,
            datasets=comp.datasets(),
            kind_counts=comp.kind_counts(dataset),
            total=len(selected),
            total_all=len(comp.keys),
            flips_all=all_flips,
            shown_from=start + 1 if selected else 0,
            shown_to=start + len(rows),
            page=page,
            pages=pages,
            prev_href=page_href(page - 1) if page > 1 else "",
            next_href=page_href(page + 1) if page < pages else "",
        )

    def perf_page(self, query: dict[str, list[str]]) -> str:
        runs = self._runs(query, "")
        perf_runs = [
            PerfRun(
                r.id, r.perf_points, read_perf_records(r.path / PERF_FILE, limit=MAX_SCATTER * 4)
            )
            for r in runs
        ]
        return render(
            "perf.html", live=True, runs=runs, run=runs[0], page="perf", p=perf_context(perf_runs)
        )

    def api_samples(self, query: dict[str, list[str]]) -> dict[str, Any]:
        (run,) = self._runs(query, "capability")[:1]
        index = self.catalog.index(run)
        flat = {k: v[0] for k, v in query.items() if v}
        limit = min(max(1, _int(query, "limit", 50)), MAX_LIMIT)
        page = index.query(Filters.from_query(flat), _int(query, "offset", 0), limit)
        return {
            "total": page.total,
            "offset": page.offset,
            "size": page.size,
            "counts": page.counts,
            "rows": page.rows,
        }

    def api_sample(self, query: dict[str, list[str]]) -> dict[str, Any]:
        (run,) = self._runs(query, "capability")[:1]
        row = self.catalog.index(run).row(
            _one(query, "dataset"), _one(query, "id"), _int(query, "repeat", 0)
        )
        if row is None:
            raise ViewError(HTTPStatus.NOT_FOUND, "no such sample")
        return row


_HTML_ROUTES = {
    "/": Pages.index_page,
    "/run": Pages.run_page,
    "/samples": Pages.samples_page,
    "/sample": Pages.sample_page,
    "/compare": Pages.compare_page,
    "/perf": Pages.perf_page,
}
_API_ROUTES = {"/api/samples": Pages.api_samples, "/api/sample": Pages.api_sample}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, ctype: str, body: bytes, head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.server_address[1]
        return host in {f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1", "localhost"}

    def _serve(self, head: bool) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        api = url.path in _API_ROUTES
        try:
            if not self._host_ok():
                raise ViewError(
                    HTTPStatus.FORBIDDEN, "wrong Host header: open the URL qnext view printed"
                )
            if api:
                body = json.dumps(
                    _API_ROUTES[url.path](self.server.pages, query),
                    allow_nan=False,
                    ensure_ascii=False,
                    default=str,
                )
                self._send(200, "application/json; charset=utf-8", body.encode("utf-8"), head)
                return
            route = _HTML_ROUTES.get(url.path)
            if route is None:
                raise ViewError(HTTPStatus.NOT_FOUND, f"no page {url.path}")
            html = route(self.server.pages, query)
            self._send(200, "text/html; charset=utf-8", html.encode("utf-8"), head)
        except ViewError as exc:
            self._error(exc.status, str(exc), api, head)
        except Exception as exc:  # one line for the user; the server keeps serving
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}", api, head)

    def _error(self, status: HTTPStatus, message: str, api: bool, head: bool) -> None:
        if api:
            body = json.dumps({"error": message}).encode("utf-8")
            self._send(status, "application/json; charset=utf-8", body, head)
        else:
            html = render(
                "error.html", live=True, status=f"{status.value} {status.phrase}", message=message
            )
            self._send(status, "text/html; charset=utf-8", html.encode("utf-8"), head)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _refuse(self) -> None:
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "qnext view is read-only", False, False)

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], catalog: Catalog, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.pages = Pages(catalog)
        self.verbose = verbose


def make_server(roots: Sequence[Path], port: int = 0, verbose: bool = False) -> _Server:
    """A server on 127.0.0.1:`port` (0: the OS picks a free one) over `roots`."""
    return _Server(("127.0.0.1", port), Catalog(roots), verbose)
