"""The plugin is a guest in every pytest run: what `import pytest_qnext.plugin` pulls in is pinned.

A new import of an HTTP stack, numpy, transformers, datasets, matplotlib or nltk at the plugin's
module level (directly or through a module it imports) fails here; import such things inside the
function that needs them instead.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Every pytest_qnext module the plugin imports (keep this list short and light).
PINNED = {
    "pytest_qnext",
    "pytest_qnext.capability",
    "pytest_qnext.capability.errors",
    "pytest_qnext.capability.options",
    "pytest_qnext.options.capability",
    "pytest_qnext.options.perf",
    "pytest_qnext.options.spine",
    "pytest_qnext.options.values",
    "pytest_qnext.options",
    "pytest_qnext.perf",
    "pytest_qnext.perf.catalog",
    "pytest_qnext.perf.options",
    "pytest_qnext.perf.slo",
    "pytest_qnext.plugin",
    "pytest_qnext.settings",
    "pytest_qnext.state",
}
HEAVY = (
    "aiohttp",
    "httpx",
    "httpcore",
    "numpy",
    "transformers",
    "datasets",
    "matplotlib",
    "nltk",
    "jinja2",
    "sqlite3",
    "multiprocessing",
    "langdetect",
    "math_verify",
)

PROBE = """
import json, sys
import pytest
before = set(sys.modules)
import pytest_qnext.plugin
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _new_modules(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_plugin_imports_only_the_pinned_package_modules() -> None:
    loaded = _new_modules(PROBE)
    ours = {m for m in loaded if m == "pytest_qnext" or m.startswith("pytest_qnext.")}
    assert ours == PINNED


def test_plugin_imports_no_heavy_library() -> None:
    loaded = set(_new_modules(PROBE))
    assert [m for m in HEAVY if m in loaded] == []


def test_a_plain_pytest_run_loads_no_heavy_library(pytester: pytest.Pytester) -> None:
    """An unrelated project's test run (no qnext option, no marker) stays light."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    heavy = json.dumps(list(HEAVY))
    pytester.makeconftest(
        "import json, sys\n"
        "def pytest_sessionfinish(session):\n"
        f"    print('LOADED', json.dumps([m for m in {heavy} if m in sys.modules]))\n"
    )
    pytester.makepyfile(test_one="def test_one():\n    assert True\n")
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    (line,) = [x for x in result.stdout.lines if "LOADED" in x]
    assert json.loads(line.split("LOADED", 1)[1]) == []
    assert not [x for x in result.stdout.lines if x.startswith("qnext")]  # no header either
