"""Offline language detection for page text with py3langid, restricted to likely languages.

The model takes about half a second to load, so it is loaded once, lazily, and `preload()`
lets a worker load it before forking extraction children, which then inherit it for free.

A statistical model is unsure of short texts: a one-page form in Russian has too few
letters, and "Дата подписи" is scored Ukrainian. Where the model is unsure, or names a
Cyrillic language whose own letters the text never uses, the script decides together with a
hint (the deck's or the event's language): `detect_language(text, hint)`.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
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
MIN_LETTERS = 20  # below this, the model cannot tell reliably
MIN_SCRIPT_LETTERS = 4  # below this, not even the script says anything
MIN_CONFIDENCE = 0.5
SAMPLE_CHARS = 5000  # the start of a page is enough, and bounds the cost of huge pages
CHECK_CHARS = 400  # enough to tell whether a page is in the document's language

CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "be", "kk", "ky", "bg", "mk", "sr", "tg", "mn"})
LATIN_LANGUAGES = frozenset(
    {"en", "az", "de", "fr", "es", "tr", "it", "pt", "nl", "pl", "uz", "tk"}
)
# Letters that only some Cyrillic languages use, checked in this order: a text without any
# of them and with Russian's own letters is Russian, whatever the model says.
OWN_LETTERS = (("kk", "әғқңөұүһ"), ("uk", "їєґ"), ("be", "ў"), ("uk", "і"))
RUSSIAN_LETTERS = "ыэъ"

_identifier = None
_lock = threading.Lock()


def detect_language(text: str, hint: str | None = None) -> str | None:
    """The ISO 639-1 code of the text's language, or None when it cannot be told.

    `hint` is the language of the deck or event the text belongs to; it decides between the
    languages of the text's script when the model is unsure."""
    return classify_language(text) or language_by_script(text, hint)


def classify_language(text: str) -> str | None:
    """The model's answer when it is confident and the letters do not contradict it."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    language, confidence = identifier().classify(sample)
    if confidence < MIN_CONFIDENCE:
        return None
    if language in CYRILLIC_LANGUAGES and language != "ru":
        own = cyrillic_by_letters(sample.lower())
        if own == "ru":
            return "ru"
    return language


def language_by_script(text: str, hint: str | None = None) -> str | None:
    """A guess from the alphabet: Cyrillic text is Russian unless its letters or the hint
    say which other Cyrillic language; Latin text is only named by a Latin-script hint or
    by letters of its own (ə: Azerbaijani)."""
    sample = text[:SAMPLE_CHARS].lower()
    script = dominant_script(sample)
    hint = (hint or "").lower() or None
    if script == "cyrillic":
        own = cyrillic_by_letters(sample)
        if own not in (None, "ru"):
            return own
        if hint in CYRILLIC_LANGUAGES and own is None:
            return hint
        return "ru"
    if script == "latin":
        if "ə" in sample:
            return "az"
        return hint if hint in LATIN_LANGUAGES else None
    return None


def cyrillic_by_letters(lowered: str) -> str | None:
    """The Cyrillic language whose own letters the text uses; "ru" for Russian-only letters
    without any other's; None when the letters say nothing."""
    for language, letters in OWN_LETTERS:
        if any(letter in lowered for letter in letters):
            return language
    if any(letter in lowered for letter in RUSSIAN_LETTERS):
        return "ru"
    return None


def dominant_script(lowered: str) -> str | None:
    """ "cyrillic" or "latin" when most letters are of that script and there are enough."""
    counts = {"cyrillic": 0, "latin": 0, "other": 0}
    for ch in lowered:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("CYRILLIC"):
            counts["cyrillic"] += 1
        elif name.startswith("LATIN"):
            counts["latin"] += 1
        else:
            counts["other"] += 1
    total = sum(counts.values())
    if total < MIN_SCRIPT_LETTERS:
        return None
    script = max(counts, key=counts.get)
    return script if script != "other" and counts[script] * 2 > total else None


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """Each page's language, the document's language detected once for the pages that agree.

    The document's language is detected on the start of all its pages together; a page whose
    own first CHECK_CHARS characters give the same language is taken to be in it, and only a
    page that disagrees (a Russian slide in an English deck) is detected on its own by
    `classify_language` (only where the model is sure: the caller decides the rest with the
    deck's and the event's language, see `detect_language`). The classifier walks its input
    byte by byte in Python, so this reads a fraction of what detecting every page fully did.
    """
    if not any(texts):
        return [None] * len(texts)
    whole = classify_language("\n".join(text[:SAMPLE_CHARS] for text in texts)[:SAMPLE_CHARS])
    return [page_language(text, whole) for text in texts]


def page_language(text: str, document: str | None) -> str | None:
    """One page's language, given the document's."""
    if sum(ch.isalpha() for ch in text[:SAMPLE_CHARS]) < MIN_LETTERS:
        return None
    if document is not None and identifier().classify(text[:CHECK_CHARS])[0] == document:
        return document
    return classify_language(text)


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
