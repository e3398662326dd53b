"""The index schema and the one function from an item to its index documents.

Every searchable text exists twice: `<name>_x` holds exact tokens (lowercased only, counts
without positions) and `<name>_s` folded-and-stemmed tokens (with positions, for phrases; see
`analysis` and `postings`). Searching both and adding the scores makes an exact match rank
above a stemmed or diacritic-folded one.

Per-document numbers the search needs for every hit (item, event, kind, dates) live in
numeric columns (`c_*`), read into NumPy arrays once per segment; terms needed for filters
and deletions (`item`, `event`, `vis`, `grant`, `lang`, `org`, `kind`, `slug`) are ID fields.
Stored fields are what result pages show; the page text is stored (compressed) because
snippets are cut from it, which is the bulk of the index size.

Words that OCR recognised with low confidence are also listed in `unsure_x` (exact tokens):
the did-you-mean suggestions skip a candidate in the pages where it is only that.

A page's language is the detected page language, else the item language set by staff: a
bilingual deck's Russian pages are found by lang:ru even when the deck is marked English.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date

from whoosh import columns
from whoosh.analysis import RegexTokenizer
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, Schema

from archive.fulltext.analysis import EXACT, FOLDED
from archive.fulltext.documents import PHOTO, PRESENTATION, SHARED, STAFF, ItemDoc, PageText
from archive.fulltext.overlays import complete_pages
from archive.fulltext.whoosh.postings import LeanText

# Bump whenever fields, analyzers or document layout change; opening an index built with
# another version raises SchemaVersionError asking for `flask --app archive reindex`.
# 2: the programme (text family, c_session, session_label); 3: recognised text (unsure_x,
# recognised); 4: exact fields keep counts only, folded positions as varints, c_run;
# 5: the speaker facet field, and c_year is the event's year.
SCHEMA_VERSION = 5

# Text field families and their query-time weights (BM25F-style: one BM25 per field, scaled).
TEXT_FIELDS = ("title", "people", "body", "tags", "orgs", "event", "programme")
FIELD_WEIGHTS = {
    "title": 3.0,
    "people": 2.5,
    "body": 1.0,
    "tags": 1.5,
    "orgs": 0.6,
    "event": 0.5,
    "programme": 1.5,  # the talk's and session's titles, room and chairs
}

KIND_CODES = {PRESENTATION: 1, PHOTO: 2}
KIND_NAMES = {code: name for name, code in KIND_CODES.items()}
NO_DATE_FROM = 2**31 - 1  # an undated document never falls inside a closed date range
VALUE_SEPARATOR = "\x1f"  # between multi-valued exact values (organisation names)

COLUMNS = (
    "c_item",
    "c_event",
    "c_kind",
    "c_page",
    "c_date",
    "c_from",
    "c_to",
    "c_year",
    "c_session",
    "c_run",
)


def build_schema() -> Schema:
    """The Whoosh schema for SCHEMA_VERSION."""
    fields: dict[str, object] = {}
    for name in TEXT_FIELDS:
        fields[f"{name}_x"] = LeanText(EXACT)
        fields[f"{name}_s"] = LeanText(FOLDED)
    fields["unsure_x"] = LeanText(EXACT)
    for name in ("item", "event", "slug", "kind", "vis", "lang"):
        fields[name] = ID()
    fields["grant"] = KEYWORD()
    fields["org"] = KEYWORD(analyzer=RegexTokenizer(r"[^\x1f]+"))
    fields["speaker"] = KEYWORD(analyzer=RegexTokenizer(r"[^\x1f]+"))
    for name in COLUMNS:
        typecode = "B" if name == "c_kind" else "i"
        fields[name] = COLUMN(columns.NumericColumn(typecode, default=0))
    for name in ("item_id", "page", "label", "title", "speakers", "text", "recognised"):
        fields[name] = STORED()
    for name in ("event_id", "event_title", "event_slug", "kind_name", "session_label"):
        fields[name] = STORED()
    return Schema(**fields)


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value or "").strip()


def _ordinal(value: date | None) -> int:
    return value.toordinal() if value else 0


def item_documents(item: ItemDoc, pages: Sequence[PageText]) -> list[dict[str, object]]:
    """Index documents for one item: one per page, or one for a photo."""
    if item.kind not in KIND_CODES:
        raise ValueError(f"item {item.item_id}: unknown kind {item.kind!r}")
    if item.kind == PHOTO:
        pages = list(pages[:1])
    # A deck without extracted text (a scan) still gets one document, so that its title,
    # speakers and event find it.
    pages = list(pages) or [PageText(1, None, "", None)]
    common = _common_fields(item)
    runs = complete_pages(pages) if item.kind == PRESENTATION else {}
    return [
        {
            **common,
            "body_x": _nfc(page.text),
            "body_s": _nfc(page.text),
            "lang": _language(page.language or item.language),
            "c_page": page.number,
            "c_run": runs.get(page.number, 0),  # the complete page of its overlay run
            "page": page.number,
            "label": page.label,
            "text": _nfc(page.text),
            "unsure_x": " ".join(_nfc(word) for word in page.unsure),
            "recognised": bool(page.recognised),
        }
        for page in pages
    ]


def _language(code: str | None) -> str:
    return (code or "").strip().lower()


def _event_year(item: ItemDoc) -> int:
    """The year a document belongs to: its event's (a photo's camera clock does not decide),
    else the item's own date's."""
    day = item.event_start or item.item_date
    return day.year if day else 0


def _common_fields(item: ItemDoc) -> dict[str, object]:
    title = _nfc(item.title)
    speakers = tuple(_nfc(s) for s in item.speakers if _nfc(s))
    organisations = tuple(dict.fromkeys(_nfc(o) for o in item.organisations if _nfc(o)))
    event_text = " ".join(
        _nfc(v) for v in (item.event_title, item.city, item.country, item.event_slug)
    )
    people = "\n".join(speakers)
    orgs = "\n".join(organisations)
    tags = "\n".join(_nfc(t) for t in item.tags)
    programme = _nfc(item.programme)
    if item.kind == PHOTO:
        date_from = date_to = _ordinal(item.item_date)
    else:
        date_from = _ordinal(item.event_start or item.item_date)
        date_to = _ordinal(item.event_end or item.event_start or item.item_date)
    return {
        "title_x": title,
        "title_s": title,
        "people_x": people,
        "people_s": people,
        "orgs_x": orgs,
        "orgs_s": orgs,
        "event_x": event_text,
        "event_s": event_text,
        "tags_x": tags,
        "tags_s": tags,
        "programme_x": programme,
        "programme_s": programme,
        "item": str(item.item_id),
        "event": str(item.event_id),
        "slug": _nfc(item.event_slug).lower(),
        "kind": item.kind,
        "vis": SHARED if item.visibility == SHARED else STAFF,  # unknown values fail closed
        "grant": " ".join(str(org_id) for org_id in item.granted_org_ids),
        "org": VALUE_SEPARATOR.join(organisations),
        "speaker": VALUE_SEPARATOR.join(dict.fromkeys(speakers)),
        "c_item": item.item_id,
        "c_event": item.event_id,
        "c_kind": KIND_CODES[item.kind],
        "c_date": _ordinal(item.item_date),
        "c_from": date_from or NO_DATE_FROM,
        "c_to": date_to,
        "c_year": _event_year(item),
        "c_session": item.session_id or 0,
        "item_id": item.item_id,
        "title": title,
        "speakers": speakers,
        "event_id": item.event_id,
        "event_title": _nfc(item.event_title),
        "event_slug": _nfc(item.event_slug),
        "kind_name": item.kind,
        "session_label": _nfc(item.session_label),
    }
