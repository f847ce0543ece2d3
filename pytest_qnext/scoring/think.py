"""Remove a reasoning model's inline thinking from a response before it is scored.

Rules, in order:

1. every complete `<think>…</think>` block is removed (tags matched case-insensitively,
   blocks never nest; the shortest block wins);
2. if a lone `</think>` remains (servers that put the opening tag in the prompt, e.g. Qwen3
   chat templates, return only the closing one), everything up to and including the LAST
   lone `</think>` is dropped;
3. if an opening `<think>` remains with no closing tag, the thinking never ended: everything
   from that tag on is dropped and the flag `unterminated` is True (the engine grades such a
   response `truncated`).

When thinking was removed, the remaining text is returned with surrounding whitespace
stripped (models put blank lines after `</think>`). A response without any think tag is returned
exactly as it is: scorers such as IFEval's count lines and paragraphs of the raw text.
"""

from __future__ import annotations

import re

__all__ = ["strip_think"]

_BLOCK = re.compile(r"<think>.*?</think>", re.IGNORECASE | re.DOTALL)
_OPEN = re.compile(r"<think>", re.IGNORECASE)
_CLOSE = re.compile(r"</think>", re.IGNORECASE)


def strip_think(text: str) -> tuple[str, bool]:
    """(text without thinking, unterminated) — see the module docstring for the rules."""
    if _OPEN.search(text) is None and _CLOSE.search(text) is None:
        return text, False
    without_blocks = _BLOCK.sub("", text)
    closes = list(_CLOSE.finditer(without_blocks))
    if closes:
        without_blocks = without_blocks[closes[-1].end() :]
    opened = _OPEN.search(without_blocks)
    if opened is not None:
        return without_blocks[: opened.start()].strip(), True
    return without_blocks.strip(), False
