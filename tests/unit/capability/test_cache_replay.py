"""Response cache (SQLite) and replay file parsing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.capability.cache import Answer, ResponseCache, cache_key
from pytest_qnext.capability.replay import Replay, ReplayError
from pytest_qnext.client.body import build_body

MESSAGES = [{"role": "user", "content": "What is 2+2?"}]
GEN = {
    "temperature": 0,
    "top_p": 0.95,
    "max_tokens": 64,
    "seed": 1,
    "chat_template_kwargs": {"enable_thinking": False},
}


def chat(**changes: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"messages": MESSAGES, "gen_config": GEN, "stream": True}
    args.update(changes)
    return build_body("chat", args.pop("model", "m"), **args)


def test_key_is_the_body_and_the_repeat() -> None:
    base = cache_key(chat(), 0)
    assert base == cache_key(chat(messages=[dict(MESSAGES[0])], gen_config=dict(GEN)), 0)
    assert base == cache_key(json.loads(json.dumps(chat())), 0)  # as the server decodes it
    other_gen = [{**GEN, key: "changed"} for key in GEN] + [{**GEN, "stop": ["\n"]}]
    variants = [
        cache_key(chat(model="m2"), 0),
        cache_key(chat(messages=[{"role": "user", "content": "2+3?"}]), 0),
        cache_key(chat(messages=[{"role": "system", "content": "Be brief."}, *MESSAGES]), 0),
        cache_key(
            build_body("completions", "m", prompt="What is 2+2?", gen_config=GEN, stream=True), 0
        ),
        cache_key(build_body("completions", "m", prompt=[1, 2], gen_config=GEN, stream=True), 0),
        cache_key(chat(stream=False), 0),
        cache_key(chat(), 1),
        *(cache_key(chat(gen_config=gen), 0) for gen in other_gen),
        cache_key(chat(gen_config={k: v for k, v in GEN.items() if k != "seed"}), 0),
    ]
    assert base not in variants and len(set(variants)) == len(variants) == 14


def test_key_ignores_the_server_url_and_api_key(
    make_session: Callable[..., Any], make_entry: Callable[[str, str], Any]
) -> None:
    """Two sessions that differ only in where they send and the key they send it with give
    their items the same body and cache key (neither is part of the body)."""
    item = make_entry("1", "What is 2+2?")
    one = make_session("http://127.0.0.1:1/v1", api_key="sk-one", gen_config=GEN).job(item)
    two = make_session("http://[::1]:2/v1", api_key="sk-two", gen_config=GEN).job(item)
    assert one.body == two.body == chat()
    assert one.cache_key == two.cache_key == cache_key(chat(), 0)
    text = json.dumps(one.body)
    assert "sk-one" not in text and "127.0.0.1" not in text


def test_answers_survive_reopening_and_errors_are_not_cached(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    good = Answer(
        content="4",
        reasoning="add",
        finish_reason="stop",
        usage={"completion_tokens": 1},
        latency=0.25,
    )
    cache.put("k1", "d", "1", 0, good)
    cache.put("k2", "d", "2", 0, Answer(error_kind="http_5xx", error="HTTP 500"))
    cache.close()  # committed per answer: a new connection sees it
    again = ResponseCache(tmp_path)
    got = again.get("k1")
    assert got is not None and got.cached
    assert (got.content, got.reasoning, got.finish_reason) == ("4", "add", "stop")
    assert got.latency == 0.25
    assert got.usage == {"completion_tokens": 1}
    assert again.get("k2") is None and again.count() == 1


def test_cache_file_never_holds_the_api_key(tmp_path: Path) -> None:
    secret = "sk-qnext-secret-123"
    cache = ResponseCache(tmp_path)
    cache.put(cache_key(chat(), 0), "d", "1", 0, Answer(content="4"))
    cache.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert secret.encode() not in blob


def test_unwritable_cache_dir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    from pytest_qnext.capability.cache import CacheError

    with pytest.raises(CacheError, match="--qnext-cache-dir"):
        ResponseCache(blocker / "sub")


def write(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_replay_rows_and_repeat_fallback(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.jsonl",
        [
            {"dataset": "d", "sample_id": "1", "response": "A", "finish_reason": "stop"},
            {"dataset": "d", "sample_id": 2, "response": "B", "reasoning_content": "because"},
            {"dataset": "d", "sample_id": "2", "response": "C", "repeat": 1},
        ],
    )
    replay = Replay(path)
    assert len(replay) == 3
    one = replay.get("d", "1", 3)
    assert one is not None and (one.content, one.finish_reason) == ("A", "stop")
    two = replay.get("d", "2", 0)
    assert two is not None and (two.content, two.reasoning) == ("B", "because")
    rep1 = replay.get("d", "2", 1)
    assert rep1 is not None and rep1.content == "C"
    assert replay.get("d", "3", 0) is None
    assert "d/3" in replay.skip_reason("d", "3")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', "expected a JSON object"),
        ('{"dataset": "d", "sample_id": "1"}', "'response' must be a string"),
        ('{"dataset": "d", "sample_id": "1", "response": "x", "repeat": -1}', "'repeat'"),
    ],
)
def test_bad_replay_rows_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path / "r.jsonl", [{"dataset": "d", "sample_id": "0", "response": "x"}, line])
    with pytest.raises(ReplayError, match=message) as info:
        Replay(path)
    assert f"{path}:2" in str(info.value) and "\n" not in str(info.value)


def test_duplicate_replay_rows_are_refused(tmp_path: Path) -> None:
    row = {"dataset": "d", "sample_id": "1", "response": "x"}
    with pytest.raises(ReplayError, match="first on line 1"):
        Replay(write(tmp_path / "r.jsonl", [row, row]))


def test_missing_replay_file(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="cannot read"):
        Replay(tmp_path / "nope.jsonl")


def test_lone_surrogates_become_replacement_characters(tmp_path: Path) -> None:
    """JSON lets a file escape a lone surrogate; no UTF-8 writer takes one, so replay makes
    every recorded text valid at its boundary (and a pair written as escapes stays a pair)."""
    path = tmp_path / "r.jsonl"
    path.write_text(
        '{"dataset": "d", "sample_id": "1", "response": "x \\ud800 ANSWER: I", '
        '"reasoning_content": "\\udfff", "finish_reason": "stop"}\n'
        '{"dataset": "d", "sample_id": "2", "response": "\\ud83d\\ude00"}\n',
        encoding="utf-8",
    )
    replay = Replay(path)
    first = replay.get("d", "1", 0)
    assert first is not None and first.content == "x \ufffd ANSWER: I"
    assert first.reasoning == "\ufffd"
    first.content.encode("utf-8")  # would raise on a surrogate
    second = replay.get("d", "2", 0)
    assert second is not None and second.content == "\U0001f600"


def test_unmatched_rows_are_listed_in_file_order(tmp_path: Path) -> None:
    rows = [
        {"dataset": "d", "sample_id": "1", "response": "A"},
        {"dataset": "other", "sample_id": "1", "response": "A"},
        {"dataset": "d", "sample_id": "9", "response": "A", "repeat": 1},
        {"dataset": "d", "sample_id": "2", "response": "A"},
    ]
    replay = Replay(write(tmp_path / "r.jsonl", rows))
    assert replay.unmatched({("d", "1"), ("d", "2")}) == ["other/1", "d/9#r1"]
    assert replay.unmatched({("d", "1"), ("d", "2"), ("d", "9"), ("other", "1")}) == []
