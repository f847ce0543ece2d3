"""JSON Lines reading: rows split at newlines only, one-line errors naming file and line."""

from __future__ import annotations

import json

import pytest

from pytest_qnext.jsonl import json_objects


class Bad(Exception):
    pass


def test_unicode_line_separators_inside_strings_stay_in_their_row() -> None:
    rows = [{"q": "first\u2028half"}, {"q": "nel\u0085and ps\u2029"}]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    assert [row for _n, row in json_objects(text, "f.jsonl", Bad)] == rows


def test_crlf_and_blank_lines() -> None:
    text = '{"a": 1}\r\n\r\n{"a": 2}\r\n'
    assert [(n, r) for n, r in json_objects(text, "f.jsonl", Bad)] == [(1, {"a": 1}), (3, {"a": 2})]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("{oops\n", "f.jsonl:1: not valid JSON"), ("{}\n[1]\n", "f.jsonl:2: expected a JSON object")],
)
def test_bad_line_is_one_error_with_file_and_line(text: str, fragment: str) -> None:
    with pytest.raises(Bad, match=fragment):
        list(json_objects(text, "f.jsonl", Bad))
