"""Integration tests against a real vLLM server (started by .ci/run or by hand).

Start one with `tests/integration/vllm/vllm_server.sh start` and run
`QNEXT_VLLM_URL=$(tests/integration/vllm/vllm_server.sh url) pytest -m integration`. Without
QNEXT_VLLM_URL the tests skip, unless QNEXT_REQUIRE_INTEGRATION=1 (set by .ci/run), where a
missing server is a failure.
"""

from __future__ import annotations

import os

import httpx
import pytest


@pytest.fixture(scope="session")
def vllm_url() -> str:
    url = os.environ.get("QNEXT_VLLM_URL", "")
    required = os.environ.get("QNEXT_REQUIRE_INTEGRATION") == "1"
    if not url:
        if required:
            pytest.fail("QNEXT_REQUIRE_INTEGRATION=1 but QNEXT_VLLM_URL is not set", pytrace=False)
        pytest.skip("no real vLLM: set QNEXT_VLLM_URL (see tests/integration/vllm/vllm_server.sh)")
    try:
        httpx.get(url.rstrip("/") + "/models", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.fail(f"vLLM at {url} is not answering: {exc}", pytrace=False)
    return url.rstrip("/")


@pytest.fixture(scope="session")
def vllm_model(vllm_url: str) -> str:
    return str(httpx.get(vllm_url + "/models", timeout=10).json()["data"][0]["id"])
