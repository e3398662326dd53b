"""Creating and changing events: the operations shared by the CLI, pages and API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import delete, select

from archive.extensions import db
from archive.fulltext.messages import Message
from archive.models import Event, Item, ItemVersion, Page, Photo, Presentation, share_link_items
from archive.programme.clock import check_zone

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,118}[a-z0-9]$")
# Path segments of event pages that a slug must not shadow (/events/new).
RESERVED_SLUGS = frozenset({"new"})


class EventError(ValueError):
    """Event details that cannot be saved; the message says which field and why."""


@dataclass(frozen=True)
class EventContents:
    """What deleting an event takes with it: counts, and the files to clean up afterwards."""

    presentations: int
    photos: int
    item_ids: tuple[int, ...] = ()
    sha256s: tuple[str, ...] = ()


@dataclass
class EventDetails:
    """The editable fields of an event, as plain values."""

    title: str
    start_date: date | None = None
    end_date: date | None = None
    city: str = ""
    country: str = ""
    venue: str = ""
    organisers: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    timezone: str = ""  # IANA name; empty: keep the event's, or ARCHIVE_DEFAULT_TIMEZONE
    language: str | None = None  # main language of the materials (ISO 639-1), for OCR


def slugify(text: str) -> str:
    """A URL-safe slug from a title (ASCII letters, digits and hyphens)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:120].strip("-") or "event"


def find_event(slug: str) -> Event | None:
    return db.session.scalar(select(Event).where(Event.slug == slug))


def get_event(slug: str) -> Event:
    event = find_event(slug)
    if event is None:
        raise EventError(Message("no event with slug %(slug)s", slug=repr(slug)))
    return event


def create_event(slug: str, details: EventDetails) -> Event:
    if not SLUG_RE.match(slug):
        raise EventError(
            Message(
                "slug %(slug)s: use 2-120 lower-case letters, digits and hyphens, "
                "starting and ending with a letter or digit",
                slug=repr(slug),
            )
        )
    if slug in RESERVED_SLUGS:
        raise EventError(
            Message(
                "slug %(slug)s is reserved for a page of the site; choose another", slug=repr(slug)
            )
        )
    if find_event(slug) is not None:
        raise EventError(Message("an event with slug %(slug)s already exists", slug=repr(slug)))
    event = Event(slug=slug)
    apply_details(event, details)
    db.session.add(event)
    db.session.flush()
    return event


def suggest_slug(title: str) -> str:
    """A free slug derived from a title: `slugify`, then -2, -3, ... when it is taken."""
    base = slugify(title)[:110].strip("-") or "event"
    if len(base) < 2 or base in RESERVED_SLUGS:
        base = f"event-{base}".strip("-")
    slug, n = base, 1
    while find_event(slug) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def event_contents(event: Event) -> EventContents:
    """Everything stored under an event, whatever its visibility."""
    rows = db.session.execute(
        select(Item.id, Item.sha256, Item.kind).where(Item.event_id == event.id)
    ).all()
    kinds = [kind for _, _, kind in rows]
    item_ids = tuple(item_id for item_id, _, _ in rows)
    earlier = db.session.scalars(
        select(ItemVersion.sha256).where(ItemVersion.item_id.in_(item_ids))
    ).all()
    return EventContents(
        presentations=kinds.count(Presentation.__mapper__.polymorphic_identity),
        photos=kinds.count(Photo.__mapper__.polymorphic_identity),
        item_ids=item_ids,
        sha256s=tuple(sorted({sha for _, sha, _ in rows} | set(earlier))),
    )


def delete_event(event: Event) -> EventContents:
    """Delete an event with its grants, items and pages; returns what the caller must remove
    from storage once the deletion is committed."""
    contents = event_contents(event)
    if contents.item_ids:
        db.session.execute(delete(Page).where(Page.item_id.in_(contents.item_ids)))
        db.session.execute(delete(ItemVersion).where(ItemVersion.item_id.in_(contents.item_ids)))
        links = share_link_items.c.item_id.in_(contents.item_ids)
        db.session.execute(delete(share_link_items).where(links))
        db.session.execute(delete(Item).where(Item.id.in_(contents.item_ids)))
    db.session.delete(event)
    db.session.flush()
    return contents


def apply_details(event: Event, details: EventDetails) -> None:
    """Validate and copy the editable fields onto an event."""
    title = details.title.strip()
    if not title:
        raise EventError(Message("an event needs a title"))
    if details.start_date and details.end_date and details.end_date < details.start_date:
        raise EventError(Message("the end date is before the start date"))
    event.title = title[:500]
    event.start_date = details.start_date
    event.end_date = details.end_date or details.start_date
    event.city = details.city.strip()
    event.country = details.country.strip()
    event.venue = details.venue.strip()
    event.organisers = details.organisers.strip()
    event.description = details.description.strip()
    event.tags = ", ".join(t.strip() for t in details.tags if t.strip())
    event.timezone = event_zone_name(event, details.timezone)
    event.language = (details.language or "").strip().lower()[:10] or None


def event_zone_name(event: Event, given: str) -> str:
    """The zone given, else the event's own, else the configured default for new events."""
    name = given.strip() or event.timezone or current_app.config["DEFAULT_TIMEZONE"]
    try:
        return check_zone(name)
    except ValueError as exc:
        raise EventError(f"time zone: {exc}") from None


def parse_date(value: str | None, field_name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise EventError(
            Message(
                "%(field_name)s: %(value)s is not a date (YYYY-MM-DD)",
                field_name=field_name,
                value=repr(value),
            )
        ) from None
