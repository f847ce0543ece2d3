"""Loading a leaf's samples through the real benchmark loaders.

`registry.get(name).load(LoadContext(data_dir, args, seed))`, then the leaf's `subset_list`
applied as a capability run applies it, by the same helper (`capability.select`): a subset the
data does not hold is an error naming the valid ones. Three ways a leaf can fail, kept apart:

* the benchmark is unknown (a typo) -> `SchemaError`, the build stops;
* a benchmark a built-in schema names but this version does not ship, or whose data cannot be
  loaded (`DatasetUnavailable`: no local copy, hub unreachable) -> `LeafUnavailable`, the leaf
  is skipped with that one line and the rest still builds;
* its arguments are invalid (`BadDatasetArgs`: bad `few_shot_num`, unknown subset) ->
  `SchemaError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_qnext.capability.select import SelectionError, UnknownSubset, select_samples
from pytest_qnext.collections.builtin import planned_benchmarks
from pytest_qnext.collections.schema import CollectionError, SchemaError
from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.sample import Sample

if TYPE_CHECKING:
    from pytest_qnext.evals.registry import Registry

__all__ = ["LeafUnavailable", "load_leaf", "spec_for"]


class LeafUnavailable(CollectionError):
    """This leaf's benchmark or data is not available here; one line saying why."""


def spec_for(name: str, where: str, benchmarks: Registry | None = None) -> EvalSpec:
    """The benchmark `name` in `benchmarks` (the installed ones when None); `LeafUnavailable`
    for a planned one this version lacks, `SchemaError` for an unknown name (`where` names the
    leaf in the message)."""
    from pytest_qnext.evals import registry

    try:
        return (benchmarks if benchmarks is not None else registry.default()).get(name)
    except KeyError as exc:
        if name in planned_benchmarks():
            raise LeafUnavailable(
                f"{where}: benchmark {name!r} is not in this version of pytest-qnext"
            ) from None
        raise SchemaError(f"{where}: {exc.args[0]}") from None


def load_leaf(
    spec: EvalSpec, args: Mapping[str, Any], data_dir: Path | None, seed: int, where: str
) -> list[Sample]:
    """The leaf's samples in loader order, restricted to its `subset_list`; ids checked unique
    (the checks a direct run makes, `capability.select`)."""
    ctx = LoadContext(data_dir=data_dir, args=dict(args), seed=seed)
    from pytest_qnext.evals.hub import BadDatasetArgs

    try:
        return select_samples(spec.name, spec.load(ctx), ctx.subset_list)
    except BadDatasetArgs as exc:
        raise SchemaError(f"{where}: {exc}") from None
    except DatasetUnavailable as exc:
        raise LeafUnavailable(f"{where}: {exc}") from None
    except UnknownSubset as exc:
        raise SchemaError(f"{where}: args.subset_list: {exc}") from None
    except SelectionError as exc:
        raise CollectionError(f"{where}: {exc}") from None
