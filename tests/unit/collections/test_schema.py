"""Collection schemas: normalisation, category paths, JSON/YAML round trip, one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from pytest_qnext.collections import (
    CollectionSchema,
    DatasetInfo,
    SchemaError,
    builtin,
    load_schema,
)


def _mixed() -> CollectionSchema:
    return CollectionSchema(
        "Root",
        datasets=[
            CollectionSchema(
                "A",
                datasets=[
                    DatasetInfo("aime24", 1, "math", ["en"]),
                    DatasetInfo("aime25", 3, "math", ["en"], {"few_shot_num": 0}),
                ],
            ),
            CollectionSchema("B", datasets=[DatasetInfo("iquiz", 2, "exam", ["zh"])], weight=3),
        ],
    )


def test_flatten_normalises_level_by_level() -> None:
    leaves = _mixed().flatten()
    # A holds 1/4 of the root, B 3/4; within A the leaves hold 1/4 and 3/4 of A
    expected = {"aime24": 1 / 4 * 1 / 4, "aime25": 1 / 4 * 3 / 4, "iquiz": 3 / 4 * 1.0}
    assert {leaf.name: leaf.weight for leaf in leaves} == pytest.approx(expected)
    assert math.fsum(leaf.weight for leaf in leaves) == pytest.approx(1.0)
    assert [leaf.hierarchy for leaf in leaves] == [("Root", "A"), ("Root", "A"), ("Root", "B")]
    assert leaves[1].path == ("Root", "A", "aime25")
    # the schema itself is untouched
    first_leaf = next(_mixed().leaves())
    assert first_leaf.weight == 1 and first_leaf.hierarchy == ()


def test_qwen3_builtin_is_evalscopes_recipe() -> None:
    leaves = builtin("qwen3").flatten()  # type: ignore[union-attr]
    by_name = {leaf.name: leaf for leaf in leaves}
    assert list(by_name) == [
        "mmlu_pro", "mmlu_redux", "ifeval", "ceval", "iquiz", "live_code_bench",
        "math_500", "aime24", "aime25", "gpqa_diamond",
    ]  # fmt: skip
    groups = {leaf.hierarchy[1] for leaf in leaves}
    assert groups == {"English", "Chinese", "Code", "Math&Science"}
    # four groups of weight 1: each holds a quarter, shared equally by its leaves
    for group in groups:
        members = [leaf for leaf in leaves if leaf.hierarchy[1] == group]
        assert math.fsum(leaf.weight for leaf in members) == pytest.approx(0.25)
    assert by_name["ifeval"].task_type == "instruction"
    assert by_name["gpqa_diamond"].task_type == "knowledge"
    assert by_name["ceval"].tags == ("zh",) and by_name["iquiz"].tags == ("zh",)
    lcb = by_name["live_code_bench"].args
    assert lcb["subset_list"] == ["v5_v6"]
    assert lcb["extra_params"] == {"start_date": "2025-01-01", "end_date": "2025-04-30"}
    assert all(leaf.args["few_shot_num"] == 0 for leaf in leaves)


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_file_round_trip(tmp_path: Path, suffix: str) -> None:
    schema = _mixed()
    path = tmp_path / f"schema{suffix}"
    schema.to_file(path)
    back = CollectionSchema.from_file(path)
    assert back.to_dict() == schema.to_dict()
    assert back.flatten() == schema.flatten()
    if suffix == ".json":
        assert json.loads(path.read_text())["datasets"][1]["weight"] == 3


def test_reads_evalscope_dump_with_hierarchy_key(tmp_path: Path) -> None:
    # EvalScope's dump_json writes asdict(DatasetInfo), which includes `hierarchy`
    data = {
        "name": "reasoning",
        "weight": 1,
        "datasets": [
            {"name": "english", "weight": 1, "datasets": [
                {"name": "aime24", "weight": 1, "task_type": "", "tags": ["en"], "args": {},
                 "hierarchy": []}]},
        ],
    }  # fmt: skip
    path = tmp_path / "evalscope.json"
    path.write_text(json.dumps(data))
    (leaf,) = load_schema(str(path)).flatten()
    assert leaf.hierarchy == ("reasoning", "english") and leaf.weight == 1.0


def _one_line(exc: pytest.ExceptionInfo[SchemaError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and text
    return text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": "R", "datasets": [{"name": "aime24", "weight": -1}]},
         "R/aime24: weight must be a number > 0, got -1"),
        ({"name": "R", "datasets": [{"name": "aime24", "weight": "heavy"}]},
         "R/aime24: weight must be a number > 0"),
        ({"name": "R", "datasets": []}, "R: empty node"),
        ({"name": "R", "datasets": [{"name": "E", "datasets": []}]}, "R/E: empty node"),
        ({"name": "R", "datasets": [{"name": "aime24", "wieght": 2}]},
         "R/aime24: unknown key(s) wieght; valid: name, weight"),
        ({"name": "R", "datasets": [{"name": "aime24"}, {"name": "aime24"}]},
         "R: two children named 'aime24'"),
        ({"name": "", "datasets": [{"name": "aime24"}]}, "root: name must be a non-empty string"),
        ({"name": "R", "datasets": [{"name": "aime24", "tags": "en"}]},
         "R/aime24: tags must be a list of strings"),
        ({"name": "R", "datasets": [["aime24"]]}, "R entry 1: expected a dataset mapping"),
        ([1, 2], "root: expected a mapping with name and datasets, got list"),
    ],
)  # fmt: skip
def test_bad_schema_data_is_one_line(data: object, expected: str) -> None:
    with pytest.raises(SchemaError) as exc:
        CollectionSchema.from_dict(data, "s.json")
    assert _one_line(exc).startswith(f"s.json: {expected}")


def test_weight_and_datasets_are_keywords_as_in_evalscope() -> None:
    with pytest.raises(TypeError):
        CollectionSchema("R", [DatasetInfo("aime24")])  # type: ignore[misc]
    schema = CollectionSchema(name="R", weight=2, datasets=[DatasetInfo("aime24")])
    assert schema.to_dict()["weight"] == 2


def test_cycle_in_objects_is_one_line() -> None:
    inner = CollectionSchema("Inner", datasets=[DatasetInfo("aime24")])
    root = CollectionSchema("Root", datasets=[inner])
    inner.datasets.append(root)
    with pytest.raises(SchemaError) as exc:
        root.flatten()
    assert "Root/Inner/Root: cycle" in _one_line(exc)


def test_recursive_yaml_alias_is_a_cycle(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("&root\nname: R\ndatasets:\n  - *root\n")
    with pytest.raises(SchemaError) as exc:
        CollectionSchema.from_file(path)
    assert "cycle" in _one_line(exc)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.json", '{"name": "R", "datasets": [', "bad.json:1: not valid JSON"),
        ("bad.yaml", "name: R\ndatasets: [\n", "bad.yaml:3: not valid YAML"),
    ],
)
def test_unparsable_file_is_one_line(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SchemaError) as exc:
        CollectionSchema.from_file(path)
    assert _one_line(exc).startswith(str(tmp_path / expected))


def test_load_schema_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_schema("qwen3").name == "Qwen3"
    module = tmp_path / "my_schemas.py"
    module.write_text(
        "from pytest_qnext.collections import CollectionSchema, DatasetInfo\n"
        "MIX = CollectionSchema('Mix', datasets=[DatasetInfo('aime24', 2),\n"
        "                                        DatasetInfo('aime25', 1)])\n"
        "AS_DICT = {'name': 'D', 'datasets': [{'name': 'aime24'}]}\n"
        "def make():\n    return MIX\n"
        "LOOP = CollectionSchema('Loop', datasets=[DatasetInfo('aime24')])\n"
        "LOOP.datasets.append(LOOP)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert [leaf.weight for leaf in load_schema("my_schemas:MIX").flatten()] == pytest.approx(
        [2 / 3, 1 / 3]
    )
    assert load_schema("my_schemas:make").name == "Mix"
    assert load_schema("my_schemas:AS_DICT").name == "D"
    with pytest.raises(SchemaError) as exc:
        load_schema("my_schemas:LOOP")
    assert _one_line(exc) == (
        "my_schemas:LOOP: Loop/Loop: cycle (this node contains itself); a schema must be a tree"
    )
    with pytest.raises(SchemaError) as exc:
        load_schema("my_schemas:NOPE")
    assert "has no attribute 'NOPE'" in _one_line(exc)
    with pytest.raises(SchemaError) as exc:
        load_schema("no_such_module_xyz:S")
    assert "cannot import no_such_module_xyz" in _one_line(exc)
    with pytest.raises(SchemaError) as exc:
        load_schema(str(tmp_path / "missing.json"))
    assert "no such schema file" in _one_line(exc) and "qwen3" in _one_line(exc)
