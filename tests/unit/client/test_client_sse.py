"""The incremental SSE parser: framing, splits, line endings, comments, timestamps."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_qnext.client.sse import DONE, SSEEvent, SSEParser, parse_sse

# field values may hold anything but line breaks; non-ASCII exercises splits inside characters
_value = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"),
    max_size=20,
)


@dataclass(frozen=True)
class Ev:
    kind: str  # "" -> no event: line -> "message"
    data: tuple[str, ...]  # one data: line each
    comment: str | None  # a ": ..." line before the event, if any


_events = st.lists(
    st.builds(
        Ev,
        kind=st.sampled_from(["", "", "message", "error", "ping"]),
        data=st.lists(_value, min_size=1, max_size=3).map(tuple),
        comment=st.none() | _value,
    ),
    max_size=8,
)


def render(events: list[Ev], eol: str) -> tuple[bytes, list[int]]:
    """The stream's bytes and, per event, the offset of its terminating blank line."""
    out = bytearray()
    ends = []
    for ev in events:
        if ev.comment is not None:
            out += f":{ev.comment}{eol}".encode()
        if ev.kind:
            out += f"event: {ev.kind}{eol}".encode()
        for line in ev.data:
            out += f"data: {line}{eol}".encode()
        ends.append(len(out))
        out += eol.encode()
    return bytes(out), ends


def expected(events: list[Ev]) -> list[tuple[str, str]]:
    return [(ev.kind or "message", "\n".join(ev.data)) for ev in events]


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return pieces


@settings(max_examples=300, deadline=None)
@given(events=_events, eol=st.sampled_from(["\n", "\r\n", "\r"]), cuts=st.lists(st.integers(0)))
def test_any_split_of_a_stream_parses_to_the_same_events(
    events: list[Ev], eol: str, cuts: list[int]
) -> None:
    data, ends = render(events, eol)
    reads = split(data, cuts)
    assert b"".join(reads) == data
    parser = SSEParser()
    offset = 0
    read_of_byte: list[int] = []
    for number, read in enumerate(reads):
        parser.feed(read, float(number))
        read_of_byte += [number] * len(read)
        offset += len(read)
    parser.close(-1.0)
    assert [(e.event, e.data) for e in parser.events] == expected(events)
    # an event is stamped with the read that delivered the first byte of its blank line
    assert [e.time for e in parser.events] == [float(read_of_byte[end]) for end in ends]
    assert parser.leftover_bytes == 0


@settings(max_examples=100, deadline=None)
@given(events=_events)
def test_line_endings_do_not_change_the_events(events: list[Ev]) -> None:
    parsed = {eol: parse_sse([render(events, eol)[0]]) for eol in ("\n", "\r\n", "\r")}
    assert parsed["\n"] == parsed["\r\n"] == parsed["\r"]
    assert [(e.event, e.data) for e in parsed["\n"]] == expected(events)


def test_vllm_style_stream_with_keepalive_comments_and_done() -> None:
    body = (
        b": keep-alive\r\n\r\n"
        b'data: {"choices":[{"delta":{"role":"assistant"}}]}\r\n\r\n'
        b": ping\n"
        b'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n'
        b"data: [DONE]\n\n"
    )
    events = parse_sse([body], now=3.5)
    assert [e.data for e in events] == [
        '{"choices":[{"delta":{"role":"assistant"}}]}',
        '{"choices":[{"delta":{"content":"Hi"}}]}',
        DONE,
    ]
    assert all(e.event == "message" and e.time == 3.5 for e in events)


def test_multi_line_data_and_field_without_space() -> None:
    events = parse_sse([b"data:a\ndata:  b\ndata\n\n"])
    assert events == [SSEEvent(0.0, "message", "a\n b\n")]


def test_error_event_type_and_ignored_fields() -> None:
    events = parse_sse([b'id: 7\nretry: 100\nevent: error\ndata: {"error": "boom"}\n\n'])
    assert events == [SSEEvent(0.0, "error", '{"error": "boom"}')]


def test_event_type_resets_after_each_event_and_empty_events_are_skipped() -> None:
    events = parse_sse([b"event: error\n\nevent: ping\ndata: 1\n\ndata: 2\n\n"])
    assert [(e.event, e.data) for e in events] == [("ping", "1"), ("message", "2")]


def test_utf8_character_split_across_reads() -> None:
    raw = "data: 你好 👋\n\n".encode()
    cut = raw.index("好".encode()) + 1  # inside the 3-byte character
    parser = SSEParser()
    parser.feed(raw[:cut], 1.0)
    assert parser.events == []
    parser.feed(raw[cut:], 2.0)
    assert parser.events == [SSEEvent(2.0, "message", "你好 👋")]


def test_crlf_split_between_reads_is_one_line_end() -> None:
    parser = SSEParser()
    parser.feed(b"data: x\r", 1.0)
    parser.feed(b"\n\r", 2.0)  # LF completes the CRLF, CR is the blank line
    assert parser.events == [SSEEvent(2.0, "message", "x")]
    parser.feed(b"\n", 3.0)  # completes the blank line's CRLF: no extra empty line
    parser.feed(b"data: y\n\n", 4.0)
    assert [e.data for e in parser.events] == ["x", "y"]


def test_event_is_stamped_when_its_bytes_arrive_not_later() -> None:
    parser = SSEParser()
    parser.feed(b"data: a\n\ndata: b", 1.0)
    assert parser.events == [SSEEvent(1.0, "message", "a")]
    parser.feed(b"\n", 2.0)
    parser.feed(b"\n", 3.0)
    assert parser.events[-1] == SSEEvent(3.0, "message", "b")


@pytest.mark.parametrize(
    ("tail", "events", "leftover"),
    [
        (b"data: done-without-blank-line\n", ["done-without-blank-line"], 0),
        (b'data: {"trunc', [], len(b'data: {"trunc')),
    ],
)
def test_close_dispatches_complete_lines_and_drops_partial_ones(
    tail: bytes, events: list[str], leftover: int
) -> None:
    parser = SSEParser()
    parser.feed(b"data: first\n\n" + tail, 1.0)
    parser.close(2.0)
    assert [e.data for e in parser.events] == ["first", *events]
    assert parser.leftover_bytes == leftover
