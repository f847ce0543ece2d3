"""Text tools the IFEval checkers share: NLTK data lookup, word/sentence counts, language id.

Sentence splitting uses NLTK's punkt model in its `punkt_tab` form, the same English parameters
the reference checker loads. The data is found through `configure_nltk(path)` or the standard
`NLTK_DATA` environment variable (NLTK's own search path); when it is missing, the first count
raises `NltkDataMissing` with one line telling the user how to point at it.

Language identification is `langdetect` with `DetectorFactory.seed = 0`, so a verdict does not
change between runs.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import nltk
from langdetect import DetectorFactory, LangDetectException, detect
from nltk.tokenize.destructive import NLTKWordTokenizer
from nltk.tokenize.punkt import PunktTokenizer

from pytest_qnext.evals.base import DatasetUnavailable

__all__ = [
    "LANGDETECT_SEED",
    "NltkDataMissing",
    "configure_nltk",
    "count_sentences",
    "count_words",
    "detect_language",
    "word_tokenize",
]

LANGDETECT_SEED = 0
_PUNKT_RESOURCE = "tokenizers/punkt_tab/english/"
BUNDLED_NLTK_DATA = str(Path(__file__).resolve().parents[3] / "data" / "nltk_data")
_WORD_RE = re.compile(r"\w+")

_lock = threading.Lock()
_punkt: PunktTokenizer | None = None
_treebank = NLTKWordTokenizer()


class NltkDataMissing(DatasetUnavailable):
    """NLTK's punkt_tab model could not be found; the message is one line.

    A DatasetUnavailable, so collection reports it like any other missing data.
    """


def _missing_message(extra: str | None) -> str:
    where = f"{extra} or " if extra else ""
    return (
        f"IFEval needs NLTK's punkt_tab English model ({_PUNKT_RESOURCE}), not found in "
        f"{where}NLTK's search path; set NLTK_DATA to a directory holding "
        "tokenizers/punkt_tab (e.g. python -m nltk.downloader -d DIR punkt_tab)"
    )


def configure_nltk(path: str | os.PathLike[str] | None = None) -> None:
    """Make punkt_tab available, from `path` if given, else from `NLTK_DATA` / NLTK defaults.

    `path` is a directory containing `tokenizers/punkt_tab/english/`. It is put first on
    NLTK's search path; the English punkt_tab bundled in `pytest_qnext/data/nltk_data` comes
    last. Raises `NltkDataMissing` when the model cannot be found.
    """
    global _punkt
    search: list[str] = []
    if path is not None:
        search.append(os.fspath(path))
    env = os.environ.get("NLTK_DATA")
    if env:
        search.extend(p for p in env.split(os.pathsep) if p)
    with _lock:
        for entry in reversed(search):
            if entry in nltk.data.path:
                nltk.data.path.remove(entry)
            nltk.data.path.insert(0, entry)
        if BUNDLED_NLTK_DATA not in nltk.data.path:
            nltk.data.path.append(BUNDLED_NLTK_DATA)  # last resort: the copy shipped with us
        try:
            _punkt = PunktTokenizer("english")
        except LookupError:
            _punkt = None
            raise NltkDataMissing(
                _missing_message(os.fspath(path) if path is not None else None)
            ) from None


def _sentence_tokenizer() -> PunktTokenizer:
    if _punkt is None:
        configure_nltk(None)
    assert _punkt is not None
    return _punkt


def count_words(text: str) -> int:
    """Number of `\\w+` runs (the reference's word count, NLTK's RegexpTokenizer(r"\\w+"))."""
    return len(_WORD_RE.findall(text))


def count_sentences(text: str) -> int:
    """Number of sentences according to NLTK punkt (English)."""
    return len(_sentence_tokenizer().tokenize(text))


def word_tokenize(text: str) -> list[str]:
    """NLTK's `word_tokenize`: punkt sentences, then the improved Treebank tokenizer."""
    return [
        token
        for sentence in _sentence_tokenizer().tokenize(text)
        for token in _treebank.tokenize(sentence)
    ]


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from langdetect (seed 0), or None when langdetect finds no features."""
    DetectorFactory.seed = LANGDETECT_SEED
    try:
        return str(detect(text))
    except LangDetectException:
        return None
