"""Tokenising, folding and stemming shared by indexing, queries and highlighting.

One tokeniser serves every text field, so a query word, an indexed word and a highlighted
word are always cut and normalised the same way:

- words are runs of letters and digits; 1- and 2-letter words are kept ("R", "IT", "US") and
  no stop words are removed, so phrases such as "beta and gamma" stay exact;
- words joined by ``. _ / -`` or an apostrophe ("ugost2008.bst", "e-Government") yield each
  part at consecutive positions *and* the whole at the position of its first part, so both
  "government" and "e-government" find it and phrases work across the parts;
- runs of CJK characters yield overlapping character bigrams (a lone character yields
  itself), so a phrase inside a run of characters is found;
- two forms of each token: *exact* (lowercased only) and *folded* (case-folded, Latin
  diacritics removed including Azerbaijani ə ı ş ç ğ ö ü and Turkish İ, then stemmed with the
  Snowball stemmer chosen by script: Cyrillic -> Russian, Latin -> English).

Whoosh's StemmingAnalyzer is deliberately not used: its Porter stemmer disagrees with itself
between index and query time for some words.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import Stemmer

EXACT = "exact"
FOLDED = "folded"

# Longest token indexed; longer "words" are base64, hashes or run-together garbage.
MAX_TOKEN_CHARS = 64

_CJK = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0002fa1f"
)
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
LETTER = rf"(?:[^\W_{_CJK}]|[{_MARKS}])"  # one character of a (non-CJK) word
_JOINER = r"[._/\-'\u2019\u2010\u2011]"
# A line break inside a run of CJK characters is layout, not a word boundary (Chinese and
# Japanese put no spaces between words, and PDF text breaks lines mid-phrase), so a run goes
# on across it; the bigram that spans the break is indexed like any other.
_CJK_RUN = rf"[{_CJK}]+(?:[ \t]*\r?\n[ \t]*[{_CJK}]+)*"
_TOKEN_RE = re.compile(rf"(?P<cjk>{_CJK_RUN})|(?P<word>{LETTER}+(?:{_JOINER}+{LETTER}+)*)")
_PART_RE = re.compile(rf"{LETTER}+")


class RawToken(NamedTuple):
    """A token as cut from the text, before normalisation."""

    text: str
    pos: int
    start: int
    end: int
    whole: bool  # True for the whole of a joined name ("e-government"), emitted with its parts


_HAS_JOINER = re.compile(_JOINER).search
_HAS_CJK = re.compile(rf"[{_CJK}]").search
_SIMPLE_WORDS = re.compile(r"[^\W_]+").findall
_HAS_CJK_OR_MARK = re.compile(rf"[{_CJK}{_MARKS}]").search


def word_pieces(text: str) -> list[str]:
    """Every non-CJK word or name part, as it appears in the text (with repeats)."""
    if _HAS_CJK_OR_MARK(text):
        return _PART_RE.findall(text)
    return _SIMPLE_WORDS(text)  # the same result, twice as fast


_SIMPLE_WORD_ITER = re.compile(r"[^\W_]+").finditer


def iter_word_pieces(text: str) -> Iterator[re.Match[str]]:
    """The matches of `word_pieces`, with their spans."""
    if _HAS_CJK_OR_MARK(text):
        return _PART_RE.finditer(text)
    return _SIMPLE_WORD_ITER(text)


def pieces_spans(text: str, pieces: frozenset[str]) -> list[tuple[int, int]]:
    """The spans of the word pieces of `text` (see `word_pieces`) that are in `pieces`.

    One regex search for the pieces themselves instead of a Python test of every word:
    a page is cut into hundreds of words and a snippet needs only the few that match."""
    if _HAS_CJK_OR_MARK(text):
        return [m.span() for m in _PART_RE.finditer(text) if m.group() in pieces]
    # A match ends where a piece ends (the lookahead); it is a whole piece when no letter
    # or digit comes before it. A rejected match lies inside a longer piece, so the
    # search may resume after it.
    return [
        m.span()
        for m in _pieces_pattern(pieces).finditer(text)
        if not m.start() or not text[m.start() - 1].isalnum()
    ]


@lru_cache(maxsize=4096)
def _pieces_pattern(pieces: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(pieces, key=len, reverse=True))
    return re.compile(rf"(?:{alternatives})(?![^\W_])")


def has_cjk(text: str) -> bool:
    """Whether text holds CJK characters (which are cut into bigrams, not words)."""
    return _HAS_CJK(text) is not None


_last_cut: tuple[str, list[tuple[str, int, int, int, bool]]] = ("", [])


def cut_tokens(text: str) -> list[tuple[str, int, int, int, bool]]:
    """Raw tokens as plain (text, pos, start, end, whole) tuples, the fast form for indexing.

    The last result is kept because an indexer analyses the same text twice in a row (the
    exact and the folded field)."""
    global _last_cut
    last_text, last_tokens = _last_cut
    if text is last_text or text == last_text:
        return last_tokens
    tokens: list[tuple[str, int, int, int, bool]] = []
    append = tokens.append
    pos = 0
    for match in _TOKEN_RE.finditer(text):
        start, end = match.span()
        run = match.group()
        if match.lastgroup == "cjk":
            for text, first, last in cjk_bigrams(run):
                append((text, pos, start + first, start + last, False))
                pos += 1
            continue
        if not _HAS_JOINER(run):
            if end - start <= MAX_TOKEN_CHARS:
                append((run, pos, start, end, False))
            pos += 1
            continue
        parts = list(_PART_RE.finditer(run))
        if len(parts) > 1 and len(run) <= MAX_TOKEN_CHARS:
            append((run, pos, start, end, True))
        for part in parts:
            if part.end() - part.start() <= MAX_TOKEN_CHARS:
                append((part.group(), pos, start + part.start(), start + part.end(), False))
            pos += 1
    _last_cut = (text, tokens)
    return tokens


def cjk_bigrams(run: str) -> list[tuple[str, int, int]]:
    """Overlapping character bigrams of a CJK run (a lone character: itself), skipping the
    line breaks inside it, with their (start, end) offsets in the run."""
    if "\n" not in run:
        if len(run) == 1:
            return [(run, 0, 1)]
        return [(run[i : i + 2], i, i + 2) for i in range(len(run) - 1)]
    where = [i for i, ch in enumerate(run) if not ch.isspace()]
    if len(where) == 1:
        return [(run[where[0]], where[0], where[0] + 1)]
    return [(run[a] + run[b], a, b + 1) for a, b in zip(where, where[1:], strict=False)]


def iter_raw_tokens(text: str) -> Iterator[RawToken]:
    """Cut text into words, name parts plus wholes, and CJK bigrams, with positions."""
    for token in cut_tokens(text):
        yield RawToken(*token)


def _build_fold_table() -> dict[int, str | None]:
    special = {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "ħ": "h",
        "þ": "th",
        "ı": "i",
        "ə": "e",
        "ŋ": "n",
        "ĸ": "k",
        "ſ": "s",
        "ё": "е",
    }
    table: dict[int, str | None] = {ord(k): v for k, v in special.items()}
    latin = [(0x00C0, 0x024F), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF)]
    for lo, hi in latin:
        for cp in range(lo, hi + 1):
            if cp in table:
                continue
            ch = chr(cp)
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            if base and base != ch and base.isascii():
                table[cp] = base.lower()
    # Stray combining marks (e.g. the dot left by "İ".casefold()) are dropped. Input is NFC,
    # so Cyrillic й and ё arrive precomposed and are not affected by this.
    for cp in range(0x0300, 0x0370):
        table[cp] = None
    return table


_FOLD_TABLE = _build_fold_table()
_local = threading.local()


def _stemmer(language: str) -> Stemmer.Stemmer:
    # PyStemmer objects are not thread-safe: one per thread and language.
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(language)
    return stemmers[language]


def fold(word: str) -> str:
    """Case-fold and strip Latin diacritics: "Hökumət" -> "hokumet", "İstanbul" -> "istanbul"."""
    return word.casefold().translate(_FOLD_TABLE)


def _script_language(word: str) -> str | None:
    first = word[0]
    if "\u0400" <= first <= "\u04ff":
        return "russian"
    if first.isascii() or "\u00c0" <= first <= "\u024f":
        return "english"
    return None


@lru_cache(maxsize=200_000)
def folded_form(raw: str) -> str:
    """The folded-and-stemmed form of one raw token (what the *_s fields hold)."""
    word = fold(raw)
    if not word.isalpha():  # numbers, joined wholes, mixed tokens: folded, not stemmed
        return word
    language = _script_language(word)
    if language is None:
        return word
    return _stemmer(language).stemWord(word)


def exact_form(raw: str) -> str:
    """The exact form of one raw token (what the *_x fields hold)."""
    return raw.lower()


def normalise(raw: str, mode: str) -> str:
    """A raw token in the form of the EXACT or the FOLDED field family."""
    return exact_form(raw) if mode == EXACT else folded_form(raw)


@dataclass(frozen=True)
class AnalysedWord:
    """One query word analysed for both field families.

    `wholes` holds joined names ("e-government") to match as single terms; `parts` the
    sequence of ordinary tokens (name parts, CJK bigrams) to match as a phrase.
    """

    exact_whole: str | None
    folded_whole: str | None
    exact_parts: tuple[str, ...]
    folded_parts: tuple[str, ...]


def analyse_words(text: str) -> list[AnalysedWord]:
    """Split query text into words, each with its exact and folded tokens."""
    words: list[AnalysedWord] = []
    for match in _TOKEN_RE.finditer(text):
        run = match.group()
        whole: str | None = None
        if match.lastgroup == "cjk":
            parts = [text for text, _, _ in cjk_bigrams(run)]
        else:
            found = [p.group() for p in _PART_RE.finditer(run)]
            parts = [p for p in found if len(p) <= MAX_TOKEN_CHARS]
            if len(found) > 1 and len(run) <= MAX_TOKEN_CHARS:
                whole = run
        if not parts:
            continue
        words.append(
            AnalysedWord(
                exact_form(whole) if whole else None,
                folded_form(whole) if whole else None,
                tuple(exact_form(p) for p in parts),
                tuple(folded_form(p) for p in parts),
            )
        )
    return words
