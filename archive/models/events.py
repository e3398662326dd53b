"""Events (workshops, conferences) and their grants to partner organisations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db
from archive.models.common import utcnow
from archive.models.users import Organisation


class Event(db.Model):
    """One workshop or conference, mirroring what a hub's own event page shows."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    city: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(120), default="")
    venue: Mapped[str] = mapped_column(String(300), default="")
    organisers: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="")
    # IANA name; the programme's times are local times there (see models.programme).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # The main language of the event's materials (ISO 639-1, e.g. "az"): text recognition
    # reads its scans and photos in that language, besides English.
    language: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    grants: Mapped[list[Grant]] = relationship(back_populates="event", cascade="all, delete-orphan")

    @property
    def tag_list(self) -> list[str]:
        return split_list(self.tags)

    @property
    def organiser_list(self) -> list[str]:
        return split_list(self.organisers, separators=";\n")

    @property
    def year(self) -> int | None:
        return self.start_date.year if self.start_date else None

    @property
    def granted_org_ids(self) -> tuple[int, ...]:
        return tuple(sorted(g.organisation_id for g in self.grants))


class Grant(db.Model):
    """Event `event_id` is open to the partner organisation `organisation_id`."""

    __tablename__ = "grants"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="grants")
    organisation: Mapped[Organisation] = relationship()


def split_list(value: str, separators: str = ",;\n") -> list[str]:
    """Split a free-text list field into trimmed, non-empty parts."""
    for sep in separators[1:]:
        value = value.replace(sep, separators[0])
    return [part.strip() for part in value.split(separators[0]) if part.strip()]
