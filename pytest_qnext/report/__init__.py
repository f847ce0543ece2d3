"""Capability report layer: aggregation, gates, baseline comparison, terminal and file writers.

Runs in the controller process only (never in xdist workers).
"""

from __future__ import annotations

from pytest_qnext.report.aggregate import Aggregator, registry_breakdown
from pytest_qnext.report.baseline import (
    BaselineError,
    Comparison,
    DatasetComparison,
    compare,
    load_baseline,
)
from pytest_qnext.report.gates import Gate, GateResult, evaluate_gates, parse_gate
from pytest_qnext.report.terminal import capability_table, comparison_lines, gate_lines
from pytest_qnext.report.writers import write_report_dir
from pytest_qnext.rows import DatasetMeta, RowError, SampleRow
from pytest_qnext.sample import OUTCOMES

__all__ = [
    "OUTCOMES",
    "Aggregator",
    "BaselineError",
    "Comparison",
    "DatasetComparison",
    "DatasetMeta",
    "Gate",
    "GateResult",
    "RowError",
    "SampleRow",
    "capability_table",
    "compare",
    "comparison_lines",
    "evaluate_gates",
    "gate_lines",
    "load_baseline",
    "parse_gate",
    "registry_breakdown",
    "write_report_dir",
]
