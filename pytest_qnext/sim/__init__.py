"""Simulated OpenAI-compatible server: vLLM-shaped streams, a latency model with continuous
batching, answer policies (echo, fixed, oracle) and seeded fault injection.

    from pytest_qnext.sim import SimConfig, parse_spec, run_in_process, run_in_thread

    with run_in_process(parse_spec("ttft=0.05,itl=0.01")) as sim:
        ...  # sim.url == "http://127.0.0.1:PORT/v1"; sim.stats()

Standalone: `python -m pytest_qnext.sim --port 8801 --ttft 0.05 --itl 0.01`.
"""

from __future__ import annotations

from pytest_qnext.sim.app import create_app
from pytest_qnext.sim.config import KEYS, SimConfig, config_to_argv, from_mapping, parse_spec
from pytest_qnext.sim.policy import (
    OracleEntry,
    OracleError,
    load_oracle,
    prompt_key,
    write_oracle,
)
from pytest_qnext.sim.runner import SimServer, SimStartError, run_in_process, run_in_thread

__all__ = [
    "KEYS",
    "OracleEntry",
    "OracleError",
    "SimConfig",
    "SimServer",
    "SimStartError",
    "config_to_argv",
    "create_app",
    "from_mapping",
    "load_oracle",
    "parse_spec",
    "prompt_key",
    "run_in_process",
    "run_in_thread",
    "write_oracle",
]
