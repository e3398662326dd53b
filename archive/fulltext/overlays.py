"""Beamer overlays: the same slide built up over several pages, found from the page texts.

A slide revealed step by step (`\\pause`, `\\only<2->`) becomes a run of pages in which each
page holds every word of the one before it, and the last holds them all: pages 29, 30 and 31
say the same, 31 completely. Searched page by page, the shortest page of such a run ranks
first (BM25 favours short pages), which is the least complete one. Backends record for
every page the last page of its run (`complete_pages`) and show a run as one hit, on its
complete page, with its page range (`PageHit.first_page`).

Engine-neutral: computed from the texts a backend is given, with the shared tokeniser.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from archive.fulltext.analysis import word_pieces
from archive.fulltext.documents import PageText

MIN_WORDS = 3  # a page of one or two words is a title or an empty slide, not a build-up


def complete_pages(pages: Sequence[PageText]) -> dict[int, int]:
    """Page number -> the number of the last (complete) page of its overlay run, for the
    pages that belong to a run of two or more; pages outside runs are left out."""
    ordered = sorted(pages, key=lambda page: page.number)
    words = [Counter(w.lower() for w in word_pieces(page.text)) for page in ordered]
    complete: dict[int, int] = {}
    run: list[int] = []
    for i, page in enumerate(ordered):
        run.append(page.number)
        following = i + 1 < len(ordered) and ordered[i + 1].number == page.number + 1
        if following and builds_up(words[i], words[i + 1]):
            continue
        if len(run) > 1:
            complete.update(dict.fromkeys(run, page.number))
        run = []
    return complete


def builds_up(before: Counter, after: Counter) -> bool:
    """Whether the next page holds every word of this one (and perhaps more)."""
    if sum(before.values()) < MIN_WORDS:
        return False
    return all(after[word] >= count for word, count in before.items())
