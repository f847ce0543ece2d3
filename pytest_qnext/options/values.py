"""The record an option is declared with, and the parsers that turn raw values into settings.

A raw value is what pytest or the environment hands over: a string (CLI, ini `string` key,
env var), a list of strings (an `append`/`nargs` flag, an ini `args`/`linelist` key) or a bool
(a `store_true` flag). A parser takes the option's flag and a raw value and returns the
converted value, or raises `pytest.UsageError` with one line that names the flag and says how
to fix it. Parsers that need heavy or cyclic imports (the client, the simulator, perf SLOs)
import them when they run, so declaring the options stays cheap.

This module and the option table import pytest only when an error is raised, so library
code (the client, the perf sender) can take its defaults from the table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

__all__ = [
    "Negation",
    "Option",
    "Parse",
    "choice",
    "existing_file",
    "flag_value",
    "integer",
    "integers",
    "json_object",
    "number",
    "path",
    "request_params",
    "text",
    "texts",
    "usage_error",
]

Parse = Callable[[str, Any], Any]


def usage_error(flag: str, message: str) -> pytest.UsageError:
    """One-line usage error naming the option."""
    import pytest

    return pytest.UsageError(f"{flag}: {message}")


@dataclass(frozen=True)
class Negation:
    """A second flag that stores False into the same setting (`--qnext-no-stream`)."""

    flag: str
    help: str


@dataclass(frozen=True)
class Option:
    """One `--qnext-*` option: everything about it, declared once.

    `default` is the value the setting takes when nothing is given (already converted, never
    parsed). `default_text` is shown instead of the value where the default is computed or
    means something the value cannot say ("10 x parallel", "the first id listed by ...").
    `ini_type` None means no ini key.
    """

    flag: str
    help: str
    parse: Parse
    default: Any = None
    default_text: str | None = None
    env: tuple[str, ...] = ()
    ini_type: str | None = "string"
    metavar: str | None = None
    nargs: str | None = None
    action: str | None = None
    const: str | None = None
    negation: Negation | None = None

    @property
    def dest(self) -> str:
        """The argparse dest and the ini key: `--qnext-max-tokens` -> `qnext_max_tokens`."""
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def shown_default(self) -> str:
        """What help texts say the default is."""
        return self.default_text if self.default_text is not None else describe(self.default)

    @property
    def full_help(self) -> str:
        """The `--help` text: the help, the env vars, then the default."""
        env_text = f" Env: {', '.join(self.env)}." if self.env else ""
        return f"{self.help}{env_text} Default: {self.shown_default}."


def describe(value: Any) -> str:
    """A default value as help texts show it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, tuple | list):
        return " ".join(str(v) for v in value) if value else "none"
    return str(value)


# -- parsers (flag, raw) -> value -----------------------------------------------------------


def text(flag: str, raw: Any) -> str:
    return str(raw).strip()


def _scalar(flag: str, raw: Any) -> str:
    """The one value of a raw value that may be a list (an ini `args` key)."""
    if isinstance(raw, list | tuple):
        if len(raw) != 1:
            raise usage_error(flag, f"give one value, got {len(raw)}")
        raw = raw[0]
    return str(raw).strip()


def texts(flag: str, raw: Any) -> tuple[str, ...]:
    """Repeated values (an append flag or a list ini key): stripped, empty ones dropped."""
    items = raw if isinstance(raw, list | tuple) else [raw]
    return tuple(s for item in items if (s := str(item).strip()))


def number(minimum: float | None = None) -> Parse:
    """A float, at least `minimum`."""

    def parse(flag: str, raw: Any) -> float:
        return float(_number(flag, raw, float, "a number", minimum))

    return parse


def integer(minimum: int | None = None) -> Parse:
    """An int, at least `minimum`."""

    def parse(flag: str, raw: Any) -> int:
        return int(_number(flag, raw, int, "an integer", minimum))

    return parse


def _number(
    flag: str, raw: Any, convert: Callable[[str], Any], kind: str, minimum: float | None
) -> Any:
    value = _scalar(flag, raw)
    try:
        result = convert(value)
    except ValueError:
        raise usage_error(flag, f"{value!r} is not {kind}") from None
    if not math.isfinite(float(result)):
        raise usage_error(flag, f"{value!r} is not a finite number; give {kind} like 1 or 2.5")
    if minimum is not None and float(result) < minimum:
        raise usage_error(flag, f"{value!r} must be >= {minimum:g}")
    return result


def integers(minimum: int) -> Parse:
    """Whole numbers separated by spaces or commas, each at least `minimum`."""
    one = integer(minimum)

    def parse(flag: str, raw: Any) -> tuple[int, ...]:
        items = raw if isinstance(raw, list | tuple) else [raw]
        parts = [p for item in items for p in str(item).replace(",", " ").split()]
        return tuple(one(flag, p) for p in parts)

    return parse


def choice(choices: Sequence[str]) -> Parse:
    """One of `choices`."""

    def parse(flag: str, raw: Any) -> str:
        value = _scalar(flag, raw)
        if value not in choices:
            raise usage_error(flag, f"{value!r} is not valid; use one of: {', '.join(choices)}")
        return value

    return parse


def flag_value(flag: str, raw: Any) -> bool:
    """A switch: True from the flag itself or from 1/true/yes/on in an ini key or env var."""
    if isinstance(raw, bool):
        return raw
    return _scalar(flag, raw).lower() in {"1", "true", "yes", "on"}


def path(flag: str, raw: Any) -> Path:
    return Path(_scalar(flag, raw)).expanduser()


def existing_file(flag: str, raw: Any) -> Path:
    """A path that names a file."""
    result = path(flag, raw)
    if not result.is_file():
        raise usage_error(flag, f"{result} is not a file")
    return result


def json_object(example: str) -> Parse:
    """A JSON object; `example` is shown when the value is not one."""

    def parse(flag: str, raw: Any) -> dict[str, Any]:
        value = str(raw)
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise usage_error(
                flag, f"not valid JSON ({exc.msg} at char {exc.pos}); give an object like {example}"
            ) from None
        if not isinstance(parsed, dict):
            raise usage_error(
                flag, f"expected a JSON object like {example}, got {type(parsed).__name__}"
            )
        return parsed

    return parse


def request_params(example: str) -> Parse:
    """A JSON object merged into request bodies: keys the request builder owns are refused."""
    parse_object = json_object(example)

    def parse(flag: str, raw: Any) -> dict[str, Any]:
        params: dict[str, Any] = parse_object(flag, raw)
        from pytest_qnext.client.body import owned_keys_problem

        problem = owned_keys_problem(params)
        if problem is not None:
            raise usage_error(flag, problem)
        return params

    return parse
