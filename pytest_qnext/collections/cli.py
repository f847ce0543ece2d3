"""`python -m pytest_qnext.collections build|show`: build a collection file, or show one.

    build SCHEMA -o out.jsonl [--sampler weighted|stratified|uniform] [--count N] [--seed S]
          [--data-dir DIR]
    show out.jsonl

SCHEMA is a JSON/YAML file, `package.module:attribute`, or a built-in name (`qwen3`). `build`
shows a progress bar on stderr while it loads the leaves, then prints each leaf's weight, size
and draw on stdout; a leaf that cannot be loaded here is one warning line on stderr and the
rest is built. `show` prints the file's schema tree with row counts and weights.

Exit status: 0 done; 2 bad command line; 4 bad input (schema, data, collection file), with one
line on stderr saying what to fix.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, NoReturn

from pytest_qnext.collections.reference import load_schema
from pytest_qnext.collections.rows import CollectionRow, read_collection, write_rows
from pytest_qnext.collections.sampler import DEFAULT_COUNT, SAMPLERS, LeafDraw
from pytest_qnext.collections.schema import CollectionError, SchemaError

__all__ = ["DEFAULT_COUNT", "EXIT_INPUT", "EXIT_USAGE", "main"]

PROG = "python -m pytest_qnext.collections"
EXIT_USAGE = 2
EXIT_INPUT = 4
_BAR_WIDTH = 24


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Build or show a weighted benchmark collection.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="draw a collection file from a schema")
    build.add_argument("schema", help="JSON/YAML file, package.module:attribute, or 'qwen3'")
    build.add_argument("-o", "--output", required=True, type=Path, help="the JSONL file to write")
    build.add_argument(
        "--sampler",
        choices=sorted(SAMPLERS),
        default="weighted",
        help="how the count is split among leaves (default: weighted)",
    )
    build.add_argument(
        "--count",
        type=int,
        default=DEFAULT_COUNT,
        help=f"rows to draw; leaves with fewer rows give all of them (default: {DEFAULT_COUNT})",
    )
    build.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    build.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of local benchmark files in the hub layout (default: none, the hub)",
    )
    show = sub.add_parser("show", help="print a collection file's tree with counts")
    show.add_argument("file", type=Path, help="a JSONL file written by build")
    return parser


class _Bar:
    """A progress bar redrawn in place on a terminal; one line per step otherwise."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, done: int, total: int, label: str) -> None:
        filled = _BAR_WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        text = f"loading [{bar}] {done}/{total} {label}".rstrip()
        if self.tty:
            end = "\n" if done >= total else ""
            self.stream.write(f"\r\x1b[2K{text}{end}")
        elif done < total:
            self.stream.write(text + "\n")
        self.stream.flush()


def _draw_table(draws: Sequence[LeafDraw]) -> list[str]:
    width = max([len("leaf")] + [len(d.label) for d in draws])
    kinds = max([len("task_type")] + [len(d.task_type) for d in draws])
    head = f"{'leaf':<{width}}  {'task_type':<{kinds}}  {'weight':>8}  {'rows':>7}  {'quota':>9}"
    lines = [f"{head}  {'drawn':>7}"]
    for d in draws:
        rows = "-" if d.unavailable else str(d.available)
        note = "  unavailable" if d.unavailable else ""
        lines.append(
            f"{d.label:<{width}}  {d.task_type:<{kinds}}  {d.leaf.weight:>8.4f}  {rows:>7}  "
            f"{d.quota:>9}  {d.drawn:>7}{note}"
        )
    return lines


def _build(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise _UsageError(f"--count must be >= 1, got {args.count}")
    if args.data_dir is not None and not args.data_dir.is_dir():
        raise _UsageError(f"--data-dir: {args.data_dir} is not a directory")
    schema = load_schema(args.schema)
    sampler = SAMPLERS[args.sampler](
        schema, seed=args.seed, data_dir=args.data_dir, progress=_Bar(sys.stderr)
    )
    try:
        rows = sampler.sample(args.count)
    except SchemaError as exc:
        raise SchemaError(f"{args.schema}: {exc}") from None
    for draw in sampler.draws:
        if draw.unavailable:
            print(f"{PROG}: warning: {draw.unavailable}; built without it", file=sys.stderr)
    try:
        write_rows(rows, args.output)
    except OSError as exc:
        raise CollectionError(f"{args.output}: cannot write ({exc.strerror or exc})") from None
    for line in _draw_table(sampler.draws):
        print(line)
    print(
        f"wrote {len(rows)} rows to {args.output} ({args.sampler} sampler, count {args.count}, "
        f"seed {args.seed})"
    )
    return 0


def tree_lines(rows: Sequence[CollectionRow]) -> list[str]:
    """The schema tree of a collection: every node and leaf with its rows and weight (the sum
    of its leaves' normalised weights; below 1 at the root when leaves were unavailable)."""
    leaves: dict[tuple[str, ...], list[CollectionRow]] = {}
    for row in rows:
        leaves.setdefault((*row.categories, row.dataset_name), []).append(row)
    nodes: dict[tuple[str, ...], tuple[int, float]] = {}
    for path, members in leaves.items():
        for depth in range(1, len(path)):
            count, weight = nodes.get(path[:depth], (0, 0.0))
            nodes[path[:depth]] = (count + len(members), weight + members[0].weight)
    lines = []
    for path in sorted(set(nodes) | set(leaves)):
        indent = "  " * (len(path) - 1)
        if path in leaves:
            members = leaves[path]
            first = members[0]
            subsets = len({r.subset_name for r in members})
            tags = ",".join(first.tags) or "-"
            text = (
                f"{indent}{path[-1]}  {len(members)} rows  weight {first.weight:.4f}  "
                f"task_type {first.task_type}  tags {tags}  subsets {subsets}"
            )
            if first.withheld:
                text += "  (text withheld: ids only)"
        else:
            count, weight = nodes[path]
            text = f"{indent}{path[-1]}  {count} rows  weight {weight:.4f}"
        lines.append(text)
    return lines


def _show(args: argparse.Namespace) -> int:
    rows = read_collection(args.file)
    print(f"{args.file}: {len(rows)} rows")
    for line in tree_lines(rows):
        print(line)
    return 0


class _UsageError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _build(args) if args.command == "build" else _show(args)
    except _UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CollectionError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
