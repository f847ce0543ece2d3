"""`python -m pytest_qnext.sim --port 8801 --ttft 0.05 --itl 0.01 ...` (also `qnext-sim`).

Prints `serving on http://HOST:PORT/v1` once it accepts connections; SIGTERM or Ctrl-C stop it.
The API key, if any, may come from the QNEXT_SIM_API_KEY environment variable instead of
`--api-key` so that it does not show in the process list.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import os
import signal
import sys
from collections.abc import Sequence

from pytest_qnext import aioloop
from pytest_qnext.sim.app import create_app
from pytest_qnext.sim.config import KEYS, SimConfig, add_cli_arguments, from_mapping, parse_spec
from pytest_qnext.sim.listen import listen
from pytest_qnext.sim.policy import OracleError
from pytest_qnext.sim.runner import API_KEY_ENV, PARENT_ENV
from pytest_qnext.tokenizer import TokenizerError

__all__ = ["ORACLE_WITHOUT_FILE", "build_parser", "main"]

ORACLE_WITHOUT_FILE = (
    "qnext-sim: warning: policy=oracle without --oracle FILE knows no prompt, so it echoes "
    "every request; give --oracle (JSONL rows of key or prompt, sample, correct, wrong) or "
    "--policy echo"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qnext-sim",
        description="Simulated OpenAI-compatible LLM server (vLLM-shaped streams, latency "
        "model, answer policies, fault injection).",
    )
    parser.add_argument(
        "--spec",
        default="",
        help="k=v,k=v options applied before the flags, e.g. 'ttft=0.05,itl=0.01' (default: '')",
    )
    add_cli_arguments(parser)
    return parser


async def _serve(config: SimConfig) -> None:
    listener = await listen(create_app(config), config.host, config.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.ensure_future(_watch_parent(stop))
    host, port = listener.host, listener.port
    # Everything loaded so far (tokenizer, imports) lives as long as the server: keep it out of
    # the cyclic GC, whose full passes over it paused the event loop for tens of milliseconds.
    gc.collect()
    gc.freeze()
    print(f"serving on http://{host}:{port}/v1", flush=True)
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        await listener.close()


async def _watch_parent(stop: asyncio.Event) -> None:
    """Stop when the process that started us (run_in_process) is gone: no orphaned servers."""
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit():
        return
    while not stop.is_set():
        if os.getppid() != int(parent):
            stop.set()
            return
        await asyncio.sleep(0.5)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        base = parse_spec(args.spec) if args.spec else SimConfig()
        flags = {key: getattr(args, key) for key in KEYS}
        explicit = {k: v for k, v in flags.items() if v != parser.get_default(k)}
        for key in ("tokenizer", "oracle", "api_key"):
            if explicit.get(key) == "":
                explicit[key] = None
        config = from_mapping(explicit, base)  # explicit flags win over --spec
        if not config.api_key and os.environ.get(API_KEY_ENV):
            config = dataclasses.replace(config, api_key=os.environ[API_KEY_ENV])
        if config.policy == "oracle" and not config.oracle:
            print(ORACLE_WITHOUT_FILE, file=sys.stderr, flush=True)
        aioloop.run(_serve(config))
    except (ValueError, OracleError, TokenizerError) as exc:
        print(f"qnext-sim: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"qnext-sim: error: cannot serve: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
