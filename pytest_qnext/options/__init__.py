"""The one option table: every `--qnext-*` option, declared once (flag, ini key, env vars,
parser, default value, help), and the functions that read it.

The records live by area (`spine.py`, `capability.py`, `perf.py`; the record type and the
generic parsers in `values.py`) and `TABLE` joins them. `add_options(parser)` declares the table
to pytest; `value(config, flag)` resolves an option: CLI > ini (`qnext_*`) > env > default,
converted and validated by the option's parser (`pytest.UsageError`, one line naming the flag,
on a bad value). The settings resolvers (settings.py, capability/options.py, perf/options.py)
read every value through it and keep only the checks that involve several options. Dataclass
defaults come from `default(flag)`.
"""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING, Any

from pytest_qnext.options.capability import CACHE_MODES, CAPABILITY, parse_limit
from pytest_qnext.options.perf import NUMBER_FACTOR, PERF, PERF_DATASETS
from pytest_qnext.options.spine import API_CHOICES, SPINE
from pytest_qnext.options.values import Option

if TYPE_CHECKING:
    import pytest

__all__ = [
    "API_CHOICES",
    "CACHE_MODES",
    "GROUP",
    "NUMBER_FACTOR",
    "PERF_DATASETS",
    "TABLE",
    "add_options",
    "any_given_explicitly",
    "default",
    "given",
    "option",
    "parse_limit",
    "value",
]

GROUP = "qnext"
TABLE: tuple[Option, ...] = (*SPINE, *CAPABILITY, *PERF)
_BY_FLAG = {opt.flag: opt for opt in TABLE}


# -- reading the table ------------------------------------------------------------------------


def option(flag: str) -> Option:
    """The table's record of `flag` (KeyError for a flag that is not declared)."""
    return _BY_FLAG[flag]


def default(flag: str) -> Any:
    """The default value of `flag` (a fresh copy of a mutable one)."""
    return copy.deepcopy(_BY_FLAG[flag].default)


def add_options(parser: pytest.Parser) -> None:
    """Declare every option of the table: `--qnext-x` (dest `qnext_x`) and the ini key
    `qnext_x`. The CLI default is None so resolution can tell "not given" from a value."""
    group = parser.getgroup(GROUP, "pytest-qnext (LLM server perf and capability gates)")
    for opt in TABLE:
        attrs: dict[str, Any] = {"dest": opt.dest, "default": None, "help": opt.full_help}
        for name in ("metavar", "nargs", "action", "const"):
            if getattr(opt, name) is not None:
                attrs[name] = getattr(opt, name)
        group.addoption(opt.flag, **attrs)
        if opt.negation is not None:
            group.addoption(
                opt.negation.flag,
                dest=opt.dest,
                action="store_false",
                default=None,
                help=f"{opt.negation.help} Default: {opt.shown_default}.",
            )
        if opt.ini_type is not None:
            parser.addini(opt.dest, help=f"{opt.help} (same as {opt.flag}).", type=opt.ini_type)  # type: ignore[arg-type]


def _is_unset(raw: object) -> bool:
    return raw is None or raw == "" or raw == [] or raw == ()


def _raw(config: pytest.Config, opt: Option) -> Any:
    """The raw value given for `opt`: CLI, else ini key, else the first env var set; or None."""
    raw = config.getoption(opt.dest, default=None)
    if not _is_unset(raw):
        return raw
    if opt.ini_type is not None:
        try:
            raw = config.getini(opt.dest)
        except ValueError:
            raw = None
        if not _is_unset(raw):
            return raw
    for var in opt.env:
        if os.environ.get(var):
            return os.environ[var]
    return None


def any_given_explicitly(config: pytest.Config) -> bool:
    """Whether any --qnext-* option was given on the command line or in the ini file
    (environment variables do not count: OPENAI_API_KEY alone does not mean a qnext run)."""
    for opt in TABLE:
        if not _is_unset(config.getoption(opt.dest, default=None)):
            return True
        if opt.ini_type is not None:
            try:
                if not _is_unset(config.getini(opt.dest)):
                    return True
            except ValueError:
                continue
    return False


def given(config: pytest.Config, flag: str) -> Any:
    """The parsed value of `flag` when it was given (CLI, ini or env), else None."""
    opt = _BY_FLAG[flag]
    raw = _raw(config, opt)
    return None if raw is None else opt.parse(flag, raw)


def value(config: pytest.Config, flag: str) -> Any:
    """The parsed value of `flag`, or its default when it was not given."""
    found = given(config, flag)
    return default(flag) if found is None else found
