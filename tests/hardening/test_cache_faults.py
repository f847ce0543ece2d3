"""The response cache failing in every way a disk can fail: no hang, no lost answer, one line.

- a full disk while answers are written (a 120 KB tmpfs as the cache dir; where mounting needs
  privileges this process lacks, RLIMIT_FSIZE makes the same real write fail);
- a cache file with damaged pages, with and without `--qnext-cache refresh`;
- a cache that cannot be used at all (the cache dir is a file, the file is no database, a
  read-only file system): refused at start-up, exit 4, one line naming the path and the fix.

Before the fix, the first two hung for ever (an unguarded cache write killed the prefetch task,
"Task exception was never retrieved"), the last gave one internal error per sample.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hardening_project import Project, Result, demo_mcq_rows

from pytest_qnext.capability.cache import CACHE_FILE, Answer, ResponseCache

N_SAMPLES = 40
FULL_ERRORS = ("Task exception was never retrieved", "Traceback", "INTERNALERROR")
GATED = ("--qnext-sim", "--qnext-gate", "error_rate<=0")  # exit 0 unless a sample errs


@contextlib.contextmanager
def tmpfs(folder: Path, *options: str) -> Iterator[bool]:
    """Mount a tmpfs at `folder` with `options` (size=120k, ro, ...); yields whether it
    could (only root can), unmounting it afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    mount, umount = shutil.which("mount"), shutil.which("umount")
    mounted = False
    if os.geteuid() == 0 and mount and umount:
        opts = ",".join(options)
        cmd = [mount, "-t", "tmpfs", "-o", opts, "tmpfs", str(folder)]
        mounted = subprocess.run(cmd, capture_output=True, check=False).returncode == 0
    try:
        yield mounted
    finally:
        if mounted and umount:
            subprocess.run([umount, "-l", str(folder)], capture_output=True, check=False)


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return apply


def assert_every_answer_scored(run: Result) -> None:
    rows = run.rows()
    assert len(rows) == N_SAMPLES, run.out
    assert {r["outcome"] for r in rows} <= {"pass", "fail"}, run.out
    assert run.summary()["complete"] is True
    for text in FULL_ERRORS:
        assert text not in run.out


@pytest.fixture
def project(make_project: Any) -> Project:
    rows = demo_mcq_rows(N_SAMPLES)
    proj: Project = make_project(rows)
    return proj


def test_a_full_disk_costs_the_cache_not_the_run(project: Project) -> None:
    disk = project.root / "disk"
    with tmpfs(disk, "size=120k") as mounted:
        extra: dict[str, Any] = {}
        if not mounted:  # the same ENOSPC-like failure for files past 96 KiB (EFBIG)
            extra["preexec_fn"] = _limit_file_size(96 * 1024)
        run = project.capability("full", *GATED, "--qnext-cache-dir", str(disk / "cache"), **extra)
    assert run.code == 0, run.out
    assert_every_answer_scored(run)
    notes = [w for w in run.summary()["warnings"] if "cannot write the response cache" in w]
    assert len(notes) == 1, run.summary()["warnings"]
    assert str(disk / "cache" / CACHE_FILE) in notes[0]
    assert "free space" in notes[0]
    assert f"qnext warning: {notes[0]}" in run.out


def corrupt_all_pages_but_the_first(path: Path) -> None:
    """Overwrite every page after the header page: the file still opens as a database, and
    every read or write of the answers table meets a damaged page."""
    with sqlite3.connect(path) as db:
        page = int(db.execute("PRAGMA page_size").fetchone()[0])
    data = bytearray(path.read_bytes())
    assert len(data) > 2 * page, "the cache should span several pages"
    data[page:] = bytes([0xDE, 0xAD, 0xBE, 0xEF]) * ((len(data) - page) // 4)
    path.write_bytes(bytes(data))


@pytest.fixture
def damaged_cache(project: Project) -> Path:
    """A cache dir whose file holds answers (as a run stores them) and then damaged pages."""
    folder = project.root / "damaged"
    cache = ResponseCache(folder)
    for i in range(N_SAMPLES):
        cache.put(f"key{i}", "general_mcq", f"q{i:03d}", 0, Answer(content=f"ANSWER: A {i}" * 40))
    cache.close()
    corrupt_all_pages_but_the_first(folder / CACHE_FILE)
    return folder


@pytest.mark.parametrize("mode", ["refresh", "on"])
def test_a_damaged_cache_is_named_once_and_every_sample_answered(
    project: Project, damaged_cache: Path, mode: str
) -> None:
    run = project.capability(
        mode, *GATED, "--qnext-cache-dir", str(damaged_cache), "--qnext-cache", mode
    )
    assert run.code == 0, run.out
    assert_every_answer_scored(run)
    notes = [w for w in run.summary()["warnings"] if "the response cache" in w]
    assert len(notes) == 1, run.summary()["warnings"]
    assert str(damaged_cache / CACHE_FILE) in notes[0]
    assert "malformed" in notes[0]
    if mode == "refresh":  # writing failed: refreshing again would not help
        assert "cannot write" in notes[0] and "delete the file" in notes[0]
    else:  # reading failed: the answers were asked again
        assert "cannot read" in notes[0]
        assert "--qnext-cache refresh or delete the file" in notes[0]
        assert not any(r["cached"] for r in run.rows())


def _file(project: Project) -> tuple[Path, str]:
    blocker = project.root / "a-file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    return blocker, "is a file, not a directory"


def _not_a_database(project: Project) -> tuple[Path, str]:
    folder = project.root / "garbage"
    folder.mkdir()
    (folder / CACHE_FILE).write_bytes(b"this is no SQLite file, just text " * 200)
    return folder, "is not a SQLite database"


BROKEN: dict[str, Callable[[Project], tuple[Path, str]]] = {
    "dir is a file": _file,
    "not a database": _not_a_database,
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_an_unusable_cache_is_refused_before_the_run(project: Project, name: str) -> None:
    folder, why = BROKEN[name](project)
    run = project.capability("broken", "--qnext-sim", "--qnext-cache-dir", str(folder))
    assert_refused(run, folder, why)


def test_a_read_only_cache_dir_is_refused_before_the_run(project: Project) -> None:
    folder = project.root / "read-only"
    with tmpfs(folder, "ro", "size=1m") as mounted:
        if not mounted:  # without root: a read-only folder (root could write it anyway)
            folder.chmod(0o555)
        try:
            run = project.capability("ro", "--qnext-sim", "--qnext-cache-dir", str(folder))
        finally:
            if not mounted:
                folder.chmod(0o755)
    assert_refused(run, folder, "is not writable")


def assert_refused(run: Result, folder: Path, why: str) -> None:
    assert run.code == 4, run.out
    lines = [line for line in run.out.splitlines() if line.startswith("ERROR: --qnext-cache-dir")]
    assert len(lines) == 1, run.out
    assert str(folder) in lines[0] and why in lines[0]
    assert "--qnext-cache off" in lines[0]  # and how to go on
    assert "internal" not in run.out and "Traceback" not in run.out
    assert run.items("ERROR") == run.items("PASSED") == 0
