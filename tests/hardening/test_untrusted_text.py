"""Text from a server is untrusted: one lone surrogate must not destroy a report.

A JSON string may carry `"\\ud800"`, which decodes to a lone surrogate that no UTF-8 writer
accepts; before the fix one such answer (streamed or not) made the report writer raise, and the
whole report was lost. Now the client makes every string valid where it is decoded (U+FFFD for
a lone surrogate, an escaped pair split over two chunks kept as its one character), and the
writers encode any string a row can hold (a replay file can still bring surrogates in).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hardening_project import Project, demo_mcq_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_qnext.capability.cache import cache_key
from pytest_qnext.client.body import encode_body
from pytest_qnext.client.decode import StreamAccumulator, apply_body, error_text, one_line
from pytest_qnext.client.records import RequestRecord
from pytest_qnext.client.sse import parse_sse
from pytest_qnext.report.aggregate import Aggregator
from pytest_qnext.report.writers import REPORT_FILES, write_report_dir
from pytest_qnext.rows import SampleRow
from pytest_qnext.sim import SimConfig, run_in_thread

LONE = "\ud800"
PAIR = "\U0001f600"  # sent as the escaped pair "\ud83d\ude00"
ANSWER = f"ANSWER: A {LONE} then {PAIR} and a stray low half \udfff."
SHOWN = f"ANSWER: A \ufffd then {PAIR} and a stray low half \ufffd."
N_SAMPLES = 12


def strings(value: Any) -> Iterator[str]:
    """Every string (keys too) in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def is_valid(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("stream", ["--qnext-stream", "--qnext-no-stream"])
def test_a_lone_surrogate_in_live_answers_leaves_a_whole_report(
    make_project: Any, stream: str
) -> None:
    project: Project = make_project(demo_mcq_rows(N_SAMPLES))
    with run_in_thread(SimConfig(policy="fixed", text=ANSWER, think="split")) as sim:
        run = project.capability("live", "--qnext-url", sim.url, stream, "--qnext-cache", "off")
    assert "Traceback" not in run.out and "INTERNALERROR" not in run.out
    assert run.code == 1, run.out  # some answers are wrong ("A"), none errs
    for name in REPORT_FILES:
        assert (run.folder / name).is_file(), (name, run.out)
    rows = run.rows()
    assert len(rows) == N_SAMPLES
    assert {r["outcome"] for r in rows} <= {"pass", "fail"}
    assert all(r["prediction"] == SHOWN for r in rows), rows[0]["prediction"]
    assert all(is_valid(text) for text in strings(rows))
    assert all(is_valid(text) for text in strings(run.summary()))
    ET.parse(run.folder / "junit.xml")
    html = (run.folder / "report.html").read_bytes().decode("utf-8")  # strict: valid UTF-8
    assert SHOWN in html  # the rows it embeds, as the client made them valid


def _stream(*deltas: dict[str, Any], usage: dict[str, Any] | None = None) -> list[bytes]:
    events = [
        {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]} for delta in deltas
    ]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "st\ud800p"}]})
    if usage is not None:
        events.append({"choices": [], "usage": usage})
    # json.dumps escapes a lone surrogate as "\ud800": exactly what a hostile server sends
    return [f"data: {json.dumps(e)}\n\n".encode() for e in events] + [b"data: [DONE]\n\n"]


def test_the_client_makes_streamed_text_valid() -> None:
    reads = _stream(
        {"reasoning_content": f"think {LONE}"},
        {"content": "A \ud83d"},  # the high half of a pair in one chunk ...
        {"content": "\ude00 B \udc80"},  # ... the low half in the next
        usage={"completion_tokens": 3, "note": f"x{LONE}"},
    )
    acc = StreamAccumulator("chat")
    acc.consume(parse_sse(reads))
    rec = RequestRecord()
    acc.fill(rec)
    assert rec.content == f"A {PAIR} B \ufffd"
    assert rec.reasoning == "think \ufffd"
    assert rec.finish_reason == "st\ufffdp"
    assert rec.usage == {"completion_tokens": 3, "note": "x\ufffd"}
    assert all(is_valid(t) for t in rec.chunk_texts)


def test_the_client_makes_whole_answers_and_error_messages_valid() -> None:
    body = {
        "choices": [
            {
                "index": 0,
                "message": {"content": f"A{LONE}", "reasoning_content": f"r{LONE}"},
                "finish_reason": f"stop{LONE}",
            }
        ],
        "usage": {f"k{LONE}": 1},
    }
    rec = RequestRecord()
    apply_body(rec, json.dumps(body).encode(), "chat")
    assert (rec.content, rec.reasoning, rec.finish_reason) == ("A\ufffd", "r\ufffd", "stop\ufffd")
    assert rec.usage == {"k\ufffd": 1}
    message = error_text(json.dumps({"error": {"message": f"bad {LONE} value"}}).encode())
    assert message == "bad \ufffd value"
    assert one_line(f"raw {LONE}") == "raw \ufffd"


def test_a_lone_surrogate_in_a_request_still_gets_a_key_and_a_body() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": f"q {LONE}"}]}
    assert len(cache_key(body, 0)) == 64
    assert json.loads(encode_body(body)) == body  # sent as the escape, read back the same


NASTY = ["\ud800", "\udfff", "\ud83d", "\ude00", "\x00", "\x1b", "\x0b", "\u2028", "\ufffe"]
NASTY += ["</script>", "<!--", "]]>", "&amp;", '"', "\\", "\n", "\r\n", PAIR]
text = st.lists(st.one_of(st.characters(), st.sampled_from(NASTY)), max_size=12).map("".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dataset=text.filter(bool),
    sample_id=text.filter(bool),
    prediction=text,
    extracted=st.none() | text,
    explanation=text,
    content=text,
    detail=text,
)
def test_no_writer_raises_on_any_string_a_row_can_hold(
    tmp_path_factory: pytest.TempPathFactory,
    dataset: str,
    sample_id: str,
    prediction: str,
    extracted: str | None,
    explanation: str,
    content: str,
    detail: str,
) -> None:
    row = SampleRow(
        dataset=dataset,
        sample_id=sample_id,
        outcome="fail",
        metrics={"acc": (0.0, 1.0)},
        subset=dataset,
        prediction=prediction,
        reasoning=content,
        extracted=extracted,
        target=detail,
        finish_reason=content,
        explanation=explanation,
        messages=({"role": "user", "content": content},),
        details={detail: [detail, prediction]},
    )
    aggregator = Aggregator()
    aggregator.add_row(row)
    folder: Path = tmp_path_factory.mktemp("report")
    write_report_dir(folder, aggregator.summary(gates=["error_rate<=0"]), [row])
    (line,) = (folder / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    # the row as JSON carries it (even a lone surrogate; an escaped pair reads back as the
    # character it encodes), on one line for any line splitter
    assert json.loads(line) == json.loads(json.dumps(row.to_json()))
    assert json.loads((folder / "summary.json").read_text(encoding="utf-8"))["table"]
    ET.parse(folder / "junit.xml")  # well-formed XML 1.0
    (folder / "report.html").read_bytes().decode("utf-8")
