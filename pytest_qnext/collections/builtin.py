"""Built-in schemas, by name: `qwen3` is the collection of EvalScope's Qwen3-Next best practice.

That recipe mixes ten benchmarks in four weighted groups, every weight 1 (so each group holds a
quarter of the index and its leaves share that quarter equally), zero-shot throughout, with
LiveCodeBench restricted to its `v5_v6` problems released 2025-01-01 to 2025-04-30.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_qnext.collections.schema import CollectionSchema, DatasetInfo

__all__ = ["BUILTINS", "builtin", "planned_benchmarks", "qwen3"]

_ZERO_SHOT = {"few_shot_num": 0}


def qwen3() -> CollectionSchema:
    """EvalScope's Qwen3 test collection (the `Qwen3-Test-Collection` recipe)."""

    def leaf(name: str, task_type: str, tag: str, **args: object) -> DatasetInfo:
        return DatasetInfo(name, 1, task_type, [tag], {**_ZERO_SHOT, **args})

    def group(name: str, *leaves: DatasetInfo) -> CollectionSchema:
        return CollectionSchema(name, datasets=list(leaves))

    lcb_window = {"start_date": "2025-01-01", "end_date": "2025-04-30"}
    return CollectionSchema(
        "Qwen3",
        datasets=[
            group(
                "English",
                leaf("mmlu_pro", "exam", "en"),
                leaf("mmlu_redux", "exam", "en"),
                leaf("ifeval", "instruction", "en"),
            ),
            group("Chinese", leaf("ceval", "exam", "zh"), leaf("iquiz", "exam", "zh")),
            group(
                "Code",
                leaf(
                    "live_code_bench", "code", "en", subset_list=["v5_v6"], extra_params=lcb_window
                ),
            ),
            group(
                "Math&Science",
                leaf("math_500", "math", "en"),
                leaf("aime24", "math", "en"),
                leaf("aime25", "math", "en"),
                leaf("gpqa_diamond", "knowledge", "en"),
            ),
        ],
    )


#: name -> factory (a fresh, mutable schema each call)
BUILTINS: dict[str, Callable[[], CollectionSchema]] = {"qwen3": qwen3}


def builtin(name: str) -> CollectionSchema | None:
    """The built-in schema called `name`, or None."""
    factory = BUILTINS.get(name)
    return factory() if factory is not None else None


def planned_benchmarks() -> frozenset[str]:
    """Benchmarks the built-in schemas name. One the registry lacks is *unavailable* in this
    version (its leaf is skipped with one line), not a typo (which stops the build)."""
    return frozenset(leaf.name for factory in BUILTINS.values() for leaf in factory().leaves())
