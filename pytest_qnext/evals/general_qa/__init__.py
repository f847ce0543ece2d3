"""general_qa: your own question/answer pairs from a JSONL file, scored by answer match.

Each row: `id`, `question`, `answer` (a string, or a list of accepted strings). The model is
asked to end with `ANSWER: <answer>`; the text after the last `ANSWER:` (else the last
non-empty line) is compared with the reference. Metrics: `acc` (normalised match: case,
punctuation, articles and spacing ignored; the primary metric) and `exact_match` (after
trimming whitespace only).
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Any

from pytest_qnext.evals.base import DatasetUnavailable, EvalSpec, LoadContext
from pytest_qnext.evals.general_mcq.loader import read_rows, required_text
from pytest_qnext.sample import Message, Sample, Score

__all__ = ["SPEC", "extract_answer", "load", "normalize", "oracle", "prompt", "score"]

EXAMPLE = "my_qa.jsonl"
_ANSWER = re.compile(r"answer\s*[:：]\s*(.*)", re.IGNORECASE)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | {"。", "，", "：", "；", "！", "？"}
_INSTRUCTION = (
    "Answer the question below. Keep it short, and finish with a line of the form "
    "'ANSWER: <your answer>'."
)


def normalize(text: str) -> str:
    """Lower case, no punctuation, no English articles, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if ch in _PUNCT else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def extract_answer(response: str) -> str | None:
    """The text after the last `ANSWER:`, else the last non-empty line; None if empty."""
    found = None
    for line in response.splitlines():
        match = _ANSWER.search(line)
        if match:
            found = match.group(1)
    if found is None:
        lines = [line for line in response.splitlines() if line.strip()]
        found = lines[-1] if lines else None
    if found is None:
        return None
    found = found.strip().strip("*").strip()
    return found or None


def _answers(record: dict[str, Any], where: str) -> list[str]:
    raw = record.get("answer")
    values = raw if isinstance(raw, list) else [raw]
    answers = [
        str(v) for v in values if isinstance(v, (str, int, float)) and not isinstance(v, bool)
    ]
    if not answers or len(answers) != len(values) or not all(a.strip() for a in answers):
        raise DatasetUnavailable(
            f"general_qa: {where}: 'answer' must be a non-empty string (or a list of them)"
        )
    return answers


def load(ctx: LoadContext) -> list[Sample]:
    samples = []
    for subset, sample_id, record, where in read_rows("general_qa", ctx, EXAMPLE):
        question = required_text("general_qa", record, "question", where)
        answers = _answers(record, where)
        samples.append(
            Sample(
                id=sample_id,
                input=question,
                target=answers[0],
                subset=subset,
                metadata={"answers": answers},
            )
        )
    return samples


def prompt(sample: Sample, ctx: LoadContext) -> list[Message]:
    return [{"role": "user", "content": f"{_INSTRUCTION}\n\n{sample.input}"}]


def score(sample: Sample, response: str) -> Score:
    answers = list(sample.metadata.get("answers") or [sample.target])
    extracted = extract_answer(response)
    if extracted is None:
        return Score(
            "unparsed", {"acc": (0.0, 1.0), "exact_match": (0.0, 1.0)}, None, "empty response"
        )
    exact = any(extracted.strip() == a.strip() for a in answers)
    norm = normalize(extracted)
    ok = exact or any(norm == normalize(a) for a in answers)
    metrics = {"acc": (float(ok), 1.0), "exact_match": (float(exact), 1.0)}
    return Score("pass" if ok else "fail", metrics, extracted)


def oracle(sample: Sample, correct: bool) -> str:
    """A response graded pass (correct=True) or fail."""
    answer = sample.target if correct else f"not {sample.target}"
    return f"ANSWER: {answer}"


SPEC = EvalSpec(
    name="general_qa",
    task_type="qa",
    primary_metric="acc",
    version="1",
    load=load,
    prompt=prompt,
    score=score,
    metrics=("acc", "exact_match"),
    oracle=oracle,
    description="Custom question/answer pairs from a JSONL file (local_path), normalised match",
)
