"""Loading a leaf's samples through the real benchmark loaders.

`registry.get(name).load(LoadContext(data_dir, args, seed))`, then the leaf's `subset_list`
applied as a capability run applies it (a subset the data does not hold is an error naming the
valid ones). Three ways a leaf can fail, kept apart:

* the benchmark is unknown (a typo) -> `SchemaError`, the build stops;
* a benchmark a built-in schema names but this version does not ship, or whose data cannot be
  loaded (`DatasetUnavailable`: no local copy, hub unreachable) -> `LeafUnavailable`, the leaf
  is skipped with that one line and the rest still builds;
* its arguments are invalid (`BadDatasetArgs`: bad `few_shot_num`, unknown subset) ->
  `SchemaError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_qnext.collections.builtin import planned_benchmarks
from pytest_qnext.collections.schema import CollectionError, SchemaError
from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.sample import Sample

__all__ = ["LeafUnavailable", "load_leaf", "spec_for"]


class LeafUnavailable(CollectionError):
    """This leaf's benchmark or data is not available here; one line saying why."""


def spec_for(name: str, where: str) -> EvalSpec:
    """The registered benchmark `name`; `LeafUnavailable` for a planned one this version lacks,
    `SchemaError` for an unknown name (`where` names the leaf in the message)."""
    from pytest_qnext.evals import registry

    try:
        return registry.get(name)
    except KeyError as exc:
        if name in planned_benchmarks():
            raise LeafUnavailable(
                f"{where}: benchmark {name!r} is not in this version of pytest-qnext"
            ) from None
        raise SchemaError(f"{where}: {exc.args[0]}") from None


def load_leaf(
    spec: EvalSpec, args: Mapping[str, Any], data_dir: Path | None, seed: int, where: str
) -> list[Sample]:
    """The leaf's samples in loader order, restricted to its `subset_list`; ids checked unique."""
    ctx = LoadContext(data_dir=data_dir, args=dict(args), seed=seed)
    from pytest_qnext.evals.hub import BadDatasetArgs

    try:
        samples = list(spec.load(ctx))
    except BadDatasetArgs as exc:
        raise SchemaError(f"{where}: {exc}") from None
    except DatasetUnavailable as exc:
        raise LeafUnavailable(f"{where}: {exc}") from None
    samples = _select_subsets(samples, ctx.subset_list, where)
    seen: set[str] = set()
    for sample in samples:
        if sample.id in seen:
            raise CollectionError(
                f"{where}: sample id {sample.id!r} occurs twice; ids must be unique"
            )
        seen.add(sample.id)
    return samples


def _select_subsets(
    samples: list[Sample], subsets: Sequence[str] | None, where: str
) -> list[Sample]:
    if not subsets:
        return samples
    known = {s.subset for s in samples}
    unknown = [s for s in subsets if s not in known]
    if unknown:
        raise SchemaError(
            f"{where}: args.subset_list names subset(s) {', '.join(unknown)} the data does not "
            f"hold; valid: {', '.join(sorted(known))}"
        )
    wanted = set(subsets)
    return [s for s in samples if s.subset in wanted]
