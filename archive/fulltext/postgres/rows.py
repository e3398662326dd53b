"""From an item and its pages to the rows of the pages table, and to vocabulary words.

The same fields as the Whoosh backend's documents (`whoosh.schema.item_documents`), in
columns: one row per page, one for a photo, one for a deck without text (so that its title
finds it). Dates are ordinals, as there, so both backends sort and filter alike.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date

from archive.fulltext.analysis import MAX_TOKEN_CHARS, word_pieces
from archive.fulltext.documents import PHOTO, SHARED, ItemDoc, PageText
from archive.fulltext.postgres.schema import KIND_CODES, config_name

NO_DATE_FROM = 2**31 - 1  # an undated page never falls inside a closed date range
MIN_VOCABULARY_WORD = 3
# Control characters that mark hits in ts_headline output: never part of stored text.
HIT_START, HIT_END = "\x02", "\x03"
_STRIP = str.maketrans({c: " " for c in "\x00\x02\x03\x04\x05\x06"})


def clean(value: str | None) -> str:
    """NFC, without the characters the snippet markers and PostgreSQL text cannot hold."""
    return unicodedata.normalize("NFC", value or "").translate(_STRIP).strip()


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
    rows = []
    for page in pages:
        language = (page.language or item.language or "").strip().lower()
        rows.append(
            (item.item_id, page.number, *common, language, organisations,
             _ordinal(item.item_date), date_from or NO_DATE_FROM, date_to,
             _event_year(item), clean(item.title), speakers,
             page.label, clean(page.text), "\n".join(speakers),
             "\n".join(clean(t) for t in item.tags), "\n".join(organisations), event_text,
             config_name(schema, language))
        )  # fmt: skip
    return rows


def vocabulary(rows: Iterable[tuple]) -> set[str]:
    """Words of titles, speakers and page text as typed (lowercased), for did-you-mean."""
    words: set[str] = set()
    for row in rows:
        for text in (row[14], row[18], row[17]):  # title, people_text, body
            words.update(word_pieces(text.lower()))
    return {w for w in words if MIN_VOCABULARY_WORD <= len(w) <= MAX_TOKEN_CHARS and w.isalpha()}
