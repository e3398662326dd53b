"""Creating and changing events: the operations shared by the CLI, pages and API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from archive.extensions import db
from archive.models import Event

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,118}[a-z0-9]$")


class EventError(ValueError):
    """Event details that cannot be saved; the message says which field and why."""


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


def slugify(text: str) -> str:
    """A URL-safe slug from a title (ASCII letters, digits and hyphens)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:120].strip("-") or "event"


def find_event(slug: str) -> Event | None:
    return db.session.scalar(select(Event).where(Event.slug == slug))


def get_event(slug: str) -> Event:
    event = find_event(slug)
    if event is None:
        raise EventError(f"no event with slug {slug!r}")
    return event


def create_event(slug: str, details: EventDetails) -> Event:
    if not SLUG_RE.match(slug):
        raise EventError(
            f"slug {slug!r}: use 2-120 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    if find_event(slug) is not None:
        raise EventError(f"an event with slug {slug!r} already exists")
    event = Event(slug=slug)
    apply_details(event, details)
    db.session.add(event)
    db.session.flush()
    return event


def apply_details(event: Event, details: EventDetails) -> None:
    """Validate and copy the editable fields onto an event."""
    title = details.title.strip()
    if not title:
        raise EventError("an event needs a title")
    if details.start_date and details.end_date and details.end_date < details.start_date:
        raise EventError("the end date is before the start date")
    event.title = title[:500]
    event.start_date = details.start_date
    event.end_date = details.end_date or details.start_date
    event.city = details.city.strip()
    event.country = details.country.strip()
    event.venue = details.venue.strip()
    event.organisers = details.organisers.strip()
    event.description = details.description.strip()
    event.tags = ", ".join(t.strip() for t in details.tags if t.strip())


def parse_date(value: str | None, field_name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise EventError(f"{field_name}: {value!r} is not a date (YYYY-MM-DD)") from None
