"""A collection run's items (capability/collection_entries.py) over the demo rows bundled with the
package: item ids, the request bodies (and cache keys) a direct run builds, seeded shuffle before
the limit, per-benchmark argument overrides, rows whose sample is gone, and one line per bad
input. Nothing here needs ../shared/data or a server."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_qnext.capability.cache import cache_key
from pytest_qnext.capability.collect import CollectError, Entry, load_entries
from pytest_qnext.capability.collection_entries import shuffled
from pytest_qnext.capability.options import CapabilitySettings
from pytest_qnext.capability.session import CapabilitySession, request_body
from pytest_qnext.collections import (
    CollectionSchema,
    DatasetInfo,
    WeightedSampler,
    read_collection,
    write_rows,
)
from pytest_qnext.evals.hub import DEMO_DATA_DIR
from pytest_qnext.perf.options import PerfSettings
from pytest_qnext.settings import Settings

DATASETS = ("mmlu_pro", "mmlu_redux", "ifeval", "math_500", "aime24", "aime25")
DC = "data_collection"


def demo_schema() -> CollectionSchema:
    """Every demo benchmark in two weighted groups (the data holds 48 rows in all)."""
    english = [
        DatasetInfo("mmlu_pro", 1, "exam", ["en"], {"few_shot_num": 0}),
        DatasetInfo("mmlu_redux", 1, "exam", ["en"]),
        DatasetInfo("ifeval", 1, "instruction", ["en"]),
    ]
    maths = [DatasetInfo(n, 1, "math", ["en", "math"]) for n in ("math_500", "aime24", "aime25")]
    return CollectionSchema(
        "Demo",
        datasets=[
            CollectionSchema("English", weight=2, datasets=list(english)),
            CollectionSchema("Math", weight=1, datasets=list(maths)),
        ],
    )


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("collection") / "demo.jsonl"
    write_rows(WeightedSampler(demo_schema(), data_dir=DEMO_DATA_DIR).sample(10**8), path)
    return path


def settings(local_path: Path | None = None, **changes: Any) -> CapabilitySettings:
    own = {"local_path": str(local_path)} if local_path is not None else {}
    args = {DC: {**own, **changes.pop("own", {})}, **changes.pop("args", {})}
    return CapabilitySettings(datasets=(DC,), dataset_args=args, data_dir=DEMO_DATA_DIR, **changes)


def body_key(entry: Entry) -> str:
    body = request_body("chat", "m", entry.messages, {"temperature": 0}, stream=True)
    return cache_key(body, entry.repeat)


def test_items_are_the_file_rows_asking_what_a_direct_run_asks(demo_file: Path) -> None:
    rows = read_collection(demo_file)
    entries, metas = load_entries(settings(demo_file))
    assert [e.item_id for e in entries] == [f"{DC}/{r.dataset_name}/{r.sample_id}" for r in rows]
    direct, direct_metas = load_entries(
        CapabilitySettings(datasets=DATASETS, data_dir=DEMO_DATA_DIR)
    )
    assert len(direct) == len(entries) == 48  # the collection holds every demo row
    by_sample = {(e.dataset, e.sample.id): e for e in direct}
    for entry in entries:
        twin = by_sample[(entry.dataset, entry.sample.id)]
        assert entry.messages == twin.messages and entry.sample == twin.sample
        assert body_key(entry) == body_key(twin)  # the same cache entry
        assert entry.collection is not None and entry.skip_reason is None
    # whole datasets: the same fingerprint as the direct run, task type from the schema
    for name in DATASETS:
        assert metas[name]["fingerprint"] == direct_metas[name]["fingerprint"]
        assert metas[name]["collection"]["source"] == str(demo_file)
    assert metas["ifeval"]["task_type"] == "instruction" != direct_metas["ifeval"]["task_type"]
    first = next(e for e in entries if e.dataset == "aime24")
    assert first.collection == {
        "task_type": "math",
        "tags": ["en", "math"],
        "categories": ["Demo", "Math"],
        "weight": pytest.approx(1 / 9),
    }


def test_shuffle_is_seeded_and_comes_before_the_limit(demo_file: Path) -> None:
    rows = read_collection(demo_file)

    def ids(**changes: Any) -> list[str]:
        return [e.item_id for e in load_entries(settings(demo_file, **changes))[0]]

    first = ids(limit=10.0)
    assert first == [f"{DC}/{r.dataset_name}/{r.sample_id}" for r in rows[:10]]
    mixed = ids(limit=10.0, own={"shuffle": True}, seed=1)
    assert mixed == ids(limit=10.0, own={"shuffle": True}, seed=1)
    assert mixed == [f"{DC}/{r.dataset_name}/{r.sample_id}" for r in shuffled(rows, 1)[:10]]
    assert mixed != first and mixed != ids(limit=10.0, own={"shuffle": True}, seed=2)
    assert len(ids(limit=0.25, own={"shuffle": True})) == 12  # a fraction of the collection


def test_a_benchmarks_own_args_override_the_rows_args(demo_file: Path) -> None:
    entries, metas = load_entries(settings(demo_file, args={"aime24": {"repeats": 2}}))
    aime = [e.item_id for e in entries if e.dataset == "aime24"]
    assert len(aime) == 6 and all(i.endswith(("#r0", "#r1")) for i in aime)
    assert metas["aime24"]["fingerprint"]["repeats"] == 2
    only = {"mmlu_redux": {"subset_list": ["world_religions"]}}
    entries, _ = load_entries(settings(demo_file, args=only))
    redux = [e for e in entries if e.dataset == "mmlu_redux"]
    assert Counter(e.skip_reason is None for e in redux) == {True: 5, False: 10}
    assert all(e.sample.subset == "world_religions" for e in redux if e.skip_reason is None)


def test_rows_whose_sample_is_gone_or_changed_are_skipped_with_the_reason(
    demo_file: Path, tmp_path: Path
) -> None:
    rows = read_collection(demo_file)
    gone = replace(rows[0], sample_id="no-such-id", sample={**rows[0].sample, "id": "no-such-id"})
    changed = replace(rows[1], sample={**rows[1].sample, "target": "changed"})
    path = tmp_path / "stale.jsonl"
    write_rows([gone, changed, *rows[2:]], path)
    entries, metas = load_entries(settings(path))
    assert len(entries) == 48  # nothing dropped
    skipped = {e.item_id: e.skip_reason for e in entries if e.skip_reason}
    assert skipped == {
        f"{DC}/{gone.dataset_name}/no-such-id": f"collection row 0: {gone.dataset_name}/"
        "no-such-id is not in the data loaded now (the data changed since the collection was "
        "built; build it again)",
        f"{DC}/{changed.dataset_name}/{changed.sample_id}": f"collection row 1: "
        f"{changed.dataset_name}/{changed.sample_id} differs from its copy in the collection "
        "file (the data changed since the collection was built; build it again)",
    }
    # the session skips them without asking anyone, and the row keeps its leaf
    spine = dict(urls=(), model=None, api="chat", timeout=1.0, retries=0, sim_spec=None)
    run = Settings(**spine, serve=None, serve_timeout=1.0, report_dir=tmp_path,
                   capability=settings(path), perf=PerfSettings())  # fmt: skip
    session = CapabilitySession(run)  # no server: a skipped item must not need one
    session.entries()
    result = session.run(f"{DC}/{gone.dataset_name}/no-such-id")
    assert result.outcome == "skipped" and result.message == skipped[result.item_id]
    assert result.row.collection is not None and result.row.dataset == gone.dataset_name
    assert metas[gone.dataset_name]["fingerprint"]["samples"] == sum(
        1 for e in entries if e.dataset == gone.dataset_name and not e.skip_reason
    )


def test_drawing_in_memory_equals_evaluating_the_built_file(
    demo_file: Path, tmp_path: Path
) -> None:
    schema = tmp_path / "demo.json"
    demo_schema().to_file(schema)
    memory, metas = load_entries(settings(collection=str(schema), limit=20.0))
    built, _ = load_entries(settings(demo_file, limit=20.0))
    assert [(e.item_id, e.messages) for e in memory] == [(e.item_id, e.messages) for e in built]
    about = next(iter(metas.values()))["collection"]
    assert (
        about["source"] == f"{schema} (drawn in memory: weighted sampler, count 100000000, seed 0)"
    )
    weighted, _ = load_entries(settings(collection=str(schema), own={"count": 9}))
    # 9 rows by the schema's weights: 2/9 to each English leaf, 1/9 to each Math leaf
    assert Counter(e.dataset for e in weighted) == {
        "mmlu_pro": 2, "mmlu_redux": 2, "ifeval": 2, "math_500": 1, "aime24": 1, "aime25": 1
    }  # fmt: skip


def _bad_cases(demo_file: Path, tmp_path: Path) -> list[tuple[CapabilitySettings, str]]:
    line = json.loads(demo_file.read_text(encoding="utf-8").splitlines()[0])
    malformed = tmp_path / "malformed.jsonl"
    malformed.write_text(json.dumps({**line, "weight": -1}) + "\n", encoding="utf-8")
    stranger = tmp_path / "stranger.jsonl"
    stranger.write_text(json.dumps({**line, "dataset_name": "mmlu_prox"}) + "\n", encoding="utf-8")
    negative = tmp_path / "negative.json"
    negative.write_text(
        json.dumps({"name": "S", "datasets": [{"name": "aime24", "weight": -2}]}), encoding="utf-8"
    )
    repeats = tmp_path / "repeats.jsonl"
    repeats.write_text(json.dumps({**line, "args": {"repeats": "2"}}) + "\n", encoding="utf-8")
    return [
        (settings(repeats), "collection row 0: "),
        (settings(demo_file, own={"mix": 1}), "unknown key(s) mix; valid: local_path, shuffle"),
        (settings(demo_file, own={"shuffle": "yes"}), "data_collection.shuffle must be true"),
        (settings(), "give the collection file, e.g."),
        (settings(demo_file, own={"count": 5}), "data_collection.count applies when"),
        (settings(demo_file, collection="qwen3"), "local_path and --qnext-collection both"),
        (settings(collection="qwen3", own={"sampler": "x"}), "sampler must be one of stratified"),
        (settings(demo_file, args={"gpqa_diamond": {}}), "gpqa_diamond is not a benchmark of"),
        (settings(tmp_path / "none.jsonl"), "none.jsonl: no such collection file"),
        (settings(malformed), "malformed.jsonl:1: weight must be a number in (0, 1]"),
        (settings(stranger), "row 0: unknown dataset 'mmlu_prox'; valid:"),
        (
            settings(collection=str(negative)),
            "negative.json: S/aime24: weight must be a number > 0",
        ),
        (settings(collection="nowhere.json"), "nowhere.json: no such schema file"),
    ]


def test_every_bad_input_is_one_line(demo_file: Path, tmp_path: Path) -> None:
    for case, message in _bad_cases(demo_file, tmp_path):
        with pytest.raises(CollectError) as info:
            load_entries(case)
        text = str(info.value)
        assert message in text and "\n" not in text and "Traceback" not in text, text
