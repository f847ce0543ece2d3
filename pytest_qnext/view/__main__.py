"""Command line: `qnext view [ROOT|REPORT_DIR ...] [--port N] [--open]`.

Also `python -m pytest_qnext.view [ROOT ...]`. Serves on 127.0.0.1 only; `--port 0` (the
default) lets the OS pick a free port, and the URL is printed. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import sys
import webbrowser
from collections.abc import Sequence
from pathlib import Path

from pytest_qnext.view import DEFAULT_ROOT

__all__ = ["main", "view_main"]


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Browse qnext report dirs (every folder with a summary.json under the "
        "roots) in a local read-only web app.",
    )
    parser.add_argument(
        "roots",
        nargs="*",
        type=Path,
        metavar="ROOT|REPORT_DIR",
        help=f"folders to search for report dirs (default: {DEFAULT_ROOT})",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="port on 127.0.0.1 (default: 0, a free port chosen by the OS; the URL is printed)",
    )
    parser.add_argument(
        "--open", action="store_true", help="open the URL in a browser (default: off)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request (default: off)")
    return parser


def view_main(argv: Sequence[str] | None = None, prog: str = "qnext view") -> int:
    parser = _parser(prog)
    args = parser.parse_args(argv)
    roots = list(args.roots) or [Path(DEFAULT_ROOT)]
    missing = [str(r) for r in roots if not r.is_dir()]
    if missing:
        parser.exit(
            2,
            f"{prog}: no such folder: {', '.join(missing)} (give the --qnext-report-dir of a run, "
            f"or a folder above several)\n",
        )
    if not 0 <= args.port <= 65535:
        parser.exit(2, f"{prog}: --port must be 0..65535, got {args.port}\n")
    from pytest_qnext.view.server import make_server

    try:
        server = make_server(roots, args.port, verbose=args.verbose)
    except OSError as exc:
        parser.exit(
            2,
            f"{prog}: cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc}); "
            "pick another --port\n",
        )
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    runs = len(server.pages.catalog.runs)
    print(f"qnext view: {runs} run(s) under {', '.join(map(str, roots))}", flush=True)
    for problem in server.pages.catalog.problems:
        print(f"qnext view: skipped {problem}", flush=True)
    print(f"qnext view: serving {url} (Ctrl-C to stop)", flush=True)
    if args.open:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The `qnext` console script: `qnext view ...`."""
    args = list(sys.argv[1:] if argv is None else argv)
    usage = (
        "usage: qnext view [ROOT|REPORT_DIR ...] [--port N] [--open]\n\n"
        "commands:\n  view    browse report dirs in a local web app (qnext view -h)"
    )
    if not args:
        print(usage, file=sys.stderr)
        return 2
    if args[0] in ("-h", "--help"):
        print(usage)
        return 0
    if args[0] != "view":
        print(f"qnext: unknown command {args[0]!r}; the commands are: view", file=sys.stderr)
        return 2
    return view_main(args[1:])


if __name__ == "__main__":
    sys.exit(view_main(prog="python -m pytest_qnext.view"))
