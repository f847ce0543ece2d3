"""Math answers: `\\boxed{}` extraction with fallbacks, and equivalence through math-verify.

Extraction (`extract_answer`): the last complete `\\boxed{...}` / `\\fbox{...}` (nested braces
counted, escaped `\\{ \\}` ignored), else the text after the last "final answer is" /
"the answer is" / "answer:" phrase, else the last number in the response. `None` means nothing
could be extracted (outcome `unparsed`).

Equivalence (`is_equiv`): equal after light normalisation of the LaTeX, else math-verify's
`parse` + `verify` (numbers, fractions, LaTeX, sets, intervals, units stripped). math-verify's
own timeouts use `signal.alarm`, which only works in the main thread, so they are switched off;
instead every input is bounded before it reaches sympy: answers longer than
`MAX_ANSWER_CHARS`, huge numeric powers, power towers, large factorials and large binomials
are compared by normalised text only. Calls are serialised by a lock (math-verify is CPU bound
under the GIL anyway) so that its warnings can be silenced without racing other threads.

AIME answers are integers: `normalize_integer` turns "033", "\\boxed{33}", "33." into "33".
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Sequence
from typing import Any

from pytest_qnext.sample import Score

__all__ = [
    "MAX_ANSWER_CHARS",
    "extract_answer",
    "is_equiv",
    "last_boxed",
    "normalize_integer",
    "oracle_response",
    "score_integer",
    "score_math",
]

MAX_ANSWER_CHARS = 300  # longer answers are compared as normalised text, never through sympy

_BOX_START = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BOX_BARE = re.compile(r"\\boxed[ \t]+([^\s$]+)")
_ANSWER_PHRASE = re.compile(
    r"(?:final answer is|the answer is|answer is|final answer:|answer:)[ \t:]*(.+)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+")
_INTEGER = re.compile(r"[+-]?\d+")
_LITERAL_DIGITS = re.compile(r"\d+")

_LOCK = threading.Lock()


class _DropTimeoutNotice(logging.Filter):
    """math-verify logs a warning when its (signal) timeout is disabled; we do that on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Timeout is disabled")


for _name in ("math_verify.parser", "math_verify.grader"):
    logging.getLogger(_name).addFilter(_DropTimeoutNotice())


# --------------------------------------------------------------------------- extraction


def _braced(text: str, start: int) -> str | None:
    """Content of the `{...}` group opening just before `start`, or None if it never closes."""
    depth = 1
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "{}":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start:i]
        i += 1
    return None


def last_boxed(text: str) -> str | None:
    """Content of the last complete `\\boxed{...}` (or `\\fbox{...}`, `\\boxed 5`) in `text`."""
    candidates: list[tuple[int, str]] = []
    for match in _BOX_START.finditer(text):
        content = _braced(text, match.end())
        if content is not None:
            candidates.append((match.start(), content))
    for match in _BOX_BARE.finditer(text):
        candidates.append((match.start(), match.group(1)))
    if not candidates:
        return None
    return max(candidates, key=lambda c: c[0])[1]


def _clean(answer: str) -> str:
    answer = answer.strip()
    for _ in range(3):
        before = answer
        answer = answer.strip().strip("*").strip()
        if len(answer) >= 2 and answer.startswith("$") and answer.endswith("$"):
            answer = answer.strip("$").strip()
        if answer.startswith("\\(") and answer.endswith("\\)"):
            answer = answer[2:-2].strip()
        if answer.startswith("\\[") and answer.endswith("\\]"):
            answer = answer[2:-2].strip()
        answer = answer.rstrip(".").rstrip()
        if answer == before:
            break
    return answer


def _from_phrase(text: str) -> str | None:
    matches = list(_ANSWER_PHRASE.finditer(text))
    if not matches:
        return None
    tail = matches[-1].group(1)
    inline = re.search(r"\$([^$]+)\$|\\\((.+?)\\\)", tail)
    if inline:
        tail = str(inline.group(1) or inline.group(2))
    answer = _clean(tail)
    return answer or None


def extract_answer(response: str) -> str | None:
    """The answer a response gives: last `\\boxed{}`, then answer phrases, then the last number."""
    boxed = last_boxed(response)
    if boxed is not None and boxed.strip():
        return _clean(boxed)
    phrase = _from_phrase(response)
    if phrase is not None:
        return phrase
    numbers: list[str] = _NUMBER.findall(response)
    if numbers:
        return numbers[-1].replace(",", "")
    return None


# --------------------------------------------------------------------------- equivalence

_TEXT_NORMALISERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\\left|\\right|\\!|\\,|\\;|\\:|\\ |~"), ""),
    (re.compile(r"\\[dt]frac"), r"\\frac"),
    (re.compile(r"\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\^\{?\\circ\}?|\\%|%|\\\$|\$"), ""),
    (re.compile(r"\s+"), ""),
)


def _norm_text(answer: str) -> str:
    answer = _clean(answer)
    for pattern, repl in _TEXT_NORMALISERS:
        answer = pattern.sub(repl, answer)
    answer = answer.rstrip(".")
    if re.fullmatch(r"-?\d+\.\d*", answer):
        answer = answer.rstrip("0").rstrip(".") or "0"
    return answer.lower()


def _text_unsafe(answer: str) -> bool:
    """Inputs sympy may spend unbounded time on, judged before parsing."""
    if len(answer) > MAX_ANSWER_CHARS:
        return True
    longest = max((len(m) for m in _LITERAL_DIGITS.findall(answer)), default=0)
    return ("binom" in answer or "choose" in answer) and longest > 3


def _sympy_unsafe(expr: Any) -> bool:
    """Huge powers, power towers and large factorials in a parsed answer."""
    import sympy

    if not isinstance(expr, sympy.Basic | sympy.MatrixBase):
        return False
    nodes = expr.atoms(sympy.Pow, sympy.factorial, sympy.factorial2, sympy.subfactorial)
    for node in nodes:
        if isinstance(node, sympy.Pow):
            base, exp = node.args
            if exp.free_symbols:
                continue
            if exp.has(sympy.Pow, sympy.factorial, sympy.factorial2, sympy.subfactorial):
                return True
            try:
                size = abs(float(exp))
            except (TypeError, ValueError):
                return True
            limit = 64 if base.free_symbols else 5000
            if size > limit:
                return True
        else:
            arg = node.args[0]
            if not (arg.is_Integer and abs(int(arg)) <= 500):
                return True
    return False


def _parse(answer: str) -> list[Any]:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    parsed: list[Any] = parse(f"$\\boxed{{{answer}}}$", config, parsing_timeout=None)
    if not parsed:
        parsed = parse(f"${answer}$", config, parsing_timeout=None)
    return parsed


def _verify(gold: Sequence[Any], guess: Sequence[Any]) -> bool:
    from math_verify import verify

    return bool(verify(list(gold), list(guess), timeout_seconds=None))


def is_equiv(prediction: str, target: str) -> bool:
    """Whether `prediction` states the same mathematical answer as `target`."""
    if _norm_text(prediction) == _norm_text(target):
        return True
    if _text_unsafe(prediction) or _text_unsafe(target):
        return False
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            gold = _parse(_clean(target))
            guess = _parse(_clean(prediction))
            if not gold or not guess:
                return False
            if any(_sympy_unsafe(e) for e in (*gold, *guess)):
                return False
            return _verify(gold, guess)
        except Exception:  # math-verify/sympy failure on odd input: not equivalent
            return False


def normalize_integer(answer: str) -> str | None:
    """The integer `answer` states ("033", "\\boxed{33}", "$33$" -> "33"), else None."""
    inner = last_boxed(answer)
    text = _norm_text(inner if inner is not None else answer).replace(",", "")
    if not _INTEGER.fullmatch(text):
        return None
    return str(int(text))


# --------------------------------------------------------------------------- scorers


def _target_answer(target: str) -> str:
    inner = last_boxed(target)
    return _clean(inner) if inner is not None else _clean(target)


def score_math(response: str, target: str) -> Score:
    """Score one response against a MATH-style reference answer (LaTeX allowed)."""
    answer = extract_answer(response)
    if answer is None:
        return Score("unparsed", {"acc": (0, 1)}, None, "no \\boxed{} answer or number found")
    gold = _target_answer(target)
    if is_equiv(answer, gold):
        return Score("pass", {"acc": (1, 1)}, answer)
    return Score("fail", {"acc": (0, 1)}, answer, f"answer {answer!r} != target {gold!r}")


def score_integer(response: str, target: str) -> Score:
    """Score one AIME-style response: the answer is an integer (zero padding ignored)."""
    answer = extract_answer(response)
    if answer is None:
        return Score("unparsed", {"acc": (0, 1)}, None, "no \\boxed{} answer or number found")
    gold = normalize_integer(target)
    if gold is None:
        raise ValueError(f"integer target expected, got {target!r}; fix the dataset's answer")
    guess = normalize_integer(answer)
    correct = guess == gold if guess is not None else is_equiv(answer, gold)
    if correct:
        return Score("pass", {"acc": (1, 1)}, answer)
    return Score("fail", {"acc": (0, 1)}, answer, f"answer {answer!r} != target {gold}")


def oracle_response(target: str, correct: bool, *, integer: bool = False) -> str:
    """A short solution ending in `\\boxed{target}`, or one with a deterministic wrong answer."""
    gold = normalize_integer(target) if integer else _target_answer(target)
    if gold is None:
        raise ValueError(f"integer target expected, got {target!r}")
    if correct:
        return f"Working through the problem step by step gives the result.\n\n\\boxed{{{gold}}}"
    as_int = normalize_integer(gold)
    if as_int is not None:
        wrong = str((int(as_int) + 1) % 1000) if integer else str(int(as_int) + 1)
    else:
        wrong = f"{gold}+1"
        if is_equiv(wrong, gold):
            wrong = "\\text{no solution}"
    return f"Working through the problem step by step gives the result.\n\n\\boxed{{{wrong}}}"
