"""When to stop asking: a server that stopped answering, or one that rejects every request.

The prefetcher shows `FailureWatch` every answer that came from the server (cache hits are not
the server's) in the order they completed. It returns a reason, once, when asking further is
pointless:

- `max_failures` requests in a row (`--qnext-max-connection-failures`) failed to reach the server
  (cannot connect, connection lost, timeout; each after its retries): the server is gone. The rest
  of the run is not asked: the session stops with this one line (not one error per sample), the
  report is marked incomplete, and a rerun resumes from the cache.
- before the server gave any answer, two requests failed with the same non-retryable error (an
  HTTP 4xx such as a generation parameter the server rejects, or an internal error building the
  request): every request would fail the same way, so one line says so instead of one error per
  sample.

Any answer in between (or any other error, e.g. an HTTP 500: the server answered) resets the
count of failures in a row.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_qnext.capability.cache import Answer

__all__ = ["CONNECTION_KINDS", "HALTED", "REJECTION_KINDS", "FailureWatch"]

# error kinds of a request that never got a whole answer from the server (client ErrorKind)
CONNECTION_KINDS = frozenset({"connect", "timeout", "stream_dropped"})
# error kinds that repeat identically for every request when the request itself is wrong
REJECTION_KINDS = frozenset({"http_4xx", "internal"})
# error kind of the answers of jobs that were not asked because the run stopped asking
HALTED = "not_asked"


class FailureWatch:
    """Decides from the sequence of answers whether to stop asking (see the module docstring)."""

    def __init__(
        self,
        total: int,
        servers: Sequence[str],
        max_failures: int,
        *,
        resumable: bool = True,
    ) -> None:
        self.total = total
        self.server = ", ".join(servers) or "the server"
        self.max_failures = max_failures
        self.resumable = resumable
        self.in_a_row = 0
        self.answered = 0  # answers the server gave (errors excluded)
        self._rejections: set[str] = set()

    def observe(self, answer: Answer, scored: int) -> str | None:
        """Note one answer from the server; `scored`: answers in hand so far (cache hits too).
        Returns the one-line reason to stop asking, or None."""
        if answer.ok:
            self.answered += 1
            self.in_a_row = 0
            return None
        kind = answer.error_kind or ""
        if kind not in CONNECTION_KINDS:
            self.in_a_row = 0
            if kind in REJECTION_KINDS and self.answered == 0:
                text = answer.error or kind
                if text in self._rejections:
                    return self._rejected(kind, text)
                self._rejections.add(text)
            return None
        self.in_a_row += 1
        if self.max_failures and self.in_a_row >= self.max_failures:
            return self._gone(kind, answer.error or kind, scored)
        return None

    def _gone(self, kind: str, error: str, scored: int) -> str:
        resume = (
            "rerun to resume (the answers received are cached)"
            if self.resumable
            else "rerun when it is back (the cache is off: every sample is asked again)"
        )
        return (
            f"qnext: server at {self.server} stopped answering after {scored}/{self.total}: "
            f"{self.in_a_row} requests in a row failed (last: {kind}: {error}); stopped asking; "
            f"{resume}"
        )

    def _rejected(self, kind: str, error: str) -> str:
        what = "the server rejects every request" if kind == "http_4xx" else "every request fails"
        return (
            f"qnext: {what}, none was answered ({kind}: {error}); stopped asking after the "
            "first two; fix the request (--qnext-gen-config, --qnext-model, --qnext-api) and rerun"
        )
