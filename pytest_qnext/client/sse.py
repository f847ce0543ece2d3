"""Incremental Server-Sent Events parser, fed raw bytes as they arrive.

The parser follows the framing rules of the SSE spec that OpenAI-compatible servers use:
lines end in LF, CRLF or CR (a CRLF split across two reads is one line end), a blank line
ends an event, lines starting with `:` are comments (`: keep-alive`), `data:` lines of one
event are joined with LF, `event:` sets the event type (default `message`), and `id:` /
`retry:` are ignored. Bytes are only decoded once a whole line is in, so a read may end in
the middle of a line or of a multi-byte UTF-8 character.

Each event carries the timestamp that the caller passed with the read that completed it: the
caller takes `time.perf_counter()` when the bytes arrive, before anything is parsed.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DONE", "SSEEvent", "SSEParser", "parse_sse"]

DONE = "[DONE]"  # the data of OpenAI's end-of-stream event


class SSEEvent(NamedTuple):
    """One dispatched event: arrival time of its last byte, type, and data (LF-joined)."""

    time: float
    event: str
    data: str


class SSEParser:
    """Feed reads with `feed(chunk, now)`; completed events accumulate in `events`.

    The caller may drain `events` (read then `clear()`) at any time. Call `close(now)` when
    the stream ends: an event whose data lines were complete but that lacked the final blank
    line is dispatched then; a trailing partial line is discarded and counted in
    `leftover_bytes`.
    """

    __slots__ = ("_buf", "_data", "_event", "_skip_lf", "events", "leftover_bytes")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[bytes] = []
        self._event = b""
        self._skip_lf = False
        self.events: list[SSEEvent] = []
        self.leftover_bytes = 0

    def feed(self, chunk: bytes, now: float) -> None:
        """Take one read of raw bytes that arrived at `now` (a perf_counter timestamp)."""
        if not chunk:
            return
        if self._skip_lf:
            # the previous read ended in CR: an LF starting this one completes that CRLF
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
                if not chunk:
                    return
        if (
            not self._buf
            and not self._data
            and not self._event
            and chunk[-2:] == b"\n\n"
            and chunk[:6] == b"data: "
        ):
            # fast path: one whole `data: ...` event in one read, as vLLM sends them
            body = chunk[6:-2]
            if b"\n" not in body and b"\r" not in body:
                self.events.append(SSEEvent(now, "message", body.decode("utf-8", "replace")))
                return
        buf = self._buf + chunk if self._buf else chunk
        lines = buf.splitlines(keepends=True)
        last = lines[-1]
        tail = last[-1]
        if tail == 0x0A:
            self._buf = b""
        elif tail == 0x0D:
            self._buf = b""
            self._skip_lf = True
        else:
            self._buf = last
            lines.pop()
        for line in lines:
            self._line(line.rstrip(b"\r\n"), now)

    def close(self, now: float) -> None:
        """The stream ended: dispatch a pending complete event, drop a partial line."""
        self.leftover_bytes = len(self._buf)
        self._buf = b""
        self._dispatch(now)

    def _line(self, line: bytes, now: float) -> None:
        if not line:
            self._dispatch(now)
            return
        if line[0] == 0x3A:  # ":" comment, e.g. keep-alive
            return
        colon = line.find(b":")
        if colon < 0:
            name, value = line, b""
        else:
            name, value = line[:colon], line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value

    def _dispatch(self, now: float) -> None:
        data = self._data
        if data:
            raw = data[0] if len(data) == 1 else b"\n".join(data)
            kind = self._event.decode("utf-8", "replace") if self._event else "message"
            self.events.append(SSEEvent(now, kind, raw.decode("utf-8", "replace")))
            self._data = []
        self._event = b""


def parse_sse(reads: list[bytes], now: float = 0.0) -> list[SSEEvent]:
    """Parse a whole stream given as a list of reads (all stamped `now`); for tests and tools."""
    parser = SSEParser()
    for read in reads:
        parser.feed(read, now)
    parser.close(now)
    return parser.events
