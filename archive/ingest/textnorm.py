"""Normalise extracted page text so that words index and match the way people type them.

The steps run in a fixed order, and the order matters: the cp1251 repair must see the raw
Latin-1 characters before NFKC folds some of them (`¹` -> `1`), and hyphen joining must see
NFKC's plain characters.
"""

from __future__ import annotations

import re
import unicodedata

# pdfium writes U+FFFE where it removed a hyphen at a line break; U+FFFF is a noncharacter.
PDFIUM_HYPHEN = "\ufffe"
SOFT_HYPHEN = "\u00ad"
LINE_BREAK = r"[ \t]*(?:\r\n|\r|\n)?[ \t]*"
PDFIUM_BREAK_RE = re.compile(PDFIUM_HYPHEN + LINE_BREAK)
SOFT_HYPHEN_RE = re.compile(SOFT_HYPHEN + LINE_BREAK)
HYPHEN_AT_EOL_RE = re.compile(r"(?<=[^\W\d_])[-\u2010][ \t]*\n[ \t]*(?=[^\W\d_])")

# cp1251 bytes read as Latin-1: Cyrillic А-я land on À-ÿ; ё, Ё and the Ukrainian letters on
# a few Latin-1 symbols.
CP1251_AS_LATIN1 = "\u00a5\u00a8\u00aa\u00af\u00b2-\u00b4\u00b8\u00ba\u00bf\u00c0-\u00ff"
MOJIBAKE_CHAR_RE = re.compile(f"[{CP1251_AS_LATIN1}]+")
MOJIBAKE_WORD_RE = re.compile("[\u00c0-\u00ff]{4,}")
MOJIBAKE_MIN_WORDS = 3
MOJIBAKE_MIN_SHARE = 0.4

CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Unicode 14 format characters (Cf) of the BMP except ZWNJ/ZWJ (U+200C/D: they carry meaning
# in Persian, Indic and emoji), then private use, noncharacters and lone surrogates.
INVISIBLE_RE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ue000-\uf8ff\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)
SPACES_RE = re.compile(r"[^\S\n]+")
MANY_BLANK_LINES_RE = re.compile(r"\n{3,}")


def normalise_text(s: str) -> str:
    """Return page text cleaned of extraction artefacts, ready for indexing and snippets."""
    s = join_broken_words(s)
    s = repair_cp1251_mojibake(s)
    s = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", s))
    s = unify_line_breaks(s)
    s = join_hyphenated_lines(s)
    s = drop_control_characters(s)
    return collapse_whitespace(s)


def join_broken_words(s: str) -> str:
    """Join words that pdfium (U+FFFE) or a soft hyphen broke across a line."""
    s = PDFIUM_BREAK_RE.sub(_pdfium_break_replacement, s)
    s = SOFT_HYPHEN_RE.sub("", s)
    return s.replace("\uffff", "")


def _pdfium_break_replacement(match: re.Match[str]) -> str:
    """Keep a real hyphen before a capital ("Schwarz-Weiß"), join otherwise ("govern|ment")."""
    return "-" if _next_char(match).isupper() else ""


def _next_char(match: re.Match[str]) -> str:
    return match.string[match.end() : match.end() + 1]


def repair_cp1251_mojibake(s: str) -> str:
    """Restore Cyrillic text that a PDF without ToUnicode map delivered as cp1251 read as
    Latin-1."""
    if not looks_like_cp1251_mojibake(s):
        return s
    return MOJIBAKE_CHAR_RE.sub(_decode_cp1251_run, s)


def looks_like_cp1251_mojibake(s: str) -> bool:
    """True when most letters are À-ÿ in long runs, which no Latin-script language produces."""
    runs = MOJIBAKE_WORD_RE.findall(s)
    if len(runs) < MOJIBAKE_MIN_WORDS:
        return False
    letters = sum(ch.isalpha() for ch in s)
    in_range = sum(len(run) for run in MOJIBAKE_CHAR_RE.findall(s))
    return in_range >= MOJIBAKE_MIN_SHARE * letters


def _decode_cp1251_run(match: re.Match[str]) -> str:
    return match.group().encode("latin-1").decode("cp1251")


def unify_line_breaks(s: str) -> str:
    """Turn CR LF, CR and the Unicode line/paragraph separators into LF."""
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    return s.replace("\u2028", "\n").replace("\u2029", "\n\n")


def join_hyphenated_lines(s: str) -> str:
    """Join "govern-\\nment" into "government"; keep "e-\\nGovernment" as "e-Government"."""
    return HYPHEN_AT_EOL_RE.sub(_hyphen_replacement, s)


def _hyphen_replacement(match: re.Match[str]) -> str:
    return "" if _next_char(match).islower() else "-"


def drop_control_characters(s: str) -> str:
    """Replace control characters with spaces; drop invisible format, private-use and
    noncharacter code points (they only break tokens)."""
    return INVISIBLE_RE.sub("", CONTROL_RE.sub(" ", s))


def collapse_whitespace(s: str) -> str:
    """Collapse runs of spaces, trim lines, and keep at most one blank line between blocks."""
    lines = (SPACES_RE.sub(" ", line).strip() for line in s.split("\n"))
    return MANY_BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()
