"""Offline language detection for page text with py3langid, restricted to likely languages.

The model takes about half a second to load, so it is loaded once, lazily, and `preload()`
lets a worker load it before forking extraction children, which then inherit it for free.
"""

from __future__ import annotations

import logging
import threading
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
