"""From an item and its pages to the rows of the pages table, and to vocabulary words.

The same fields as the Whoosh backend's documents (`whoosh.schema.item_documents`), in
columns: one row per page, one for a photo, one for a deck without text (so that its title
finds it). Dates are ordinals, as there, so both backends sort and filter alike. Words that
OCR read with low confidence are listed per page (`unsure`) and stay out of the vocabulary
unless the page has them elsewhere too: a guess is never offered as "did you mean".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date

from archive.fulltext.analysis import MAX_TOKEN_CHARS, word_pieces
from archive.fulltext.documents import PHOTO, PRESENTATION, SHARED, ItemDoc, PageText
from archive.fulltext.overlays import complete_pages
from archive.fulltext.postgres.schema import COLUMNS, KIND_CODES, config_name

NO_DATE_FROM = 2**31 - 1  # an undated page never falls inside a closed date range
MIN_VOCABULARY_WORD = 3
# Control characters that mark hits in ts_headline output: never part of stored text.
HIT_START, HIT_END = "\x02", "\x03"
_STRIP = re.compile("[\x00\x02-\x06]")  # a regex: str.translate was 10x slower on pages
_TITLE, _PEOPLE, _BODY, _UNSURE = (
    COLUMNS.index(c) for c in ("title", "people_text", "body", "unsure")
)


def clean(value: str | None) -> str:
    """NFC, without the characters the snippet markers and PostgreSQL text cannot hold."""
    return _STRIP.sub(" ", unicodedata.normalize("NFC", value or "")).strip()


def unsure_words(page: PageText) -> list[str]:
    """The page's low-confidence words as the vocabulary holds words: lowercased pieces."""
    return sorted({w for word in page.unsure for w in word_pieces(clean(word).lower())})


def _ordinal(value: date | None) -> int:
    return value.toordinal() if value else 0


def _event_year(item: ItemDoc) -> int:
    """The year a row belongs to: its event's (a photo's camera clock does not decide), else
    the item's own date's, as in the Whoosh backend."""
    day = item.event_start or item.item_date
    return day.year if day else 0


def item_rows(item: ItemDoc, pages: Sequence[PageText], schema: str) -> list[tuple]:
    """The rows of one item, in `schema.COLUMNS` order; ValueError for an unknown kind."""
    if item.kind not in KIND_CODES:
        raise ValueError(f"item {item.item_id}: unknown kind {item.kind!r}")
    if item.kind == PHOTO:
        pages = list(pages[:1])
    pages = list(pages) or [PageText(1, None, "", None)]
    speakers = [clean(s) for s in item.speakers if clean(s)]
    organisations = list(dict.fromkeys(clean(o) for o in item.organisations if clean(o)))
    event_text = " ".join(
        clean(v) for v in (item.event_title, item.city, item.country, item.event_slug)
    )
    if item.kind == PHOTO:
        date_from = date_to = _ordinal(item.item_date)
    else:
        date_from = _ordinal(item.event_start or item.item_date)
        date_to = _ordinal(item.event_end or item.event_start or item.item_date)
    common = (
        KIND_CODES[item.kind],
        item.event_id,
        clean(item.event_slug),
        clean(item.event_title),
        item.visibility == SHARED,  # any other value fails closed
        list(item.granted_org_ids),
    )
    title, people = clean(item.title), "\n".join(speakers)
    tags = "\n".join(clean(t) for t in item.tags)
    programme, label = clean(item.programme), clean(item.session_label)
    runs = complete_pages(pages) if item.kind == PRESENTATION else {}
    rows = []
    for page in pages:
        language = (page.language or item.language or "").strip().lower()
        rows.append(
            (item.item_id, page.number, *common, language, organisations,
             _ordinal(item.item_date), date_from or NO_DATE_FROM, date_to,
             _event_year(item), item.session_id or 0, title,
             speakers, page.label, clean(page.text), people, tags, "\n".join(organisations),
             event_text, programme, label, unsure_words(page), bool(page.recognised),
             config_name(schema, language), runs.get(page.number, 0))
        )  # fmt: skip
    return rows


def vocabulary(rows: Iterable[tuple]) -> set[str]:
    """Words of titles, speakers and page text as typed (lowercased), for did-you-mean;
    a page's unsure words come only from pages that have them without doubt.

    A word never spans white space, so the text is split there first (fast) and only the
    distinct pieces of all pages are cut into words (slow), not every page's text."""
    words: set[str] = set()
    pieces: set[str] = set()
    heads: set[str] = set()  # an item's title and speakers repeat on each of its pages
    for row in rows:
        head = f"{row[_TITLE]}\n{row[_PEOPLE]}"
        if head not in heads:
            heads.add(head)
            pieces.update(head.split())
        if row[_UNSURE]:
            words.update(_sure(word_pieces(row[_BODY].lower()), row[_UNSURE]))
        else:
            pieces.update(row[_BODY].split())
    for piece in pieces:
        if piece.isalpha():
            words.add(piece.lower())
        else:
            words.update(word_pieces(piece.lower()))
    return {w for w in words if MIN_VOCABULARY_WORD <= len(w) <= MAX_TOKEN_CHARS and w.isalpha()}


def _sure(words: list[str], unsure: list[str]) -> set[str]:
    """`words` less those read with low confidence on this page (the recogniser lists a
    word as unsure only when it never read it with confidence on the page)."""
    return set(words) - set(unsure)
