"""MMLU-Redux 2.0 loader and prompt.

Sample id = `<subject>/<row index>` (row index within the subject's test split, from 0);
subset = subject; target = the letter of `answer` (0-3), exactly as EvalScope scores it (the
annotators' free-text `correct_answer` is kept in metadata, not used as the target).

`error_type` is normalised to lower snake case (the hub has ~27 spellings: "OK", "Wrong
Groundtruth", ...). Dataset argument `exclude_error_types`: a list of error types to drop, or
"not_ok" to keep only rows annotated `ok`. Default: nothing excluded (all 5,700 rows), like
EvalScope, so the score is comparable with its table; use "not_ok" (5,330 rows) for a score on
questions the annotators found sound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.hub import BadDatasetArgs, hub_id_for, load_records, present_subsets
from pytest_qnext.evals.mcq import check_few_shot, check_subsets, letters_for, user_prompt
from pytest_qnext.sample import Message, Sample

__all__ = ["ERROR_TYPES", "HUB_ID", "SUBJECTS", "load", "prompt", "row_to_sample"]

HUB_ID = "edinburgh-dawg/mmlu-redux-2.0"
ERROR_TYPES = (
    "ok", "bad_question_clarity", "bad_options_clarity", "no_correct_answer",
    "multiple_correct_answers", "wrong_groundtruth", "expert",
)  # fmt: skip
SUBJECTS = (
    "abstract_algebra", "anatomy", "astronomy", "business_ethics", "clinical_knowledge",
    "college_biology", "college_chemistry", "college_computer_science", "college_mathematics",
    "college_medicine", "college_physics", "computer_security", "conceptual_physics",
    "econometrics", "electrical_engineering", "elementary_mathematics", "formal_logic",
    "global_facts", "high_school_biology", "high_school_chemistry",
    "high_school_computer_science", "high_school_european_history", "high_school_geography",
    "high_school_government_and_politics", "high_school_macroeconomics",
    "high_school_mathematics", "high_school_microeconomics", "high_school_physics",
    "high_school_psychology", "high_school_statistics", "high_school_us_history",
    "high_school_world_history", "human_aging", "human_sexuality", "international_law",
    "jurisprudence", "logical_fallacies", "machine_learning", "management", "marketing",
    "medical_genetics", "miscellaneous", "moral_disputes", "moral_scenarios", "nutrition",
    "philosophy", "prehistory", "professional_accounting", "professional_law",
    "professional_medicine", "professional_psychology", "public_relations", "security_studies",
    "sociology", "us_foreign_policy", "virology", "world_religions",
)  # fmt: skip
_LAYOUT = "mmlu_redux/<subject>.jsonl (one per subject, edinburgh-dawg/mmlu-redux-2.0 schema)"


def normalise_error_type(raw: object) -> str:
    """ "Wrong Groundtruth " -> "wrong_groundtruth"; missing -> "ok"."""
    text = str(raw or "ok").strip().lower()
    return "_".join(text.replace("-", " ").split())


def _excluded(ctx: LoadContext) -> set[str]:
    raw = ctx.args.get("exclude_error_types", [])
    if raw == "not_ok":
        return set(ERROR_TYPES) - {"ok"}
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        raise BadDatasetArgs(
            f'mmlu_redux: exclude_error_types must be a list of error types or "not_ok", '
            f"got {raw!r}"
        )
    unknown = [t for t in raw if t not in ERROR_TYPES]
    if unknown:
        raise BadDatasetArgs(
            f"mmlu_redux: unknown error type(s) {', '.join(map(str, unknown))} in "
            f'exclude_error_types; valid: {", ".join(ERROR_TYPES)} or "not_ok"'
        )
    return set(raw)


def row_to_sample(subject: str, index: int, row: Mapping[str, Any]) -> Sample:
    """One record (row `index` of `subject`) -> Sample."""
    choices = row.get("choices")
    answer = row.get("answer")
    where = f"mmlu_redux: {subject} row {index}"
    if not isinstance(choices, list) or not isinstance(answer, int) or isinstance(answer, bool):
        raise DatasetUnavailable(f"{where} lacks choices (list) or answer (int)")
    letters = letters_for(len(choices))
    if not 0 <= answer < len(letters):
        raise DatasetUnavailable(f"{where} has answer {answer} outside its {len(choices)} choices")
    return Sample(
        id=f"{subject}/{index}",
        input=str(row.get("question") or ""),
        target=letters[answer],
        choices=tuple(str(c) for c in choices),
        subset=subject,
        metadata={
            "error_type": normalise_error_type(row.get("error_type")),
            "correct_answer": row.get("correct_answer"),
            "source": row.get("source"),
        },
    )


def load(ctx: LoadContext) -> list[Sample]:
    """Every requested subject (all 57 by default), in subject-list then row order.

    Without subset_list, a local folder holding only some subjects loads those (see
    `pytest_qnext.evals.hub.present_subsets`).
    """
    subjects = check_subsets("mmlu_redux", ctx, SUBJECTS)
    subjects = present_subsets(
        ctx, dataset="mmlu_redux", subsets=subjects, local_glob="mmlu_redux/{subset}.jsonl"
    )
    check_few_shot("mmlu_redux", ctx, 0)
    excluded = _excluded(ctx)
    samples: list[Sample] = []
    for subject in subjects:
        records = load_records(
            ctx,
            dataset="mmlu_redux",
            hub_id=hub_id_for(ctx, HUB_ID),
            subset=subject,
            split="test",
            local_glob=f"mmlu_redux/{subject}.jsonl",
            layout=_LAYOUT,
        )
        for index, row in enumerate(records):
            sample = row_to_sample(subject, index, row)
            if sample.metadata["error_type"] not in excluded:
                samples.append(sample)
    return samples


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    """EvalScope's MMLU-Redux zero-shot template."""
    return [{"role": "user", "content": user_prompt(sample, layout="plain")}]
