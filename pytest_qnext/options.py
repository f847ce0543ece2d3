"""Declaring and resolving `--qnext-*` options: CLI > ini (`qnext_*`) > env > default.

Every area (spine settings, capability, perf) declares its options with `add_option` and reads
them back with `resolve`, so each value is looked up the same way and every help text ends with
its default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pytest

__all__ = ["add_option", "parse_choice", "parse_float", "parse_int", "resolve", "usage_error"]

T = TypeVar("T")

GROUP = "qnext"


def add_option(
    parser: pytest.Parser,
    flag: str,
    help: str,
    *,
    default_text: str,
    env: Sequence[str] = (),
    ini_type: str = "string",
    **kwargs: Any,
) -> None:
    """Register `--qnext-x` (dest `qnext_x`) and the ini key `qnext_x`.

    The CLI default is always None so `resolve` can tell "not given" from a value. The help ends
    with the environment variables (if any) and the default, as users expect from pytest plugins.
    """
    name = flag.lstrip("-").replace("-", "_")
    env_text = f" Env: {', '.join(env)}." if env else ""
    full_help = f"{help}{env_text} Default: {default_text}."
    group = parser.getgroup(GROUP, "pytest-qnext (LLM server perf and capability gates)")
    kwargs.setdefault("default", None)
    group.addoption(flag, dest=name, help=full_help, **kwargs)
    parser.addini(name, help=f"{help} (same as {flag}).", type=ini_type)  # type: ignore[arg-type]


def _is_unset(value: object) -> bool:
    return value is None or value == "" or value == [] or value == ()


def resolve(
    config: pytest.Config,
    flag: str,
    *,
    env: Sequence[str] = (),
    default: Any = None,
) -> Any:
    """The value of `--qnext-x`: CLI, else ini key, else the first env var set, else default.

    Raw values are returned (str, list[str] or the CLI action's type); callers convert them.
    """
    name = flag.lstrip("-").replace("-", "_")
    value = config.getoption(name, default=None)
    if not _is_unset(value):
        return value
    try:
        value = config.getini(name)
    except ValueError:
        value = None
    if not _is_unset(value):
        return value
    for var in env:
        env_value = os.environ.get(var)
        if env_value:
            return env_value
    return default


def usage_error(flag: str, message: str) -> pytest.UsageError:
    """One-line usage error naming the option."""
    return pytest.UsageError(f"{flag}: {message}")


def parse_choice(flag: str, value: object, choices: Sequence[str]) -> str:
    text = str(value).strip()
    if text not in choices:
        raise usage_error(flag, f"{text!r} is not valid; use one of: {', '.join(choices)}")
    return text


def _parse_number(
    flag: str, value: object, convert: Callable[[str], T], kind: str, minimum: float | None
) -> T:
    try:
        number = convert(str(value).strip())
    except ValueError:
        raise usage_error(flag, f"{value!r} is not {kind}") from None
    if minimum is not None and float(number) < minimum:  # type: ignore[arg-type]
        raise usage_error(flag, f"{value!r} must be >= {minimum:g}")
    return number


def parse_float(flag: str, value: object, *, minimum: float | None = None) -> float:
    return _parse_number(flag, value, float, "a number", minimum)


def parse_int(flag: str, value: object, *, minimum: float | None = None) -> int:
    return _parse_number(flag, value, int, "an integer", minimum)
