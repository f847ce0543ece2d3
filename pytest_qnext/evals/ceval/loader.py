"""C-Eval loader and prompt.

Sample id = `<subject>/<id>` (the CSV's `id` column); subset = subject; target = `answer`.
Evaluated split: `val` (like EvalScope; `test` has no public answers). Local layout:
`ceval/val/<subject>_val.csv` (the official CSV columns `id,question,A,B,C,D,answer,explanation`,
read as strings) and, for few-shot, `ceval/dev/<subject>_dev.csv`. Zero-shot by default;
`few_shot_num` 1-5 prepends the first N dev exemplars of the same subject with their
explanation, in EvalScope's layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, LoadContext
from pytest_qnext.evals.ceval.subjects import SUBJECTS
from pytest_qnext.evals.hub import hub_id_for, load_records, present_subsets
from pytest_qnext.evals.mcq import check_few_shot, check_subsets, format_choices
from pytest_qnext.sample import Message, Sample

__all__ = ["HUB_ID", "load", "prompt", "row_to_sample"]

HUB_ID = "ceval/ceval-exam"
_COLUMNS = ("id", "question", "A", "B", "C", "D", "answer", "explanation")
_LAYOUT = "ceval/val/<subject>_val.csv (and ceval/dev/<subject>_dev.csv for few-shot)"
_HEAD = (
    "以下是中国关于{subject}的单项选择题，请选出其中的正确答案。你的回答的最后一行应该是这样的格式："
    '"答案：[LETTER]"（不带引号），其中 [LETTER] 是 A、B、C、D 中的一个。'
)


def row_to_sample(subject: str, row: Mapping[str, Any]) -> Sample:
    """One C-Eval CSV/hub record of `subject` -> Sample."""
    rid = str(row.get("id", "")).strip()
    answer = str(row.get("answer") or "").strip()
    missing = [c for c in ("A", "B", "C", "D") if row.get(c) is None]
    if not rid or answer not in ("A", "B", "C", "D") or missing:
        raise DatasetUnavailable(
            f"ceval: {subject} record id={rid or '?'} needs id, A-D and an answer letter A-D"
        )
    return Sample(
        id=f"{subject}/{rid}",
        input=str(row.get("question") or ""),
        target=answer,
        choices=tuple(str(row[c]) for c in ("A", "B", "C", "D")),
        subset=subject,
        metadata={"explanation": str(row.get("explanation") or "")},
    )


def _records(ctx: LoadContext, subject: str, split: str) -> list[dict[str, Any]]:
    return load_records(
        ctx,
        dataset="ceval",
        hub_id=hub_id_for(ctx, HUB_ID),
        subset=subject,
        split=split,
        local_glob=f"ceval/{split}/{subject}_{split}.csv",
        csv_features=dict.fromkeys(_COLUMNS, "string"),
        layout=_LAYOUT,
    )


def _exemplar(sample: Sample) -> str:
    return (
        f"问题：{sample.input}\n选项：\n{format_choices(sample.choices, '. ')}\n"
        f"解析：{sample.metadata.get('explanation', '')}\n答案：{sample.target}\n"
    )


def load(ctx: LoadContext) -> list[Sample]:
    """Val rows of the requested subjects (all 52 by default; see `present_subsets`)."""
    subjects = check_subsets("ceval", ctx, SUBJECTS)
    shots = check_few_shot("ceval", ctx, 5)
    subjects = present_subsets(
        ctx, dataset="ceval", subsets=subjects, local_glob="ceval/val/{subset}_val.csv"
    )
    samples: list[Sample] = []
    for subject in subjects:
        rows = [row_to_sample(subject, r) for r in _records(ctx, subject, "val")]
        if shots:
            dev = [row_to_sample(subject, r) for r in _records(ctx, subject, "dev")][:shots]
            if len(dev) < shots:
                raise DatasetUnavailable(
                    f"ceval: dev split of {subject} has {len(dev)} rows, few_shot_num={shots}"
                )
            text = "\n".join(_exemplar(s) for s in dev)
            rows = [
                Sample(
                    s.id, s.input, s.target, s.choices, s.subset, {**s.metadata, "few_shot": text}
                )
                for s in rows
            ]
        samples.extend(rows)
    return samples


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    """EvalScope's C-Eval template (Chinese subject name, "A. …" options, 答案：X)."""
    head = _HEAD.format(subject=SUBJECTS[sample.subset][0])
    body = f"{head}\n\n问题：{sample.input}\n选项：\n{format_choices(sample.choices, '. ')}\n"
    shots = str(sample.metadata.get("few_shot", ""))
    if shots:
        body = f"以下是一些示例问题：\n\n{shots}\n\n{body}"
    return [{"role": "user", "content": body}]
