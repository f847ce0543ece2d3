"""Driving the viewer from scripts and tests: a viewer subprocess, the system Chromium.

`report_run(report, *args)` runs pytest in a subprocess and moves its run folder to `report`;
`running_viewer(*roots)` starts `python -m pytest_qnext.view ROOT...` on an OS-chosen port and
yields its URL; `find_chromium()` and `CHROMIUM_ARGS` are what Playwright needs to drive the
system Chromium (scripts/install_browser.sh) without downloading a browser of its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "CHROMIUM_ARGS",
    "DEMO_CAPABILITY",
    "ViewerError",
    "find_chromium",
    "report_run",
    "running_viewer",
]

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# scripts/demo.sh's capability selection (bundled demo rows) and gates
DEMO_CAPABILITY = (
    "--qnext-datasets",
    "mmlu_pro,mmlu_redux,ifeval,math_500,aime24,aime25",
    "--qnext-data-dir",
    "demo",
    "--qnext-gate",
    "error_rate<=0",
    "--qnext-gate",
    "mmlu_pro>=0.3",
)
_URL = re.compile(r"serving (http://127\.0\.0\.1:\d+/)")


class ViewerError(RuntimeError):
    """The viewer subprocess did not start; the message holds what it printed."""


def find_chromium() -> str | None:
    """$QNEXT_CHROMIUM, `chromium` on PATH or /usr/bin/chromium; None when there is none."""
    for candidate in (
        os.environ.get("QNEXT_CHROMIUM"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@contextlib.contextmanager
def running_viewer(*roots: Path) -> Iterator[str]:
    """Yield the URL of a viewer over `roots`, stopping it afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest_qnext.view", *map(str, roots)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    url = None
    for line in proc.stdout:
        lines.append(line)
        found = _URL.search(line)
        if found:
            url = found.group(1)
            break
    try:
        if url is None:
            raise ViewerError("qnext view printed no URL:\n" + "".join(lines))
        yield url
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def report_run(
    report: Path, *args: str, cwd: Path, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """`pytest -q ... --qnext-report-dir ROOT --qnext-cache off ARGS` in a subprocess (with
    no PYTEST_* variables of a calling pytest): a real run, whose run folder (the root's
    `latest`) then becomes the report dir `report` (a temporary root beside it is removed)."""
    root = report.with_name(f".{report.name}.root")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=no",
        "--no-header",
        "--qnext-report-dir",
        str(root),
        "--qnext-cache",
        "off",
        *args,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    latest = root / "latest"
    if latest.is_dir() and not report.exists():
        latest.resolve().rename(report)
    shutil.rmtree(root, ignore_errors=True)
    return done
