"""Highlighted snippets and highlighted page text.

Hits are found by re-tokenising the stored text with the index's own tokeniser and comparing
each token's exact and folded forms with the query's, so "governments" marks "government"
and "hokumet" marks "hökumət". Query terms (including prefixes) are prepared once per request,
never per hit: Whoosh's `Hit.highlights()` re-expands them for every hit (10-27 s measured).

The returned `Markup` is safe: every character of the text is HTML-escaped and `<mark>` is
the only markup added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from archive.fulltext.analysis import (
    analyse_words,
    exact_form,
    fold,
    folded_form,
    has_cjk,
    iter_raw_tokens,
    pieces_spans,
    word_pieces,
)

SNIPPET_CHARS = 200  # two or three lines of a results column
CONTEXT_CHARS = 50
# Dot leaders of a table of contents (". . . . 12", "……", "____"): one ellipsis in a snippet.
# (Written to start with a character class, which the regex engine scans for quickly: the
# same matches as "(?:[.·•…_]\s*){3,}", eight times faster on a page.)
_LEADERS = re.compile(r"[.·•…_](?:\s*[.·•…_]){2,}\s*")
_SPACE = re.compile(r"\s+")
_ELLIPSIS = "…"
_MARK, _END_MARK = Markup("<mark>"), Markup("</mark>")


class Highlighter:
    """Decides which tokens of a text match a set of query terms ("word", "a phrase", "pre*")."""

    def __init__(self, terms: Iterable[str]):
        terms = list(terms)
        self.exact: set[str] = set()
        self.folded: set[str] = set()
        self.prefixes: list[tuple[str, str]] = []
        for term in terms:
            if term.endswith("*"):
                stem = term[:-1].lower()
                if stem:
                    self.prefixes.append((stem, fold(stem)))
                continue
            for word in analyse_words(term):
                self.exact.update(word.exact_parts)
                self.folded.update(word.folded_parts)
                if word.exact_whole:
                    self.exact.add(word.exact_whole)
                    self.folded.add(word.folded_whole)
        self._seen: dict[str, bool] = {}
        self._hits: set[str] = set()
        self._misses: set[str] = set()
        # A word's first character -> whether its folded initial is one of the terms'.
        self._initial: dict[str, bool] = {}
        self.cjk = any(has_cjk(t) for t in terms)
        # Folding and stemming keep a word's first letter, so a word can only match a term
        # that starts like it: most words of a page are told apart without being stemmed.
        starts = [*self.folded, *map(fold, self.exact), *(f for _, f in self.prefixes)]
        self.initials = {term[:1] for term in starts if term}

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)

    def is_hit(self, raw: str) -> bool:
        hit = self._seen.get(raw)
        if hit is None:
            exact = exact_form(raw)
            hit = exact in self.exact or folded_form(raw) in self.folded
            if not hit and self.prefixes:
                folded = fold(raw)
                hit = any(exact.startswith(e) or folded.startswith(f) for e, f in self.prefixes)
            self._seen[raw] = hit
        return hit

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of hits, merged where they overlap (a whole name and its part)."""
        if not self:
            return []
        if self.cjk:
            return self._token_spans(text)
        # Fast path: test each distinct word once, then mark its occurrences.
        words = set(word_pieces(text))
        new = words - self._hits - self._misses
        if new:
            self._hits |= self._matching(new)
            self._misses |= new - self._hits
        hits = words & self._hits
        if not hits:
            return []
        return pieces_spans(text, frozenset(hits))

    def _matching(self, words: set[str]) -> set[str]:
        """Which of these words match a query term (exact, folded or as a prefix)."""
        exact, folded, may_match = self.exact, self.folded, self._initial
        for first in {w[0] for w in words} - may_match.keys():
            may_match[first] = fold(first)[:1] in self.initials
        candidates = [w for w in words if may_match[w[0]]]
        found = {
            word for word in candidates if word.lower() in exact or folded_form(word) in folded
        }
        if self.prefixes:
            found.update(w for w in candidates if w not in found and self.is_hit(w))
        return found

    def _token_spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for token in iter_raw_tokens(text):
            if self.is_hit(token.text):
                if spans and token.start < spans[-1][1]:
                    spans[-1] = (spans[-1][0], max(spans[-1][1], token.end))
                else:
                    spans.append((token.start, token.end))
        return spans

    def highlight(self, text: str) -> Markup:
        """All of `text`, escaped, with <mark> around hits."""
        return _render(text, self.spans(text), 0, len(text))

    def snippet(self, text: str, width: int = SNIPPET_CHARS) -> Markup:
        """About `width` characters of `text` around the densest group of hits, escaped, as
        one flowing line: the PDF's line breaks and a contents page's dot leaders collapse."""
        text = flowing(text)
        spans = self.spans(text)
        if not spans:
            start, end = 0, min(len(text), width)
        else:
            start, end = _best_window(spans, width)
            start = max(0, start - max((width - (end - start)) // 2, 0))
            end = min(len(text), max(end, start + width))
        start, end = _word_bounds(text, start, end)
        inside = [(s, e) for s, e in spans if s >= start and e <= end]
        out = _render(text, inside, start, end).strip()
        lead = _ELLIPSIS if start > 0 else ""
        tail = _ELLIPSIS if end < len(text) else ""
        return Markup("{}{}{}").format(lead, out, tail)


def flowing(text: str) -> str:
    """Text as one paragraph: runs of white space (line breaks included) become one space,
    runs of leader dots one "…"."""
    # `collapsed(text).strip()`, with str.split() doing the white space twice as fast
    # (it splits where the regex's \s matches: the same characters, all of Unicode checked).
    return " ".join(_LEADERS.sub(" … ", text).split())


def collapsed(text: str) -> str:
    """`flowing` without the trim, for a piece of a snippet (the part between two marks)."""
    return _SPACE.sub(" ", _LEADERS.sub(" … ", text))


def _best_window(spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    best, best_count = (spans[0][0], spans[0][1]), 0
    j = 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] - start <= width - CONTEXT_CHARS:
            j += 1
        if j - i + 1 > best_count:
            best, best_count = (start, spans[j][1]), j - i + 1
    return best


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    if start > 0:
        space = text.find(" ", start, start + 20)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", max(start, end - 20), end)
        end = space if space > start else end
    return start, end


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> Markup:
    parts: list[Markup] = []
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        parts.extend((escape(text[pos:s]), _MARK, escape(text[s:e]), _END_MARK))
        pos = e
    parts.append(escape(text[pos:end]))
    return Markup("").join(parts)


def highlight_text(text: str, terms: Iterable[str]) -> Markup:
    """A page's full text, HTML-escaped, with <mark> around words matching `terms`.

    `terms` is `SearchPage.terms`: matching uses the index's folding and stemming, so
    "governments" marks "government" and "gov*" marks "governance".
    """
    return Highlighter(terms).highlight(text)
