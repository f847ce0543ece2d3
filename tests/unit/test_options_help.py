"""`pytest --help` lists the same `--qnext-*` options, ini keys, env vars and defaults as the
golden file captured before the option table existed (tests/unit/data/help_options.txt).

Regenerate the golden file only on purpose: `python tests/unit/test_options_help.py > FILE`
prints what the current code shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "data" / "help_options.txt"
# wide enough that argparse and pytest put each option's help on one line
WIDE = "4000"

_OPTION = re.compile(r"^  (--qnext-[a-z-]+)(=\S+(?: \[\S+ \.\.\.\])?)?(?:\s{2,}(.*))?$")
_INI = re.compile(r"^  (qnext_[a-z_]+) \((\w+)\):(?:\s+(.*))?$")
_ENV = re.compile(r" Env: ([A-Z0-9_, ]+)\.")
_DEFAULT = re.compile(r" Default: (.*)\.$")


def help_text(run_dir: Path) -> str:
    """`pytest --help` output of this interpreter's pytest (the plugin loads by entry point)."""
    env = {**os.environ, "COLUMNS": WIDE}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--help"],
        cwd=run_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _entries(text: str, pattern: re.Pattern[str]) -> list[tuple[re.Match[str], str]]:
    """(header match, help text) for each line matching `pattern` (help may be on the next
    line, indented, when the flag is long)."""
    lines = text.splitlines()
    out = []
    for number, line in enumerate(lines):
        match = pattern.match(line)
        if match is None:
            continue
        body = match.group(3)
        if not body:
            follow = lines[number + 1] if number + 1 < len(lines) else ""
            body = follow if follow.startswith(" " * 8) else ""
        out.append((match, body.strip()))
    return out


def option_lines(text: str) -> list[str]:
    """One line per `--qnext-*` flag: flag=METAVAR | ini key (type) | Env: ... | Default: ..."""
    ini: dict[str, str] = {}
    for match, _ in _entries(text, _INI):
        ini[match.group(1)] = match.group(2)
    lines = []
    for match, body in _entries(text, _OPTION):
        flag, metavar = match.group(1), match.group(2) or ""
        key = flag[2:].replace("-", "_")
        env = _ENV.search(body)
        default = _DEFAULT.search(body)
        lines.append(
            " | ".join(
                [
                    flag + metavar,
                    f"ini {key} ({ini[key]})" if key in ini else "ini -",
                    f"Env: {env.group(1)}" if env else "Env: -",
                    f"Default: {default.group(1)}" if default else "Default: MISSING",
                ]
            )
        )
    return lines


@pytest.fixture(scope="module")
def text(tmp_path_factory: pytest.TempPathFactory) -> str:
    return help_text(tmp_path_factory.mktemp("help"))


def test_help_lists_the_golden_options_and_defaults(text: str) -> None:
    current = option_lines(text)
    golden = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert current == golden
    # every qnext ini key belongs to a flag listed above
    keys = {m.group(1) for m, _ in _entries(text, _INI)}
    flags = {line.split(" | ")[1].split()[1] for line in golden if "| ini -" not in line}
    assert keys == flags


def test_every_option_help_ends_with_its_default(text: str) -> None:
    entries = _entries(text, _OPTION)
    assert len(entries) == len(GOLDEN.read_text(encoding="utf-8").splitlines())
    for match, body in entries:
        assert _DEFAULT.search(body), f"{match.group(1)}: help does not end with its default"


if __name__ == "__main__":
    sys.stdout.write("\n".join(option_lines(help_text(Path.cwd()))) + "\n")
