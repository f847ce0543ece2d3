"""prompt_key, the oracle (determinism, fraction correct near p) and oracle files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.sim import OracleEntry, OracleError, load_oracle, prompt_key, write_oracle
from pytest_qnext.sim.policy import AnswerPolicy


def test_prompt_key_is_sha256_of_last_user_message() -> None:
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "reply"},
        {"role": "user", "content": "What is 2+2?"},
    ]
    expected = hashlib.sha256(b"What is 2+2?").hexdigest()
    assert prompt_key(messages) == expected
    assert prompt_key("What is 2+2?") == expected
    parts = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "What is "}, {"type": "text", "text": "2+2?"}],
        }
    ]
    assert prompt_key(parts) == expected
    assert prompt_key([1, 2, 3]) == hashlib.sha256(b"1,2,3").hexdigest()


@given(st.text(max_size=200))
def test_prompt_key_chat_equals_string(text: str) -> None:
    assert prompt_key([{"role": "user", "content": text}]) == prompt_key(text)


def _mapping(n: int) -> dict[str, OracleEntry]:
    return {
        prompt_key(f"q{i}"): OracleEntry(f"mmlu_pro/{i}", f"ANSWER: A{i}", f"ANSWER: B{i}")
        for i in range(n)
    }


@pytest.mark.parametrize("p", [0.0, 0.3, 0.7, 1.0])
def test_oracle_fraction_correct_near_p(p: float) -> None:
    oracle = _mapping(500)
    policy = AnswerPolicy("oracle", oracle=oracle, p=p, seed=1)
    answers = [policy.answer(prompt_key(f"q{i}"), "echo") for i in range(500)]
    correct = sum(a.correct is True for a in answers)
    print(f"p={p}: {correct}/500 correct")
    assert abs(correct / 500 - p) <= 0.07  # 3.5 binomial standard deviations at p=0.5
    for i, a in enumerate(answers):
        assert a.sample_key == f"mmlu_pro/{i}"
        assert a.content == (f"ANSWER: A{i}" if a.correct else f"ANSWER: B{i}")


def test_oracle_is_deterministic_per_seed_and_sample() -> None:
    oracle = _mapping(200)
    keys = list(oracle)
    a = [AnswerPolicy("oracle", oracle=oracle, p=0.5, seed=7).answer(k, "") for k in keys]
    b = [AnswerPolicy("oracle", oracle=oracle, p=0.5, seed=7).answer(k, "") for k in keys]
    c = [AnswerPolicy("oracle", oracle=oracle, p=0.5, seed=8).answer(k, "") for k in keys]
    assert a == b
    assert [x.correct for x in a] != [x.correct for x in c]
    # raising p only turns wrong answers right (the draw is per sample, compared with p)
    low = AnswerPolicy("oracle", oracle=oracle, p=0.4, seed=7)
    high = AnswerPolicy("oracle", oracle=oracle, p=0.6, seed=7)
    assert all(high.is_correct(e.sample) for e in oracle.values() if low.is_correct(e.sample))


def test_unknown_prompt_falls_back_to_echo() -> None:
    policy = AnswerPolicy("oracle", oracle=_mapping(3), p=1.0)
    answer = policy.answer(prompt_key("other"), "other")
    assert answer.content == "other"
    assert answer.correct is None
    assert answer.sample_key == prompt_key("other")


def test_oracle_policy_without_oracle_echoes() -> None:
    answer = AnswerPolicy("oracle").answer(prompt_key("hi"), "hi")
    assert answer.content == "hi"
    assert answer.correct is None


def test_oracle_file_round_trip(tmp_path: Path) -> None:
    oracle = _mapping(5)
    path = write_oracle(oracle, tmp_path / "oracle.jsonl")
    assert load_oracle(path) == oracle
    # rows may give the prompt text instead of the key
    row = {
        "prompt": [{"role": "user", "content": "q1"}],
        "sample": "x/1",
        "correct": "a",
        "wrong": "b",
    }
    (tmp_path / "by_prompt.jsonl").write_text(json.dumps(row) + "\n\n")
    loaded = load_oracle(tmp_path / "by_prompt.jsonl")
    assert loaded == {prompt_key("q1"): OracleEntry("x/1", "a", "b")}


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', "JSON object"),
        ('{"key": "k", "sample": "s", "correct": "c"}', "wrong"),
        ('{"sample": "s", "correct": "c", "wrong": "w"}', "'key'"),
    ],
)
def test_bad_oracle_files(tmp_path: Path, line: str, needle: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"key": "k0", "sample": "s", "correct": "c", "wrong": "w"}\n' + line + "\n")
    with pytest.raises(OracleError) as info:
        load_oracle(path)
    message = str(info.value)
    assert needle in message
    assert f"{path}:2" in message
    assert "\n" not in message


def test_missing_oracle_file(tmp_path: Path) -> None:
    with pytest.raises(OracleError, match="cannot read oracle file"):
        load_oracle(tmp_path / "absent.jsonl")
