"""What the auto-loaded plugin costs an unrelated project's test run.

    python benchmarks/bench_plugin_overhead.py [--runs 15]

Times `pytest` on a one-test project with the plugin and with `-p no:qnext`, alternating the
two in one run (so machine noise hits both alike), and prints each median and the median
added time. The floor: the plugin adds at most 150 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_S = 0.150


def _time(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each variant (>= 10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qnext-overhead-") as folder:
        root = Path(folder)
        (root / "test_one.py").write_text("def test_one():\n    assert True\n")
        (root / "pytest.ini").write_text(
            "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        )
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
        _time(base, root)  # warm the file cache
        with_plugin: list[float] = []
        without: list[float] = []
        for _ in range(max(args.runs, 10)):
            with_plugin.append(_time(base, root))
            without.append(_time([*base, "-p", "no:qnext"], root))
    added = [a - b for a, b in zip(with_plugin, without, strict=True)]
    median_added = statistics.median(added)
    print(
        f"bench_plugin_overhead: {len(added)} alternating runs each; median with plugin "
        f"{statistics.median(with_plugin) * 1e3:.0f} ms, with -p no:qnext "
        f"{statistics.median(without) * 1e3:.0f} ms; median added {median_added * 1e3:+.0f} ms "
        f"(floor <= {FLOOR_S * 1e3:.0f} ms: {'OK' if median_added <= FLOOR_S else 'OVER'})"
    )
    return 0 if median_added <= FLOOR_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
