"""The prompt and the code extraction, as EvalScope and the official runner have them.

Two flavours (dataset argument `flavour`):

* `evalscope` (default): EvalScope 1.x `live_code_bench` — the generic system message (with
  "You will NOT return anything except for the program.") and its user template, which has a
  space before "### Answer". This is the official LiveCodeBench prompt as it stood before its
  2025-01-13 update, and what the EvalScope numbers we compare with were produced with.
* `official`: LiveCodeBench's runner today (`lcb_runner/prompts/code_generation.py` @ 28fef95,
  OpenAI-chat style): a shorter system message and one more sentence for stdin problems.

Either way the user message is the question, then a format section — with starter code:
complete the given class/function; without: read stdin, write stdout — and an answer cue asking
for a fenced block. Extraction is the official `extract_code`: the text between the last two
lines that contain three backticks ("" when there are fewer than two such lines).
"""

from __future__ import annotations

__all__ = ["SYSTEM_MESSAGES", "extract_code", "user_message"]

_ROLE = (
    "You are an expert Python programmer. You will be given a question (problem specification) "
    "and will generate a correct Python program that matches the specification and passes all "
    "tests."
)
SYSTEM_MESSAGES = {
    "evalscope": _ROLE + " You will NOT return anything except for the program.",
    "official": _ROLE,
}
_WITH_STARTER = (
    "You will use the following starter code to write the solution to the problem and enclose "
    "your code within delimiters."
)
_WITHOUT_STARTER = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not "
    "directly test on the sample inputs). Enclose your code within delimiters as follows."
)
_WITHOUT_STARTER_OFFICIAL = (
    _WITHOUT_STARTER + " Ensure that when the python program runs, it reads the inputs, runs "
    "the algorithm and writes output to STDOUT."
)
_ANSWER_CUE = "### Answer: (use the provided format with backticks)\n\n"


def user_message(question: str, starter_code: str, flavour: str) -> str:
    """The user turn for one problem in the given flavour."""
    if starter_code:
        fmt = f"### Format: {_WITH_STARTER}\n```python\n{starter_code}\n```\n\n"
    else:
        instruction = _WITHOUT_STARTER if flavour == "evalscope" else _WITHOUT_STARTER_OFFICIAL
        fmt = f"### Format: {instruction}\n```python\n# YOUR CODE HERE\n```\n\n"
    glue = " " if flavour == "evalscope" else ""  # EvalScope's template: "{format_prompt} ###"
    return f"### Question:\n{question}\n\n{fmt}{glue}{_ANSWER_CUE}"


def extract_code(response: str) -> str:
    """The code of the last fenced block ("" when there is none)."""
    lines = response.split("\n")
    fences = [i for i, line in enumerate(lines) if "```" in line]
    if len(fences) < 2:
        return ""
    return "\n".join(lines[fences[-2] + 1 : fences[-1]])
