"""SimConfig validation, parse_spec errors, and CLI flags == spec keys."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_qnext.sim import KEYS, SimConfig, config_to_argv, parse_spec
from pytest_qnext.sim.__main__ import build_parser


def test_parse_spec_example() -> None:
    config = parse_spec("ttft=0.05,itl=0.01,policy=oracle,p=0.7")
    assert config == SimConfig(ttft=0.05, itl=0.01, policy="oracle", p=0.7)
    assert parse_spec("") == SimConfig()
    assert parse_spec(" max-num-seqs = 4 , seed=3,") == SimConfig(max_num_seqs=4, seed=3)
    assert parse_spec('text="a, b \\"c\\"",policy=fixed').text == 'a, b "c"'
    assert parse_spec("tokenizer=none").tokenizer is None
    assert parse_spec("ttft=1", base=SimConfig(itl=0.5)) == SimConfig(ttft=1.0, itl=0.5)


@pytest.mark.parametrize(
    ("spec", "needles"),
    [
        ("ttft=0.05,bogus=1", ["'bogus'", "valid keys:", "prefill_per_token"]),
        ("itl=fast", ["itl='fast'", "float"]),
        ("max_num_seqs=1.5", ["max_num_seqs", "int"]),
        ("itl", ["'itl'", "itl=VALUE"]),
        ("policy=random", ["policy='random'", "echo, fixed, oracle"]),
        ("think=maybe", ["think='maybe'", "none, inline, split"]),
        ("p=1.5", ["p=1.5", "between 0 and 1"]),
        ("fail_rate=-0.1", ["fail_rate", "between 0 and 1"]),
        ("ttft=-1", ["ttft=-1", ">= 0"]),
        ("max_num_seqs=0", ["max_num_seqs=0", ">= 1"]),
    ],
)
def test_parse_spec_errors_are_one_line(spec: str, needles: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        parse_spec(spec)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message


def test_cli_flags_are_the_spec_keys() -> None:
    parser = build_parser()
    dests = {a.dest for a in parser._actions} - {"help", "spec"}
    assert dests == set(KEYS)
    ns = parser.parse_args(["--prefill-per-token", "0.001", "--max-num-seqs", "8"])
    assert ns.prefill_per_token == 0.001
    assert ns.max_num_seqs == 8


configs = st.builds(
    SimConfig,
    ttft=st.floats(0, 5, allow_nan=False),
    itl=st.floats(0, 1, allow_nan=False),
    max_num_seqs=st.integers(1, 512),
    policy=st.sampled_from(["echo", "fixed", "oracle"]),
    text=st.text(alphabet="abc ,=\"'", max_size=10),
    think=st.sampled_from(["none", "inline", "split"]),
    fail_rate=st.floats(0, 1, allow_nan=False),
    seed=st.integers(0, 2**31),
)


@given(configs)
def test_config_to_argv_round_trips_through_the_cli(config: SimConfig) -> None:
    ns = build_parser().parse_args(config_to_argv(config))
    rebuilt = SimConfig(**{k: getattr(ns, k) for k in KEYS})
    assert rebuilt == dataclasses.replace(config)
