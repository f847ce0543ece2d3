"""Shared multiple-choice pieces: prompts, the letter scorer, the oracle, argument checks.

Prompts follow EvalScope's zero-shot chat templates word for word (so our scores are
comparable with an `evalscope run_task` over the same server): the model is asked to think
step by step and end with a fixed answer line, `ANSWER: X` in English, `答案：X` in Chinese.
The scorer reads the letter with `pytest_qnext.scoring.extract.extract_letter` (precedence
documented there); no letter -> outcome "unparsed", never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from pytest_qnext.evals.base import EvalSpec, LoadContext
from pytest_qnext.evals.hub import BadDatasetArgs
from pytest_qnext.sample import Message, Sample, Score
from pytest_qnext.scoring.extract import LETTERS, extract_letter, extract_letter_tiger_lab

__all__ = [
    "EN_INSTRUCTION",
    "ZH_INSTRUCTION",
    "check_few_shot",
    "check_subsets",
    "format_choices",
    "letters_for",
    "mcq_spec",
    "oracle_response",
    "score_letter",
    "user_prompt",
    "wrong_letter",
]

Lang = Literal["en", "zh"]

EN_INSTRUCTION = (
    "Answer the following multiple choice question. The last line of your response should be "
    "of the following format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of "
    "{letters}. Think step by step before answering."
)
ZH_INSTRUCTION = (
    "回答下面的单项选择题，请选出其中的正确答案。你的回答的最后一行应该是这样的格式："
    '"答案：[LETTER]"（不带引号），其中 [LETTER] 是 {letters} 中的一个。请在回答前进行一步步思考。'
)


def letters_for(choices: Sequence[str] | int) -> str:
    """ "ABCD" for four choices; at most 26."""
    n = choices if isinstance(choices, int) else len(choices)
    if not 2 <= n <= len(LETTERS):
        raise ValueError(f"a multiple-choice question needs 2 to {len(LETTERS)} choices, got {n}")
    return LETTERS[:n]


def format_choices(choices: Sequence[str], sep: str = ") ") -> str:
    """ "A) first\\nB) second" (`sep` ". " gives C-Eval's "A. first")."""
    return "\n".join(f"{letter}{sep}{text}" for letter, text in zip(LETTERS, choices, strict=False))


def user_prompt(
    sample: Sample, *, layout: Literal["plain", "labelled"] = "plain", lang: Lang = "en"
) -> str:
    """The zero-shot question text.

    `plain`: instruction, blank line, question, blank line, choices (MMLU-Redux, GPQA).
    `labelled`: "Question:\\n…\\nOptions:\\n…" (MMLU-Pro) or "问题：…\\n选项：\\n…" (iQuiz).
    """
    letters = ",".join(letters_for(sample.choices))
    template = ZH_INSTRUCTION if lang == "zh" else EN_INSTRUCTION
    head = template.format(letters=letters)
    choices = format_choices(sample.choices)
    if layout == "plain":
        return f"{head}\n\n{sample.input}\n\n{choices}"
    if lang == "zh":
        return f"{head}\n\n问题：{sample.input}\n选项：\n{choices}\n"
    return f"{head}\n\nQuestion:\n{sample.input}\nOptions:\n{choices}\n"


def score_letter(sample: Sample, response: str) -> Score:
    """{"acc": (1|0, 1)}; "unparsed" when no valid answer letter is found."""
    valid = letters_for(sample.choices)
    if sample.metadata.get("extraction") == "tiger_lab":
        extracted = extract_letter_tiger_lab(response, valid)
    else:
        extracted = extract_letter(response, valid)
    if extracted is None:
        return Score(
            "unparsed", {"acc": (0.0, 1.0)}, None, f"no answer letter ({valid[0]}-{valid[-1]})"
        )
    if extracted == sample.target:
        return Score("pass", {"acc": (1.0, 1.0)}, extracted)
    return Score(
        "fail", {"acc": (0.0, 1.0)}, extracted, f"answered {extracted}, expected {sample.target}"
    )


def wrong_letter(sample: Sample) -> str:
    """A deterministic wrong letter: the one after the target, wrapping around."""
    valid = letters_for(sample.choices)
    return valid[(valid.index(sample.target) + 1) % len(valid)]


def oracle_response(sample: Sample, correct: bool, lang: Lang = "en") -> str:
    """A short response ending with the answer line; graded pass (correct) or fail."""
    letter = sample.target if correct else wrong_letter(sample)
    if lang == "zh":
        return f"逐项比较各选项后得出结论。\n答案：{letter}"
    return f"Comparing the options one by one settles it.\nANSWER: {letter}"


def check_subsets(dataset: str, ctx: LoadContext, valid: Iterable[str]) -> list[str]:
    """The requested subsets (all of `valid` when none requested); unknown names -> one line."""
    known = list(valid)
    requested = ctx.subset_list
    if not requested:
        return known
    unknown = [name for name in requested if name not in known]
    if unknown:
        raise BadDatasetArgs(
            f"{dataset}: unknown subset(s) {', '.join(map(str, unknown))} in subset_list; "
            f"valid: {', '.join(known)}"
        )
    return [name for name in known if name in requested]


def check_few_shot(dataset: str, ctx: LoadContext, maximum: int) -> int:
    """`few_shot_num` as an int in 0..maximum, or one line saying what is allowed."""
    raw = ctx.args.get("few_shot_num", 0)
    try:
        n = int(raw)
    except (TypeError, ValueError):
        n = -1
    fractional = isinstance(raw, float) and not raw.is_integer()
    if n < 0 or n > maximum or isinstance(raw, bool) or fractional:
        allowed = "0 (zero-shot only)" if maximum == 0 else f"an integer from 0 to {maximum}"
        raise BadDatasetArgs(f"{dataset}: few_shot_num must be {allowed}, got {raw!r}")
    return n


def mcq_spec(
    *,
    name: str,
    load: Callable[[LoadContext], Sequence[Sample]],
    prompt: Callable[[Sample, LoadContext], list[Message]],
    hub_id: str,
    description: str,
    lang: Lang = "en",
    version: str = "1",
    for_repeat: Callable[[Sample, int], Sample] | None = None,
    dataset_args: tuple[str, ...] = (),
) -> EvalSpec:
    """An EvalSpec with the shared letter scorer and oracle; task_type "exam", metric "acc"."""

    def oracle(sample: Sample, correct: bool) -> str:
        return oracle_response(sample, correct, lang)

    return EvalSpec(
        name=name,
        task_type="exam",
        primary_metric="acc",
        version=version,
        load=load,
        prompt=prompt,
        score=score_letter,
        metrics=("acc",),
        for_repeat=for_repeat,
        oracle=oracle,
        hub_id=hub_id,
        description=description,
        dataset_args=dataset_args,
    )
