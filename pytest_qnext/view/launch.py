"""Driving the viewer from scripts and tests: a viewer subprocess, the system Chromium.

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

__all__ = ["CHROMIUM_ARGS", "ViewerError", "find_chromium", "running_viewer"]

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
