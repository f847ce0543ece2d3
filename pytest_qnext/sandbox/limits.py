"""What a sandbox may use: the resource limits and the isolation modes, declared once."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

__all__ = [
    "DEFAULT_LIMITS",
    "MODES",
    "UID_BASE",
    "Limits",
    "SandboxError",
    "SandboxMode",
    "SandboxUnavailable",
]

#: `namespaces`: the default and the only safe mode (see README). `unsafe-local`: rlimits,
#: a new session and a scrubbed environment only, for kernels without user namespaces.
SandboxMode = Literal["namespaces", "unsafe-local"]
MODES: tuple[SandboxMode, ...] = get_args(SandboxMode)

#: When the parent runs as root, each sandboxed program runs as uid UID_BASE + (pid of its
#: boot process): a uid no account uses, so RLIMIT_NPROC counts exactly that sandbox's processes
#: (the kernel never enforces RLIMIT_NPROC for uid 0).
UID_BASE = 1_500_000_000


class SandboxError(Exception):
    """The sandbox itself failed (not the program in it): a one-line message."""


class SandboxUnavailable(SandboxError):
    """The requested isolation cannot be set up on this machine (one line naming the fix)."""


@dataclass(frozen=True)
class Limits:
    """Per-sandbox limits. Memory and CPU are per process (RLIMIT_AS / RLIMIT_CPU); the
    process count bounds how far they multiply (a fork bomb gets `max_processes` copies)."""

    cpu_seconds: float = 60.0  # RLIMIT_CPU of the program's process (a backstop; wall
    # timeouts are the parent's job)
    memory_bytes: int = 4 << 30  # RLIMIT_AS (address space) per process
    max_processes: int = 32  # RLIMIT_NPROC (processes and threads) in the sandbox
    file_bytes: int = 64 << 20  # RLIMIT_FSIZE: largest file the program may write
    open_files: int = 64  # RLIMIT_NOFILE
    tmp_bytes: int = 64 << 20  # size of the private writable /tmp (tmpfs)
    message_bytes: int = 64 << 20  # largest message the runner may send back
    stderr_bytes: int = 16 << 10  # how much of the sandbox's stderr is kept

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value or value <= 0:
                raise ValueError(f"Limits.{name} must be > 0, got {value!r}")

    def for_boot(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_LIMITS = Limits()
