"""The report root and its run folders: one folder per pytest session, stable `latest` links.

`--qnext-report-dir ROOT` (default `.qnext_report`) is a root. Each session that writes a report
gets its own run folder `ROOT/<run id>/`, run id `<UTC YYYYmmdd-HHMMSS>-<kind>` (the session's
start time; kind `capability`, `perf` or `mixed`; `-2`, `-3`, ... appended when the name is
taken), created on its first write. After the report is written, `publish()` replaces the
symlinks `ROOT/latest` and `ROOT/latest-<kind>` (a mixed run: `latest-capability` and
`latest-perf`) atomically (a new link renamed over the old one). No run deletes or rewrites
another run's folder.

`resolve_baseline(path, kind)` turns what a user gives `--qnext-baseline` /
`--qnext-perf-baseline` into a summary.json path: a run folder, a root (its `latest-<kind>`), or
a summary.json file itself. `check_root(root)` says, before the first request, why a root could
not be written.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

__all__ = [
    "KINDS",
    "LATEST",
    "SUMMARY_FILE",
    "RunDirError",
    "RunFolder",
    "check_root",
    "latest_link",
    "resolve_baseline",
    "run_kind",
]

KINDS = ("capability", "perf", "mixed")
LATEST = "latest"
SUMMARY_FILE = "summary.json"


class RunDirError(Exception):
    """A report root or baseline path cannot be used; the message is one line with the fix."""


def run_kind(capability: bool, perf: bool) -> str:
    """The kind of a session that ran capability items, perf items, or both."""
    if capability and perf:
        return "mixed"
    return "perf" if perf else "capability"


def _link_kinds(kind: str) -> tuple[str, ...]:
    """The `latest-<k>` links a run of `kind` replaces (a mixed run counts as both)."""
    return ("capability", "perf") if kind == "mixed" else (kind,)


def latest_link(root: Path, kind: str | None = None) -> Path:
    """`ROOT/latest` (kind None) or `ROOT/latest-<kind>`."""
    return Path(root) / (LATEST if kind is None else f"{LATEST}-{kind}")


def _checked_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"run kind {kind!r} is not one of {', '.join(KINDS)}")
    return kind


class RunFolder:
    """This session's run folder under `root`; nothing touches the disk before `path()`."""

    def __init__(self, root: Path, kind: str = "capability", started: datetime | None = None):
        self.root = Path(root)
        self.started = started or datetime.now(timezone.utc)
        self._path: Path | None = None
        self._kind: str = _checked_kind(kind)

    @property
    def kind(self) -> str:
        return self._kind

    @kind.setter
    def kind(self, kind: str) -> None:
        """The kind can change until the folder is created (its name holds the kind)."""
        if self._path is not None and kind != self._kind:
            raise ValueError(f"the run folder {self._path} exists already as a {self._kind} run")
        self._kind = _checked_kind(kind)

    @property
    def created(self) -> bool:
        return self._path is not None

    @property
    def run_id(self) -> str | None:
        """The folder's name once created."""
        return None if self._path is None else self._path.name

    def path(self) -> Path:
        """The run folder, created (with the root) on the first call; never an existing one."""
        if self._path is None:
            self.root.mkdir(parents=True, exist_ok=True)
            base = f"{self.started.astimezone(timezone.utc):%Y%m%d-%H%M%S}-{self.kind}"
            for n in range(1, 10_000):
                candidate = self.root / (base if n == 1 else f"{base}-{n}")
                try:
                    candidate.mkdir()
                except FileExistsError:
                    continue
                self._path = candidate
                break
            else:  # pragma: no cover - ten thousand runs in one second
                raise OSError(f"no free run folder name for {base} in {self.root}")
        return self._path

    def links(self) -> list[Path]:
        """The links `publish()` replaces."""
        return [
            latest_link(self.root),
            *(latest_link(self.root, k) for k in _link_kinds(self.kind)),
        ]

    def publish(self) -> list[str]:
        """Point `latest` and `latest-<kind>` at this run (atomically, each); returns one line
        per link that could not be replaced (nothing is removed then)."""
        if self._path is None:
            return []
        problems = []
        for link in self.links():
            try:
                _replace_link(link, self._path.name)
            except OSError as exc:
                problems.append(
                    f"--qnext-report-dir: could not point {link} at {self._path.name} "
                    f"({exc.strerror or exc}); the report is in {self._path}"
                )
        return problems


def _replace_link(link: Path, target: str) -> None:
    """Make `link` a relative symlink to `target`: a new link renamed over the old one, so a
    reader always finds either the old or the new run. A real file or folder there is kept."""
    if link.exists() and not link.is_symlink():
        raise FileExistsError(17, "a file or folder of that name is in the way")
    temp = link.with_name(f".{link.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    os.symlink(target, temp, target_is_directory=True)
    try:
        os.replace(temp, link)
    except OSError:
        temp.unlink(missing_ok=True)
        raise


def check_root(root: Path) -> str | None:
    """Why `root` could not hold run folders (one line), or None when it can: it (or the
    nearest existing folder above it) must be a writable folder. Nothing is created."""
    root = Path(root)
    probe = root
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        where = "is a file" if probe == root else f"cannot be created: {probe} is a file"
        return f"--qnext-report-dir: {root} {where}; give a folder for the reports"
    try:
        with tempfile.TemporaryFile(dir=probe, prefix=".qnext-probe-"):
            pass
    except OSError as exc:
        return (
            f"--qnext-report-dir: cannot write in {probe} ({exc.strerror or exc}); give a "
            "folder you can write to"
        )
    return None


def resolve_baseline(path: Path, kind: str, *, option: str | None = "--qnext-baseline") -> Path:
    """The summary.json that `path` names for a `kind` ("capability" or "perf") baseline: a
    summary.json file itself, a run folder holding one, or a report root (its
    `latest-<kind>` run). RunDirError (one line, starting with `option` unless None) when
    there is none."""
    path = Path(path)
    flag = f"{option}: " if option else ""
    if path.is_file():
        return path
    if not path.exists():
        raise RunDirError(
            f"{flag}{path} does not exist; give a run folder, a report root "
            f"(--qnext-report-dir of an earlier run) or a {SUMMARY_FILE}"
        )
    if (path / SUMMARY_FILE).is_file():
        return path / SUMMARY_FILE
    link = latest_link(path, kind)
    if link.exists():
        found = link.resolve() / SUMMARY_FILE
        if found.is_file():
            return found
        raise RunDirError(f"{flag}{link} points at {link.resolve()}, which has no {SUMMARY_FILE}")
    raise RunDirError(
        f"{flag}{path} holds no {SUMMARY_FILE} and no {link.name} link; give a run folder, "
        f"a report root with an earlier {kind} run, or a {SUMMARY_FILE}"
    )
