"""Screenshots of `qnext view` for the README: overview, sample, compare and perf pages.

    python scripts/screenshots.py                 # makes its own demo runs (simulator, offline)
    python scripts/screenshots.py --root DIR      # or shoots the report dirs under DIR

Writes docs/view-overview.png, docs/view-sample.png, docs/view-compare.png, docs/view-perf.png.
Needs the system Chromium (scripts/install_browser.sh) and the playwright package (test extra).
Without --root it runs the bundled demo twice against the simulator (two capability runs with
different seeds, two perf sweeps with different latencies) into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pytest_qnext.view.launch import (
    CHROMIUM_ARGS,
    DEMO_CAPABILITY,
    find_chromium,
    report_run,
    running_viewer,
)

REPO = Path(__file__).resolve().parent.parent
CAPABILITY = ["-m", "capability", *DEMO_CAPABILITY]
PERF = [
    "-m",
    "perf",
    "--qnext-parallel",
    "1",
    "2",
    "4",
    "8",
    "--qnext-number",
    "4",
    "8",
    "16",
    "32",
    "--qnext-min-prompt-length",
    "256",
    "--qnext-max-prompt-length",
    "256",
    "--qnext-min-tokens",
    "64",
    "--qnext-max-tokens",
    "64",
    "--qnext-extra-args",
    '{"ignore_eos": true}',
]


def _pytest(report: Path, sim: str, *args: str) -> None:
    suite = REPO / "benchmarks" / ("test_perf.py" if "perf" in args else "test_capability.py")
    print("running", report.name, flush=True)
    report_run(report, "--qnext-sim", sim, *args, str(suite), cwd=REPO)
    if not (report / "summary.json").is_file():
        sys.exit(f"screenshots: the run for {report} wrote no summary.json")


def make_runs(root: Path) -> None:
    oracle = "ttft=0.02,itl=0.002,policy=oracle,p=0.7"
    _pytest(root / "2025-06-01-qwen3-next", oracle + ",seed=1", *CAPABILITY)
    _pytest(root / "2025-06-08-qwen3-next", oracle + ",seed=2", *CAPABILITY)
    _pytest(root / "perf-tp1", "ttft=0.05,itl=0.01", *PERF)
    _pytest(root / "perf-tp2", "ttft=0.03,itl=0.006", *PERF)


def _runs(root: Path) -> tuple[list[str], list[str]]:
    """(capability run ids, perf run ids), as the viewer names them (relative paths)."""
    cap, perf = [], []
    for summary in sorted(root.rglob("summary.json")):
        if any(p.is_symlink() for p in summary.parents if root in p.parents or p == root):
            continue
        doc: dict[str, Any] = json.loads(summary.read_text(encoding="utf-8"))
        rel = summary.parent.relative_to(root).as_posix()
        run_id = root.name if rel == "." else rel
        if doc.get("table"):
            cap.append(run_id)
        if doc.get("perf"):
            perf.append(run_id)
    return cap, perf


def _pick_sample(root: Path, run_id: str) -> dict[str, Any]:
    path = root / run_id / "samples.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    fails = [r for r in rows if r["outcome"] == "fail" and r["dataset"] == "math_500"]
    return (fails or [r for r in rows if r["outcome"] == "fail"] or rows)[0]


def shoot(root: Path, out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    cap, perf = _runs(root)
    if not cap:
        sys.exit(f"screenshots: no capability run under {root}")
    shots: list[Path] = []
    with (
        running_viewer(root) as url,
        sync_playwright() as pw,
        tempfile.TemporaryDirectory() as profile,
    ):
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": 1360, "height": 940},
            device_scale_factor=1,
        )
        page = ctx.new_page()

        def snap(name: str, path: str, selector: str | None = None) -> None:
            page.goto(url.rstrip("/") + path)
            page.wait_for_function("() => window.qnextReady === true")
            if selector:
                page.wait_for_selector(selector)
            target = out / f"view-{name}.png"
            page.screenshot(path=str(target))
            shots.append(target)
            print("wrote", target, flush=True)

        snap("overview", "/run?" + urlencode({"run": cap[-1]}))
        sample = _pick_sample(root, cap[-1])
        snap(
            "sample",
            "/sample?"
            + urlencode({"run": cap[-1], "dataset": sample["dataset"], "id": sample["sample_id"]}),
        )
        snap("samples", "/samples?" + urlencode({"run": cap[-1]}), "#qnext-browser[data-ready]")
        if len(cap) >= 2:
            snap("compare", "/compare?" + urlencode([("run", r) for r in cap[:2]]))
        if perf:
            snap("perf", "/perf?" + urlencode([("run", r) for r in perf[:3]]) + "#charts")
        ctx.close()
    return shots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, help="report dirs to shoot (default: make demo runs)")
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="folder for the PNGs")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        sys.exit("screenshots: Chromium not found; run scripts/install_browser.sh")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.root is not None:
        shoot(args.root, args.out, chromium)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "qnext_report"
        make_runs(root)
        shoot(root, args.out, chromium)
    return 0


if __name__ == "__main__":
    sys.exit(main())
