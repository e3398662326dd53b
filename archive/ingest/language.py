"""Offline language detection for page text with py3langid, restricted to likely languages.

The model takes about half a second to load, so it is loaded once, lazily, and `preload()`
lets a worker load it before forking extraction children, which then inherit it for free.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier

logger = logging.getLogger(__name__)

# Languages of the workshops plus their usual neighbours; restricting the set keeps short or
# technical pages from being labelled with obscure languages.
LANGUAGES = (
    "en", "ru", "az", "kk", "de", "fr", "es", "tr", "uk", "ar", "zh", "ja", "ko", "he", "el",
    "it", "pt", "nl", "pl", "fa", "ky", "uz", "be",
)  # fmt: skip
MIN_LETTERS = 20  # below this, no detector can tell reliably
MIN_CONFIDENCE = 0.5
SAMPLE_CHARS = 5000  # the start of a page is enough, and bounds the cost of huge pages
CHECK_CHARS = 400  # enough to tell whether a page is in the document's language

_identifier = None
_lock = threading.Lock()


def detect_language(text: str) -> str | None:
    """Return the ISO 639-1 code of the text's language, or None when it is too short or
    unclear."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    language, confidence = identifier().classify(sample)
    return language if confidence >= MIN_CONFIDENCE else None


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """Each page's language, the document's language detected once for the pages that agree.

    The document's language is detected on the start of all its pages together; a page whose
    own first CHECK_CHARS characters give the same language is taken to be in it, and only a
    page that disagrees (a Russian slide in an English deck) is detected on its own, as
    `detect_language` does. The classifier walks its input byte by byte in Python, so this
    reads a fraction of what detecting every page fully did.
    """
    if not any(texts):
        return [None] * len(texts)
    whole = detect_language("\n".join(text[:SAMPLE_CHARS] for text in texts)[:SAMPLE_CHARS])
    return [page_language(text, whole) for text in texts]


def page_language(text: str, document: str | None) -> str | None:
    """One page's language, given the document's."""
    if sum(ch.isalpha() for ch in text[:SAMPLE_CHARS]) < MIN_LETTERS:
        return None
    if document is not None and identifier().classify(text[:CHECK_CHARS])[0] == document:
        return document
    return detect_language(text)


def preload() -> None:
    """Load the model now (call before forking so that children inherit it)."""
    identifier()


def identifier() -> Any:
    """Return the shared identifier, loading it on first use."""
    global _identifier
    # Lock-free once loaded: a child forked while another thread held the lock must not wait.
    if _identifier is not None:
        return _identifier
    with _lock:
        if _identifier is None:
            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            _identifier.set_languages(list(LANGUAGES))
            logger.debug("loaded the language model")
        return _identifier
