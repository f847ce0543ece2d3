"""Base-URL normalisation, Retry-After parsing and the jittered backoff."""

from __future__ import annotations

import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.client import (
    RETRYABLE,
    Backoff,
    ClientConfigError,
    PreflightError,
    normalize_base_url,
    parse_retry_after,
)


@pytest.mark.parametrize(
    ("given_url", "base"),
    [
        ("http://127.0.0.1:8801/v1", "http://127.0.0.1:8801/v1"),
        ("http://127.0.0.1:8801/v1/", "http://127.0.0.1:8801/v1"),
        ("http://127.0.0.1:8801", "http://127.0.0.1:8801/v1"),
        ("http://127.0.0.1:8801/", "http://127.0.0.1:8801/v1"),
        ("http://127.0.0.1:8801/v1/chat/completions", "http://127.0.0.1:8801/v1"),
        ("http://127.0.0.1:8801/v1/chat/completions/", "http://127.0.0.1:8801/v1"),
        ("http://127.0.0.1:8801/v1/completions", "http://127.0.0.1:8801/v1"),
        ("http://127.0.0.1:8801/v1/models", "http://127.0.0.1:8801/v1"),
        ("  HTTPS://api.example.com/openai/v1//  ", "https://api.example.com/openai/v1"),
        ("https://host.example/api/openai", "https://host.example/api/openai"),
        ("http://[::1]:8000", "http://[::1]:8000/v1"),
    ],
)
def test_normalize_base_url(given_url: str, base: str) -> None:
    assert normalize_base_url(given_url) == base


@pytest.mark.parametrize(
    "bad",
    ["127.0.0.1:8801/v1", "ftp://host/v1", "", "http://", "http://h:99999/v1", "http://h/v1?x=1"],
)
def test_normalize_base_url_rejects_with_one_line(bad: str) -> None:
    with pytest.raises(ValueError, match="URL") as info:
        normalize_base_url(bad)
    assert isinstance(info.value, ClientConfigError)
    assert "\n" not in str(info.value)


@given(st.from_regex(r"\Ahttps?://[a-z]{1,8}(:[1-9][0-9]{0,3})?(/v1)?/*\Z"))
def test_normalize_is_idempotent_and_ends_in_v1(url: str) -> None:
    base = normalize_base_url(url)
    assert base.endswith("/v1")
    assert normalize_base_url(base) == base
    assert normalize_base_url(base + "/chat/completions") == base


def test_parse_retry_after() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0.25 ") == 0.25
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("nan") is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


@given(
    seed=st.integers(0, 2**32),
    base=st.floats(0, 5),
    maximum=st.floats(0, 60),
    retry=st.integers(0, 200),
)
def test_full_jitter_stays_under_the_capped_exponential(
    seed: int, base: float, maximum: float, retry: int
) -> None:
    backoff = Backoff(base, maximum, seed)
    ceiling = min(maximum, base * 2.0**retry)
    assert backoff.ceiling(retry) == pytest.approx(ceiling)
    assert 0.0 <= backoff.delay(retry) <= ceiling


def test_seeded_backoff_replays_and_retry_after_is_capped() -> None:
    once = Backoff(0.5, 20.0, seed=7)
    first = [once.delay(n) for n in range(6)]
    again = Backoff(0.5, 20.0, seed=7)
    assert [again.delay(n) for n in range(6)] == first
    assert len(set(first)) == 6  # jittered, not constant
    assert Backoff(0.5, 20.0).delay(3, retry_after=4.0) == 4.0
    assert Backoff(0.5, 2.0).delay(3, retry_after=30.0) == 2.0


def test_backoff_rejects_bad_numbers() -> None:
    with pytest.raises(ClientConfigError, match="backoff_base"):
        Backoff(-1.0)
    with pytest.raises(ClientConfigError, match="backoff_max"):
        Backoff(0.5, float("inf"))


def test_retryable_kinds_exclude_client_errors() -> None:
    assert "http_4xx" not in RETRYABLE
    assert "server_error_event" not in RETRYABLE
    assert {"http_429", "http_5xx", "connect", "timeout", "stream_dropped"} <= RETRYABLE


def test_preflight_error_is_one_line_and_picklable() -> None:
    import pickle

    err = PreflightError("http://h:1/v1", "connection refused")
    assert str(err) == "http://h:1/v1: connection refused"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.url, copy.what_happened) == (err.url, err.what_happened)
