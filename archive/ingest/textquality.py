"""Which pages' text layers to trust, and which to recognise from the page image instead.

A page is recognised when its text layer is
- empty (a scan, a deck saved as pictures);
- thin: fewer than THIN_WORDS words on a page that images mostly cover (a scanned slide
  with only its title as text, a page number on a photo);
- unreadable: text that is not what the page shows. Fonts without a proper Unicode map give
  private-use or unassigned characters, glyph names (`g42`, `/uni0416`, `(cid:12)`), or
  another script's look-alikes (Cyrillic read as Latin: "Hanorosas AeKnapai..."). Old OCR
  layers give fragments. The tests, in order: the share of bad characters in the raw layer,
  the share of glyph-name tokens, then, over Latin and Cyrillic words of 4+ letters, the
  dictionary hit rate (eng+rus+aze word lists), the share of malformed words (digits or
  capitals inside) where few words are known, and the page's script against its
  language's, else its document's (a Latin page in a Cyrillic deck).

cp1251 read as Latin-1 is not among them: `textnorm` repairs it before anyone looks.
Thresholds were set on the real corpus (see bench/text_layers.py) so that every page of
the text, slides and nonlatin folders is trusted.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from archive.models import OcrReason

THIN_WORDS = 5
MOSTLY_IMAGE = 0.5
BAD_CHAR_SHARE = 0.1
GLYPH_NAME_SHARE = 0.3
MIN_WORDS_TO_JUDGE = 8  # fewer words of 4+ letters: no statistics, only the tests above
MIN_WORDS_FOR_DICTIONARY = 20  # a short page in a language without a list (German) passes
# Words of 4+ letters found in the eng+rus+aze lists (measured on the corpus): real slides
# and text 0.9-1.0, German 0.2-0.5, look-alike garbage 0.00-0.07, a bad OCR layer ~0.2.
NO_DICTIONARY_HITS = 0.1
FEW_DICTIONARY_HITS = 0.3
MALFORMED_SHARE = 0.1  # with few known words; real text 0.00-0.05, garbage 0.15-0.55
MALFORMED_ALONE = 0.35  # without any word list (Tesseract missing)
LOOKALIKE_HITS = 0.5  # a Latin page in a Cyrillic document (or the reverse) below this

WORD_RE = re.compile(r"[^\W\d_]{3,}")
LONG_WORD_RE = re.compile(r"[^\W\d_]{4,}")
TOKEN_RE = re.compile(r"\S+")
GLYPH_NAME_RE = re.compile(
    r"^(?:/?(?:g|G|glyph|uni|u|cid|C)[0-9A-Fa-f]{2,6}|\(cid:\d+\)|/[A-Za-z]+\d+)$"
)
MALFORMED_RE = re.compile(r"[^\W\d_]+\d+[^\W\d_]+|[^\W\d_]*[a-zа-яё][A-ZА-ЯЁ][a-zа-яё]")
BAD_CATEGORIES = ("Co", "Cn", "Cs")  # private use, unassigned, surrogates
# The word lists cover these scripts; they are also the pair whose letters look alike.
JUDGED_SCRIPTS = ("LATIN", "CYRILLIC")
SCRIPT_OF_LANGUAGE = {
    "en": "LATIN", "az": "LATIN", "tr": "LATIN", "de": "LATIN", "fr": "LATIN", "es": "LATIN",
    "ru": "CYRILLIC", "kk": "CYRILLIC", "uk": "CYRILLIC", "ky": "CYRILLIC", "be": "CYRILLIC",
}  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """Whether to recognise a page (`reason` an OcrReason, or None to trust its layer), and
    the test that decided, for logs and the corpus report."""

    reason: str | None
    test: str = ""


TRUSTED = Verdict(None)


def assess_pages(
    pages: list[tuple[str, str, float]],
    languages: Iterable[str | None] = (),
    dictionary: frozenset[str] = frozenset(),
) -> list[Verdict]:
    """A verdict per page from (raw text, normalised text, image share) triples; the
    document's script comes from all its pages, so one odd page stands out."""
    expected = {SCRIPT_OF_LANGUAGE[c] for c in languages if c in SCRIPT_OF_LANGUAGE}
    document = dominant_script(" ".join(text for _, text, _ in pages))
    context = Context(frozenset(expected), document, dictionary)
    return [assess_page(raw, text, share, context) for raw, text, share in pages]


@dataclass(frozen=True)
class Context:
    """What a page is judged against: its language's scripts, its document's script, and
    the word lists."""

    language_scripts: frozenset[str] = frozenset()
    document_script: str | None = None
    dictionary: frozenset[str] = frozenset()


def assess_page(raw: str, text: str, share: float, context: Context = Context()) -> Verdict:
    """The verdict on one page (see the module docstring for the order of the tests)."""
    if bad_character_share(raw) >= BAD_CHAR_SHARE:
        return Verdict(OcrReason.UNREADABLE, "private-use or unassigned characters")
    if glyph_name_share(raw) >= GLYPH_NAME_SHARE:
        return Verdict(OcrReason.UNREADABLE, "glyph names")
    if not any(ch.isalnum() for ch in text):
        return Verdict(OcrReason.EMPTY, "no text")
    if len(WORD_RE.findall(text)) < THIN_WORDS and share >= MOSTLY_IMAGE:
        return Verdict(OcrReason.THIN, "few words on an image")
    return judge_words(text, context)


def judge_words(text: str, context: Context) -> Verdict:
    """The statistical tests, on Latin and Cyrillic words of 4+ letters (enough of them)."""
    words = [w for w in LONG_WORD_RE.findall(text) if script_of(w[0]) in JUDGED_SCRIPTS]
    if len(words) < MIN_WORDS_TO_JUDGE:
        return TRUSTED
    hits = dictionary_hits(words, context.dictionary) if context.dictionary else None
    if hits is not None and hits < NO_DICTIONARY_HITS and len(words) >= MIN_WORDS_FOR_DICTIONARY:
        return Verdict(OcrReason.UNREADABLE, "words in no dictionary")
    malformed = malformed_share(text)
    if (hits is None and malformed >= MALFORMED_ALONE) or (
        hits is not None and hits < FEW_DICTIONARY_HITS and malformed >= MALFORMED_SHARE
    ):
        return Verdict(OcrReason.UNREADABLE, "malformed words")
    if looks_alike(dominant_script(text), context) and (hits is None or hits < LOOKALIKE_HITS):
        return Verdict(OcrReason.UNREADABLE, "another script's look-alikes")
    return TRUSTED


def looks_alike(script: str | None, context: Context) -> bool:
    """A Latin page where Cyrillic is expected, or the reverse: the look-alike letters of a
    font without a Unicode map (Cyrillic Н, а, р read as Latin H, a, p)."""
    if script not in JUDGED_SCRIPTS:
        return False
    other = JUDGED_SCRIPTS[1 - JUDGED_SCRIPTS.index(script)]
    if context.language_scripts:
        return script not in context.language_scripts and other in context.language_scripts
    return context.document_script == other


def bad_character_share(raw: str) -> float:
    """Private-use, unassigned, surrogate and replacement characters among the visible ones."""
    visible = [ch for ch in raw if not ch.isspace()]
    if not visible:
        return 0.0
    bad = sum(
        1 for ch in visible if unicodedata.category(ch) in ("Co", "Cn", "Cs") or ch == "\ufffd"
    )
    return bad / len(visible)


def glyph_name_share(raw: str) -> float:
    tokens = TOKEN_RE.findall(raw)
    if len(tokens) < 3:
        return 0.0
    return sum(1 for t in tokens if GLYPH_NAME_RE.match(t)) / len(tokens)


def dictionary_hits(words: list[str], dictionary: frozenset[str]) -> float:
    """The share of words (3+ letters) that the dictionary knows, case-insensitively."""
    return sum(1 for w in words if w.lower() in dictionary) / len(words)


def malformed_share(text: str) -> float:
    """The share of tokens with letters that have digits or a capital inside ("Kn1pOBKH",
    "AeKnapai"): how a font's codes read in the wrong alphabet look."""
    tokens = [t for t in TOKEN_RE.findall(text) if any(ch.isalpha() for ch in t)]
    if not tokens:
        return 0.0
    return sum(1 for t in tokens if MALFORMED_RE.search(t)) / len(tokens)


def dominant_script(text: str) -> str | None:
    """The script most letters are in ("LATIN", "CYRILLIC", ...), or None without letters."""
    counts = Counter(script_of(ch) for ch in text if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else None


def script_of(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return "UNKNOWN"
