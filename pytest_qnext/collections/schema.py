"""Collection schemas: a named tree of weighted nodes whose leaves are benchmarks.

EvalScope's model, with its names: a `CollectionSchema(name, weight, datasets=[...])` holds
further schemas or `DatasetInfo(name, weight, task_type, tags, args)` leaves, where `name` is a
registered benchmark and `args` are that benchmark's dataset arguments (`few_shot_num`,
`subset_list`, `extra_params`, ...). Weights are relative among siblings: `flatten()`
normalises them level by level, so a leaf's weight is its share within its parent times the
parent's share, and the leaves' weights sum to 1.

A schema is checked as a whole (`validate`): every problem is one `SchemaError` line naming the
node by its path ("Qwen3/English/mmlu_pro") and saying what to change. Files are JSON or YAML
(by suffix); `to_dict`/`from_dict` is the plain-data form both use.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "CollectionError",
    "CollectionSchema",
    "DatasetInfo",
    "SchemaError",
    "path_label",
    "read_text",
]

_YAML_SUFFIXES = (".yaml", ".yml")
_LEAF_KEYS = ("name", "weight", "task_type", "tags", "args")
_NODE_KEYS = ("name", "weight", "datasets")
# EvalScope's `asdict(DatasetInfo)` also writes `hierarchy` (filled by its flatten); accepted
# on input so its schema files load, never written (we derive it from the tree)
_IGNORED_LEAF_KEYS = ("hierarchy",)


class CollectionError(Exception):
    """A collection cannot be built, shown or read; the message is one line saying what to fix."""


class SchemaError(CollectionError):
    """The schema itself is wrong (structure, weights, names, benchmark arguments)."""


def read_text(source: Path, what: str, error: type[CollectionError]) -> str:
    """A UTF-8 file's text; `error("<file>: no such <what>")` (or why it cannot be read)."""
    try:
        return source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{source}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{source}: cannot read the {what} ({exc})") from None


def path_label(path: Sequence[str]) -> str:
    """ "Qwen3/English/mmlu_pro": how messages and `show` name a node."""
    return "/".join(path)


@dataclass(frozen=True)
class DatasetInfo:
    """A leaf: one benchmark with its weight among its siblings and its dataset arguments.

    `task_type` "" means the benchmark's own task type. `hierarchy` is filled by
    `CollectionSchema.flatten()`: the names of the nodes from the root to this leaf's parent
    (the leaf's category path).
    """

    name: str
    weight: float = 1.0
    task_type: str = ""
    tags: Sequence[str] = ()
    args: Mapping[str, Any] = field(default_factory=dict)
    hierarchy: Sequence[str] = ()

    def __post_init__(self) -> None:
        # accept EvalScope-style lists and dicts (and one tag as a string); store copies
        tags = (self.tags,) if isinstance(self.tags, str) else tuple(self.tags)
        object.__setattr__(self, "tags", tags)
        object.__setattr__(self, "hierarchy", tuple(self.hierarchy))
        object.__setattr__(self, "args", copy.deepcopy(dict(self.args)))

    @property
    def path(self) -> tuple[str, ...]:
        """The category path followed by the leaf's own name."""
        return (*self.hierarchy, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "weight": self.weight,
            "task_type": self.task_type,
            "tags": list(self.tags),
            "args": dict(self.args),
        }


@dataclass
class CollectionSchema:
    """A node: a name, a weight among its siblings, and its children (nodes or leaves)."""

    name: str
    # EvalScope's order (name, weight, datasets), keyword-only as EvalScope's examples pass
    # them: a positional list can never land in `weight`
    weight: float = field(default=1.0, kw_only=True)
    datasets: list[DatasetInfo | CollectionSchema] = field(default_factory=list, kw_only=True)

    def __str__(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    # -- plain data -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        self.validate()
        return self._to_dict()

    def _to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "weight": self.weight,
            "datasets": [
                child._to_dict() if isinstance(child, CollectionSchema) else child.to_dict()
                for child in self.datasets
            ],
        }

    @classmethod
    def from_dict(cls, data: Any, label: str = "schema") -> CollectionSchema:
        """Build and validate a schema from plain data; `label` prefixes error messages."""
        schema = _node_from_data(data, (), label, [])
        schema.validate(label)
        return schema

    def to_file(self, path: str | Path) -> None:
        """Write as YAML (.yaml/.yml) or JSON (any other suffix), UTF-8."""
        target = Path(path)
        data = self.to_dict()
        if target.suffix.lower() in _YAML_SUFFIXES:
            import yaml

            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        else:
            text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        target.write_text(text, encoding="utf-8")

    @classmethod
    def from_file(cls, path: str | Path) -> CollectionSchema:
        """Read a JSON or YAML schema file; every problem is one `SchemaError` line."""
        source = Path(path)
        text = read_text(source, "schema file", SchemaError)
        if source.suffix.lower() in _YAML_SUFFIXES:
            data = _parse_yaml(text, source)
        else:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SchemaError(
                    f"{source}:{exc.lineno}: not valid JSON ({exc.msg}); a schema file is JSON, "
                    "or YAML with a .yaml/.yml suffix"
                ) from None
        return cls.from_dict(data, str(source))

    # -- structure --------------------------------------------------------------------------

    def validate(self, label: str = "schema") -> None:
        """Raise `SchemaError` (one line) for a cycle, an empty node, a bad weight or name, or
        two siblings with the same name; return None for a valid schema."""
        _check_node(self, (), label, [])

    def flatten(self) -> list[DatasetInfo]:
        """The leaves in schema order, each with its normalised weight (the leaves' weights
        sum to 1) and its category path in `hierarchy` (root name first)."""
        self.validate()
        return list(_flatten(self, (), 1.0))

    def leaves(self) -> Iterator[DatasetInfo]:
        """The leaves as written (weights not normalised, no hierarchy), in schema order."""
        for child in self.datasets:
            if isinstance(child, CollectionSchema):
                yield from child.leaves()
            else:
                yield child


def _flatten(
    node: CollectionSchema, parents: tuple[str, ...], share: float
) -> Iterator[DatasetInfo]:
    path = (*parents, node.name)
    total = math.fsum(float(child.weight) for child in node.datasets)
    for child in node.datasets:
        child_share = float(child.weight) / total * share
        if isinstance(child, CollectionSchema):
            yield from _flatten(child, path, child_share)
        else:
            yield replace(child, weight=child_share, hierarchy=path)


def _check_weight(weight: object, where: str) -> None:
    ok = isinstance(weight, (int, float)) and not isinstance(weight, bool)
    if not ok or not math.isfinite(float(weight)) or float(weight) <= 0:  # type: ignore[arg-type]
        raise SchemaError(
            f"{where}: weight must be a number > 0, got {weight!r} (weights are relative among "
            "siblings; remove an entry to leave it out)"
        )


def _check_name(name: object, where: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise SchemaError(f"{where}: name must be a non-empty string, got {name!r}")


def _check_node(
    node: CollectionSchema, parents: tuple[str, ...], label: str, stack: list[int]
) -> None:
    where = f"{label}: {path_label((*parents, str(node.name)))}" if parents else f"{label}: root"
    if id(node) in stack:
        raise SchemaError(f"{where}: cycle (this node contains itself); a schema must be a tree")
    _check_name(node.name, where)
    path = (*parents, node.name)
    where = f"{label}: {path_label(path)}"
    _check_weight(node.weight, where)
    if not isinstance(node.datasets, list) or not node.datasets:
        raise SchemaError(f"{where}: empty node; give it at least one dataset or sub-collection")
    stack.append(id(node))
    seen: set[str] = set()
    for child in node.datasets:
        if isinstance(child, CollectionSchema):
            _check_node(child, path, label, stack)
        elif isinstance(child, DatasetInfo):
            _check_leaf(child, path, label)
        else:
            raise SchemaError(
                f"{where}: children must be CollectionSchema or DatasetInfo, got "
                f"{type(child).__name__}"
            )
        if child.name in seen:
            raise SchemaError(
                f"{where}: two children named {child.name!r}; give siblings distinct names "
                "(put the same benchmark under different nodes to use it twice)"
            )
        seen.add(child.name)
    stack.pop()


def _check_leaf(leaf: DatasetInfo, parents: tuple[str, ...], label: str) -> None:
    where = f"{label}: {path_label((*parents, str(leaf.name)))}"
    _check_name(leaf.name, where)
    _check_weight(leaf.weight, where)
    if not isinstance(leaf.task_type, str):
        raise SchemaError(f"{where}: task_type must be a string, got {leaf.task_type!r}")
    bad_tags = [t for t in leaf.tags if not isinstance(t, str) or not t]
    if bad_tags:
        raise SchemaError(f"{where}: tags must be non-empty strings, got {bad_tags[0]!r}")
    bad_keys = [k for k in leaf.args if not isinstance(k, str)]
    if bad_keys:
        raise SchemaError(f"{where}: args keys must be strings, got {bad_keys[0]!r}")
    try:
        json.dumps(leaf.args, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{where}: args must be plain JSON data ({exc})") from None


def _node_from_data(
    data: Any, parents: tuple[str, ...], label: str, stack: list[int]
) -> CollectionSchema:
    where = f"{label}: {path_label(parents)}" if parents else f"{label}: root"
    if not isinstance(data, Mapping):
        raise SchemaError(
            f"{where}: expected a mapping with name and datasets, got {type(data).__name__}"
        )
    if id(data) in stack:  # YAML anchors can make a node contain itself
        raise SchemaError(f"{where}: cycle (this node contains itself); a schema must be a tree")
    name = data.get("name")
    _check_name(name, where)
    path = (*parents, str(name))
    where = f"{label}: {path_label(path)}"
    _unknown_keys(data, _NODE_KEYS, where)
    children = data.get("datasets")
    if not isinstance(children, list):
        raise SchemaError(f"{where}: datasets must be a list, got {type(children).__name__}")
    stack.append(id(data))
    nodes: list[DatasetInfo | CollectionSchema] = []
    for index, child in enumerate(children):
        if isinstance(child, Mapping) and "datasets" in child:
            nodes.append(_node_from_data(child, path, label, stack))
        else:
            nodes.append(_leaf_from_data(child, path, index, label))
    stack.pop()
    return CollectionSchema(name=str(name), datasets=nodes, weight=data.get("weight", 1.0))


def _leaf_from_data(data: Any, parents: tuple[str, ...], index: int, label: str) -> DatasetInfo:
    where = f"{label}: {path_label(parents)} entry {index + 1}"
    if not isinstance(data, Mapping):
        raise SchemaError(
            f"{where}: expected a dataset mapping (name, weight, task_type, tags, args) or a "
            f"sub-collection (name, datasets), got {type(data).__name__}"
        )
    _check_name(data.get("name"), where)
    where = f"{label}: {path_label((*parents, str(data['name'])))}"
    _unknown_keys(data, _LEAF_KEYS + _IGNORED_LEAF_KEYS, where)
    tags = data.get("tags", [])
    if isinstance(tags, str) or not isinstance(tags, list):
        raise SchemaError(f"{where}: tags must be a list of strings, got {tags!r}")
    args = data.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise SchemaError(f"{where}: args must be a mapping, got {type(args).__name__}")
    return DatasetInfo(
        name=str(data["name"]),
        weight=data.get("weight", 1.0),
        task_type=data.get("task_type", "") or "",
        tags=tags,
        args=args,
    )


def _unknown_keys(data: Mapping[Any, Any], known: Sequence[str], where: str) -> None:
    unknown = [str(k) for k in data if k not in known]
    if unknown:
        raise SchemaError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; valid: {', '.join(known)}"
        )


def _parse_yaml(text: str, source: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise SchemaError(f"{source}{line}: not valid YAML ({problem})") from None
