"""Samplers over the real loaders and the offline data: quotas, caps, seeds, unavailable leaves."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pytest_qnext.collections import (
    CollectionError,
    CollectionSchema,
    DatasetInfo,
    SchemaError,
    StratifiedSampler,
    UniformSampler,
    WeightedSampler,
    read_collection,
    resolve_samples,
    write_rows,
)
from pytest_qnext.collections.rows import CollectionRow
from pytest_qnext.collections.sampler import apportion
from pytest_qnext.evals import registry
from pytest_qnext.evals.base import LoadContext


def _small() -> CollectionSchema:
    # aime24 30 rows, aime25 30, iquiz 20 (offline copies)
    return CollectionSchema(
        "Mix",
        datasets=[
            CollectionSchema(
                "Math",
                datasets=[DatasetInfo("aime24", 1, "math"), DatasetInfo("aime25", 1, "math")],
            ),
            CollectionSchema("Quiz", datasets=[DatasetInfo("iquiz", 2, "", ["zh"])], weight=2),
        ],
    )


def _per_leaf(rows: list[CollectionRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.dataset_name] = counts.get(row.dataset_name, 0) + 1
    return counts


def _file_bytes(rows: list[CollectionRow], path: Path) -> bytes:
    write_rows(rows, path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("total", "shares", "expected"),
    [
        (10, [1, 1, 1], [4, 3, 3]),
        (7, [0.25, 0.25, 0.5], [2, 2, 3]),
        (5, [0, 1, 0], [0, 5, 0]),
        (3, [0, 0], [0, 0]),
        (100, [1 / 3, 1 / 3, 1 / 3], [34, 33, 33]),
    ],
)
def test_apportion(total: int, shares: list[float], expected: list[int]) -> None:
    assert apportion(total, shares) == expected


def test_weighted_quotas_follow_normalised_weights(shared_data: Path) -> None:
    sampler = WeightedSampler(_small(), seed=1, data_dir=shared_data)
    rows = sampler.sample(24)
    # Math holds 1/3 (aime24, aime25 1/6 each), Quiz 2/3: 24 -> 4, 4, 16
    assert _per_leaf(rows) == {"aime24": 4, "aime25": 4, "iquiz": 16}
    assert [d.quota for d in sampler.draws] == [4, 4, 16]
    assert [d.available for d in sampler.draws] == [30, 30, 20]
    assert [row.index for row in rows] == list(range(24))
    iquiz = next(row for row in rows if row.dataset_name == "iquiz")
    assert iquiz.weight == pytest.approx(2 / 3)
    assert iquiz.task_type == "exam"  # empty in the schema: the benchmark's own
    assert iquiz.tags == ("zh",) and iquiz.categories == ("Mix", "Quiz")


def test_weighted_takes_every_row_when_count_exceeds_a_leaf(shared_data: Path) -> None:
    sampler = WeightedSampler(_small(), data_dir=shared_data)
    rows = sampler.sample(100_000_000)
    assert _per_leaf(rows) == {"aime24": 30, "aime25": 30, "iquiz": 20}
    assert len({(r.dataset_name, r.sample_id) for r in rows}) == 80  # without replacement


def test_stratified_keeps_natural_proportions(shared_data: Path) -> None:
    sampler = StratifiedSampler(_small(), data_dir=shared_data)
    rows = sampler.sample(40)  # sizes 30:30:20 -> 15, 15, 10
    assert _per_leaf(rows) == {"aime24": 15, "aime25": 15, "iquiz": 10}
    assert [r.weight for r in rows if r.dataset_name == "iquiz"] == [pytest.approx(2 / 3)] * 10


def test_uniform_takes_the_same_count_from_each(shared_data: Path) -> None:
    rows = UniformSampler(_small(), data_dir=shared_data).sample(30)
    assert _per_leaf(rows) == {"aime24": 10, "aime25": 10, "iquiz": 10}


def test_same_seed_same_bytes_other_seed_other_order(shared_data: Path, tmp_path: Path) -> None:
    def build(seed: int, name: str) -> bytes:
        rows = WeightedSampler(_small(), seed=seed, data_dir=shared_data).sample(1000)
        return _file_bytes(rows, tmp_path / name)

    first, again, other = build(7, "a.jsonl"), build(7, "b.jsonl"), build(8, "c.jsonl")
    assert hashlib.sha256(first).digest() == hashlib.sha256(again).digest()
    assert first != other
    # taking everything, a seed changes the order only
    ids = [sorted((r.dataset_name, r.sample_id) for r in read_collection(tmp_path / n))
           for n in ("a.jsonl", "c.jsonl")]  # fmt: skip
    assert ids[0] == ids[1]


def test_a_leafs_draw_ignores_its_siblings(shared_data: Path) -> None:
    both = WeightedSampler(_small(), seed=3, data_dir=shared_data).sample(12)
    alone = CollectionSchema(
        "Mix",
        datasets=[
            CollectionSchema("Quiz", datasets=[DatasetInfo("iquiz", 2, "", ["zh"])], weight=2)
        ],
    )
    only = WeightedSampler(alone, seed=3, data_dir=shared_data).sample(8)
    assert {r.sample_id for r in both if r.dataset_name == "iquiz"} == {r.sample_id for r in only}


def test_subset_list_is_applied(shared_data: Path) -> None:
    schema = CollectionSchema("S", datasets=[DatasetInfo("iquiz", args={"subset_list": ["EQ"]})])
    rows = WeightedSampler(schema, data_dir=shared_data).sample(1000)
    assert len(rows) == 10 and {r.subset_name for r in rows} == {"EQ"}
    assert {r.sample_id for r in rows} == {f"EQ/{i}" for i in range(10)}


def test_bad_subset_is_a_schema_error(shared_data: Path) -> None:
    schema = CollectionSchema("S", datasets=[DatasetInfo("iquiz", args={"subset_list": ["XQ"]})])
    with pytest.raises(SchemaError, match=r"^S/iquiz: .*XQ") as exc:
        WeightedSampler(schema, data_dir=shared_data).sample(10)
    assert "\n" not in str(exc.value)


def test_unknown_benchmark_stops_before_loading(tmp_path: Path) -> None:
    schema = CollectionSchema("S", datasets=[DatasetInfo("aime24"), DatasetInfo("mmlu_prox")])
    seen: list[str] = []
    sampler = WeightedSampler(
        schema, data_dir=tmp_path, progress=lambda d, t, label: seen.append(label)
    )
    with pytest.raises(SchemaError, match=r"^S/mmlu_prox: unknown dataset 'mmlu_prox'; valid: "):
        sampler.sample(10)
    assert seen == []  # nothing was loaded


def test_unavailable_leaves_are_recorded_and_the_rest_builds(shared_data: Path) -> None:
    schema = CollectionSchema(
        "S",
        datasets=[
            DatasetInfo("aime24"),
            DatasetInfo("live_code_bench", args={"subset_list": ["v5_v6"]}),
            DatasetInfo("mmlu_pro", args={"local_path": str(shared_data / "nowhere")}),
        ],
    )
    sampler = WeightedSampler(schema, data_dir=shared_data)
    rows = sampler.sample(30)
    assert _per_leaf(rows) == {"aime24": 10}  # the others keep their share of the count
    reasons = {d.leaf.name: d.unavailable for d in sampler.draws}
    assert reasons["aime24"] == ""
    assert reasons["live_code_bench"].startswith(
        "S/live_code_bench: live_code_bench: no file livecodebench/test5.jsonl"
    )
    assert reasons["mmlu_pro"].startswith("S/mmlu_pro: mmlu_pro: ")
    assert all("\n" not in reason for reason in reasons.values())


def test_nothing_loadable_is_an_error(tmp_path: Path) -> None:
    schema = CollectionSchema("S", datasets=[DatasetInfo("live_code_bench")])
    with pytest.raises(
        CollectionError, match=r"^no leaf of 'S' could be loaded: S/live_code_bench"
    ):
        WeightedSampler(schema, data_dir=tmp_path).sample(5)


def test_overlapping_leaves_of_one_benchmark_are_refused(shared_data: Path) -> None:
    schema = CollectionSchema(
        "S",
        datasets=[
            CollectionSchema("A", datasets=[DatasetInfo("iquiz")]),
            CollectionSchema("B", datasets=[DatasetInfo("iquiz", args={"subset_list": ["IQ"]})]),
        ],
    )
    with pytest.raises(SchemaError, match=r"^S/A/iquiz and S/B/iquiz both hold iquiz/IQ/0"):
        WeightedSampler(schema, data_dir=shared_data).sample(10)
    disjoint = CollectionSchema(
        "S",
        datasets=[
            CollectionSchema("A", datasets=[DatasetInfo("iquiz", args={"subset_list": ["EQ"]})]),
            CollectionSchema("B", datasets=[DatasetInfo("iquiz", args={"subset_list": ["IQ"]})]),
        ],
    )
    assert len(WeightedSampler(disjoint, data_dir=shared_data).sample(100)) == 20


@pytest.mark.parametrize("count", [0, -3, 2.5, True])
def test_count_must_be_a_positive_integer(shared_data: Path, count: object) -> None:
    with pytest.raises(CollectionError, match="count must be an integer >= 1"):
        WeightedSampler(_small(), data_dir=shared_data).sample(count)  # type: ignore[arg-type]


def test_rows_round_trip_to_the_loaders_samples(shared_data: Path, tmp_path: Path) -> None:
    rows = WeightedSampler(_small(), seed=5, data_dir=shared_data).sample(1000)
    write_rows(rows, tmp_path / "x.jsonl")
    back = read_collection(tmp_path / "x.jsonl")
    assert back == rows
    samples = resolve_samples(back, shared_data)
    assert [row.to_sample() for row in back] == samples
    assert [s.id for s in samples] == [r.sample_id for r in rows]


def test_gpqa_text_is_withheld_and_resolved_from_the_encrypted_data(
    shared_data: Path, tmp_path: Path
) -> None:
    schema = CollectionSchema("S", datasets=[DatasetInfo("gpqa_diamond", task_type="knowledge")])
    rows = WeightedSampler(schema, data_dir=shared_data).sample(1000)
    path = tmp_path / "gpqa.jsonl"
    text = _file_bytes(rows, path).decode("utf-8")
    assert len(rows) == 198
    assert all(r.withheld and set(r.sample) == {"id", "subset"} for r in rows)
    assert all(r.to_sample() is None for r in rows)
    loaded = registry.get("gpqa_diamond").load(LoadContext(shared_data, {}))
    # no question or answer text of any sample is in the file (compared in memory only)
    assert not [s.id for s in loaded if s.input[:60] in text]
    assert not [s.id for s in loaded if any(len(c) > 20 and c in text for c in s.choices)]
    resolved = resolve_samples(read_collection(path), shared_data)
    by_id = {s.id: s for s in loaded}
    assert [s.id for s in resolved] == [r.sample_id for r in rows]
    assert all(s.input == by_id[s.id].input for s in resolved)


def test_resolve_names_a_sample_the_data_lost(shared_data: Path) -> None:
    rows = WeightedSampler(_small(), data_dir=shared_data).sample(3)
    gone = CollectionRow(**{**rows[0].__dict__, "sample_id": "999999"})
    with pytest.raises(CollectionError, match=r"/999999 is not in the data loaded now"):
        resolve_samples([gone], shared_data)
