"""The request body a point actually sends, with its prompt left out (honest request settings).

Built by the one request builder (`client.body.build_body`) from the prompt source's generation
parameters, so what the header prints and each point stores is what went on the wire, sampling
parameters included (`PERF_SAMPLING` defaults, then --qnext-extra-args).
"""

from __future__ import annotations

import json
from typing import Any

from pytest_qnext.client.body import build_body

__all__ = ["PROMPT_PLACEHOLDER", "request_template", "template_text"]

PROMPT_PLACEHOLDER = "<prompt>"


def request_template(builder: Any, model: str) -> dict[str, Any]:
    """The body of this builder's requests, `messages` / `prompt` replaced by a placeholder."""
    if builder.api == "chat":
        body = build_body(
            "chat",
            model,
            messages=[{"role": "user", "content": PROMPT_PLACEHOLDER}],
            gen_config=builder.gen_config,
            stream=True,
        )
    else:
        body = build_body(
            "completions",
            model,
            prompt=PROMPT_PLACEHOLDER,
            gen_config=builder.gen_config,
            stream=True,
        )
    return body


def template_text(body: dict[str, Any]) -> str:
    """One line of JSON (keys in the order sent)."""
    return json.dumps(body, ensure_ascii=False)
