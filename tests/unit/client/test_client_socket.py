"""OpenAIClient against a closed loopback port: a record, and a pre-flight error.

(Chunk timestamps over a real socket are checked in tests/timing/test_timing_client_socket.py.)
"""

from __future__ import annotations

import pytest

from pytest_qnext.client import OpenAIClient, PreflightError


@pytest.mark.asyncio
async def test_connection_refused_is_a_record_and_a_preflight_error(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    async with OpenAIClient([url], model="m", retries=1, backoff_base=0.0) as client:
        rec = await client.chat([{"role": "user", "content": "hi"}])
        with pytest.raises(PreflightError, match="cannot connect") as info:
            await client.list_models()
    assert rec.error_kind == "connect" and rec.attempts == 2 and rec.status is None
    assert rec.error is not None and "\n" not in rec.error
    assert info.value.url == url
