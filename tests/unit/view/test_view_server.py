"""The viewer's HTTP server over real sockets (127.0.0.1, an OS-chosen port)."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from pytest_qnext.view.server import make_server


@pytest.fixture
def server(
    tmp_path: Path, run_writer: Callable[..., Path], row_factory: Callable[..., Any], evil: str
) -> Iterator[int]:
    rows_a = [row_factory("mcq", i, "pass" if i % 3 else "fail") for i in range(30)]
    rows_a[4]["prediction"] = evil
    rows_b = [row_factory("mcq", i, "pass") for i in range(30)]
    run_writer(tmp_path / "root" / "a", rows_a)
    run_writer(tmp_path / "root" / "b", rows_b)
    srv = make_server([tmp_path / "root"], 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def get(
    port: int, path: str, method: str = "GET", host: str | None = None
) -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host} if host else {}
    conn.request(method, path, headers=headers)
    resp = conn.getresponse()
    body = resp.read().decode("utf-8")
    conn.close()
    return resp.status, body, dict(resp.getheaders())


def test_pages_render(server: int) -> None:
    status, body, headers = get(server, "/")
    assert status == 200 and ">a</a>" in body and ">b</a>" in body
    assert headers["Content-Type"].startswith("text/html")
    for path in (
        "/run?run=a",
        "/samples?run=a",
        "/sample?run=a&dataset=mcq&id=4&repeat=0",
        "/compare?run=a&run=b",
        "/perf?run=a",
    ):
        status, body, _ = get(server, path)
        assert status == 200, (path, body)
    _, compare, _ = get(server, "/compare?run=a&run=b&kind=fail%E2%86%92pass")
    assert "10 samples match" in compare


def test_api_filters_and_sample(server: int, evil: str) -> None:
    q = urlencode({"run": "a", "outcome": "fail", "limit": 3, "offset": 3})
    status, body, _ = get(server, f"/api/samples?{q}")
    page = json.loads(body)
    assert status == 200 and page["total"] == 10 and page["offset"] == 3 and len(page["rows"]) == 3
    assert page["counts"]["outcome"] == {"fail": 10, "pass": 20}
    status, body, _ = get(server, "/api/sample?run=a&dataset=mcq&id=4")
    assert json.loads(body)["prediction"] == evil


def test_model_output_is_escaped_in_the_sample_page(server: int) -> None:
    _, body, _ = get(server, "/sample?run=a&dataset=mcq&id=4")
    assert "<img" not in body and body.count("<script") == 2  # the JSON block and the page script


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/run?run=nope", 404, "no run &#39;nope&#39;"),
        ("/run", 400, "pick a run"),
        ("/compare?run=a", 400, "pick 2 or 3 runs"),
        ("/compare?run=a&run=b&run=a&run=b", 400, "at most 3 runs"),
        ("/sample?run=a&dataset=mcq&id=999", 404, "no sample"),
        ("/api/samples?run=a&limit=x", 400, "limit must be an integer"),
        ("/nowhere", 404, "no page"),
    ],
)
def test_bad_requests_get_one_line(server: int, path: str, status: int, text: str) -> None:
    got, body, _ = get(server, path)
    assert got == status and text in body


def test_read_only_and_loopback_host_only(server: int) -> None:
    assert get(server, "/", method="POST")[0] == 405
    assert get(server, "/", host="evil.example:80")[0] == 403
    assert get(server, "/", host=f"localhost:{server}")[0] == 200


def test_command_line_serves_and_refuses_bad_roots(
    tmp_path: Path, run_writer: Callable[..., Path], row_factory: Callable[..., Any]
) -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "pytest_qnext.view", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "no such folder" in bad.stderr
    run_writer(tmp_path / "r" / "one", [row_factory("mcq", 1, "pass")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest_qnext.view", str(tmp_path / "r")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("qnext view: 1 run(s) under")
        found = re.search(r"serving http://127\.0\.0\.1:(\d+)/", proc.stdout.readline())
        assert found is not None
        status, body, _ = get(int(found.group(1)), "/")
        assert status == 200 and ">one</a>" in body
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
