"""Where one run's programs execute: its sandbox mode and a zygote of its own.

A scorer that runs code (`EvalSpec.executes_code`) keeps the plain `score(sample, response)`
signature; it asks `current_runtime()` where to run. The capability engine makes one `Runtime`
per session (the `--qnext-sandbox` mode), scores inside `runtime.active()` on its grading
threads, and `close()`s it at session end, also after Ctrl-C: closing stops the runtime's own
zygote, and every sandbox it forked dies with it (PDEATHSIG), so nothing is left running. If the
pytest process itself dies (SIGTERM, SIGKILL), the zygote sees its stdin close and the same
happens.

Outside a runtime (a scorer called directly, in a script or a unit test) programs run in the
safe default: `namespaces` mode, forked by the process-wide zygote.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator

from pytest_qnext.sandbox.limits import MODES, SandboxMode
from pytest_qnext.sandbox.zygote import Zygote

__all__ = ["DEFAULT_RUNTIME", "Runtime", "current_runtime"]


class Runtime:
    """A sandbox mode and, when `own_zygote`, a zygote started on first use and stopped by
    `close()` (taking every running sandbox down). Thread-safe."""

    def __init__(self, mode: SandboxMode = "namespaces", *, own_zygote: bool = True) -> None:
        if mode not in MODES:
            raise ValueError(f"sandbox mode {mode!r}; valid: {', '.join(MODES)}")
        self.mode: SandboxMode = mode
        self._own = own_zygote
        self._zygote: Zygote | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def zygote(self) -> Zygote | None:
        """The zygote sandboxes of this runtime are forked by (None: the process-wide one)."""
        if not self._own:
            return None
        with self._lock:
            if self._zygote is None:
                self._zygote = Zygote()
                if self._closed:  # a late grading after close(): it forks nothing
                    self._zygote.close()
            return self._zygote

    def close(self) -> None:
        """Stop this runtime's zygote: running sandboxes die, no new one starts."""
        with self._lock:
            self._closed = True
            zygote = self._zygote
        if zygote is not None:
            zygote.close()

    @contextlib.contextmanager
    def active(self) -> Iterator[Runtime]:
        """Make this the runtime `current_runtime()` returns in this thread (context)."""
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)

    def __repr__(self) -> str:
        return f"Runtime(mode={self.mode!r}, own_zygote={self._own})"


#: Where programs run when no runtime is active: namespaces, the process-wide zygote.
DEFAULT_RUNTIME = Runtime("namespaces", own_zygote=False)
_CURRENT: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "qnext_sandbox_runtime", default=None
)


def current_runtime() -> Runtime:
    """The runtime the calling code runs under (`DEFAULT_RUNTIME` outside any)."""
    return _CURRENT.get() or DEFAULT_RUNTIME
