"""The capability suite: every selected benchmark sample is one item.

    pytest -m capability --qnext-sim --qnext-datasets general_mcq \
        --qnext-dataset-args '{"general_mcq": {"local_path": "mcq.jsonl"}}'

The plugin parametrizes `qnext_sample` with the selected samples (`test_sample[<dataset>/<id>]`,
`#r<k>` for repeats) and prefetches their answers; each item waits for its own answer only.
"""

from __future__ import annotations

import pytest

from pytest_qnext import ItemResult

pytestmark = pytest.mark.capability


def test_sample(qnext_sample: ItemResult) -> None:
    qnext_sample.check()
