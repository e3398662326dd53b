"""Right-to-left lines from a PDF's positioned characters: logical order and word spaces.

Arabic and Hebrew slides (Beamer decks in particular) reach the text layer in two broken
ways: with no space between words (`بعضالملاحظات` where the slide says `بعض الملاحظات`),
the gap between words being only a move of the pen, and sometimes with each line in
visual order, left to right as painted (`تاظحالملاضعب`). Either way nothing can be found.

`logical_line` repairs one line from its characters and their boxes (from pdfium, in
`render`): the boxes tell which way the text runs (right-to-left letters whose boxes move
rightwards along the text are in visual order) and where the word gaps are; the Unicode
bidirectional classes give the logical order back: a visual right-to-left line is reversed
as a whole, except that runs of left-to-right text (Latin words, numbers) inside it keep
their own order, and paired brackets are mirrored. Pure functions, no PDF library.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from statistics import median

RTL_LETTER_RE = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
RTL_CLASSES = frozenset({"R", "AL"})
LTR_RUN_CLASSES = frozenset({"L", "EN", "AN"})  # strong left-to-right, and numbers
NUMBER_JOINERS = frozenset({"ES", "CS", "ET"})  # 1.5, 2,000, 10%: inside a number run
MIRRORED = str.maketrans("()[]{}<>«»", ")(][}{><»«")
WORD_GAP = 0.1  # of the font size: a wider gap between two letters is a space


@dataclass(frozen=True)
class PlacedChar:
    """One character of a text line with its horizontal extent and font size (points)."""

    char: str
    left: float
    right: float
    size: float


def has_rtl(text: str) -> bool:
    """Whether text holds right-to-left letters (the only case `logical_line` changes)."""
    return RTL_LETTER_RE.search(text) is not None


def logical_line(chars: list[PlacedChar]) -> str:
    """The line's text in logical order with its word spaces, for lines with RTL letters;
    any other line exactly as given."""
    text = "".join(c.char for c in chars)
    if not has_rtl(text):
        return text
    visual = runs_rightwards(chars)
    text = with_word_spaces(chars, visual)
    return visual_to_logical(text) if visual else text


def is_rtl(char: str) -> bool:
    return unicodedata.bidirectional(char) in RTL_CLASSES


def runs_rightwards(chars: list[PlacedChar]) -> bool:
    """Whether the right-to-left letters follow each other left to right on the page (the
    text is in visual order) rather than right to left (logical order)."""
    steps = 0
    for a, b in zip(chars, chars[1:], strict=False):
        if is_rtl(a.char) and is_rtl(b.char):
            centre_a, centre_b = a.left + a.right, b.left + b.right
            steps += (centre_b > centre_a) - (centre_b < centre_a)
    return steps > 0


def with_word_spaces(chars: list[PlacedChar], visual: bool) -> str:
    """The characters joined, with a space where two letters, one of them right-to-left,
    stand further apart than a word gap and nothing separates them yet."""
    sizes = [c.size for c in chars if c.size > 0]
    gap_limit = WORD_GAP * (median(sizes) if sizes else 10.0)
    out = [chars[0].char] if chars else []
    for a, b in zip(chars, chars[1:], strict=False):
        gap = b.left - a.right if visual else a.left - b.right
        if (
            gap > gap_limit
            and not (a.char.isspace() or b.char.isspace())
            and (is_rtl(a.char) or is_rtl(b.char))
        ):
            out.append(" ")
        out.append(b.char)
    return "".join(out)


def visual_to_logical(text: str) -> str:
    """A right-to-left line read left to right as painted, back in reading order."""
    runs: list[tuple[bool, str]] = []  # (left-to-right run?, text)
    for char in text:
        ltr = keeps_order(char, runs)
        if runs and runs[-1][0] == ltr:
            runs[-1] = (ltr, runs[-1][1] + char)
        else:
            runs.append((ltr, char))
    runs = settle_trailing_neutrals(runs)
    return "".join(part if ltr else part[::-1].translate(MIRRORED) for ltr, part in runs[::-1])


def keeps_order(char: str, runs: list[tuple[bool, str]]) -> bool:
    """Whether a character belongs to a left-to-right run: a strong LTR letter or digit, or
    a neutral continuing one (a space between two Latin words, the point of 1.5)."""
    kind = unicodedata.bidirectional(char)
    if kind in LTR_RUN_CLASSES:
        return True
    in_ltr = bool(runs) and runs[-1][0]
    return in_ltr and (kind in NUMBER_JOINERS or kind == "WS")


def settle_trailing_neutrals(runs: list[tuple[bool, str]]) -> list[tuple[bool, str]]:
    """Spaces and joiners at the end of a left-to-right run belong to the right-to-left text
    around it (a Latin word between Arabic ones keeps its spaces outside)."""
    settled: list[tuple[bool, str]] = []
    for ltr, part in runs:
        if ltr:
            core = part.rstrip("".join(c for c in part if not keeps_alone(c)))
            tail = part[len(core) :]
            settled.append((True, core))
            if tail:
                settled.append((False, tail))
        elif settled and not settled[-1][0]:
            settled[-1] = (False, settled[-1][1] + part)
        else:
            settled.append((False, part))
    return [(ltr, part) for ltr, part in settled if part]


def keeps_alone(char: str) -> bool:
    """A character that is left-to-right by itself (not only next to one)."""
    return unicodedata.bidirectional(char) in LTR_RUN_CLASSES
