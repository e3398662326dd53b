"""The input contract: what callers hand to the index (plain values, no ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

PRESENTATION = "presentation"
PHOTO = "photo"
SHARED = "shared"
STAFF = "staff"


@dataclass(frozen=True)
class ItemDoc:
    """One presentation or one photo, with the fields of its event."""

    item_id: int
    kind: str  # "presentation" | "photo"
    title: str  # presentation title, or photo caption
    speakers: tuple[str, ...]
    organisations: tuple[str, ...]  # speakers' organisations
    language: str | None  # item language if set by staff
    visibility: str  # "shared" | "staff"
    event_id: int
    event_slug: str
    event_title: str
    event_start: date | None
    event_end: date | None
    city: str
    country: str
    tags: tuple[str, ...]
    granted_org_ids: tuple[int, ...]  # partner organisations the event is granted to
    item_date: date | None  # photo taken-at date, else event start
    # The event programme (issue 15). A backend indexes `programme` as searchable text and
    # `session_id` as a filter and facet value (within an event filter), and hands
    # `session_label` back on hits so that results can say where in the programme they are.
    session_id: int | None = None  # the session of a deck's talk, or a photo's session
    session_label: str = ""  # "Day 2, 10:30, Panel: digital identity"
    programme: str = ""  # talk and session titles, room, chairs, one per line


@dataclass(frozen=True)
class PageText:
    """The text of one page (or of a photo's caption, as page 1)."""

    number: int  # 1-based page number
    label: str | None  # printed page label if the PDF has one
    text: str  # already normalised page text
    language: str | None  # detected page language code ("en", "ru", "az", ...)
    # Words of `text` recognised by OCR with low confidence: a backend finds them like any
    # other word but never offers them as a spelling suggestion ("did you mean").
    unsure: tuple[str, ...] = ()
    recognised: bool = False  # some of `text` was recognised from the page image (OCR)
