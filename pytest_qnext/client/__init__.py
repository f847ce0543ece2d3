"""OpenAI-compatible HTTP client: streaming with per-chunk timestamps, retries, replicas."""

from __future__ import annotations

from pytest_qnext.client.client import OpenAIClient
from pytest_qnext.client.errors import ClientConfigError, ClientError, PreflightError
from pytest_qnext.client.records import ErrorKind, RequestRecord
from pytest_qnext.client.retry import RETRYABLE, Backoff, parse_retry_after
from pytest_qnext.client.sse import DONE, SSEEvent, SSEParser, parse_sse
from pytest_qnext.client.urls import normalize_base_url

__all__ = [
    "DONE",
    "RETRYABLE",
    "Backoff",
    "ClientConfigError",
    "ClientError",
    "ErrorKind",
    "OpenAIClient",
    "PreflightError",
    "RequestRecord",
    "SSEEvent",
    "SSEParser",
    "normalize_base_url",
    "parse_retry_after",
    "parse_sse",
]
