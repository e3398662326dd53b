"""An event's programme: sessions with their talks and speakers, the decks attached to talks,
and what staff decided about photos (camera clock corrections, photos moved by hand).

Times of sessions and talks are the local wall-clock times of the event's time zone
(`Event.timezone`), naive, as organisers write them: changing the event's time zone keeps
"09:00" at 09:00 there. They are turned into instants only to compare them with photos.
Days are not stored: a day is the local date sessions start on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db
from archive.models.common import utcnow
from archive.models.events import Event, split_list
from archive.models.items import Photo, Presentation
from archive.models.users import User


class ProgrammeSession(db.Model):
    """One session of the timetable: a time span in one room, with chairs and talks."""

    __tablename__ = "programme_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime]  # local time of the event's time zone
    ends_at: Mapped[datetime]
    room: Mapped[str] = mapped_column(String(200), default="")
    chairs: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="")
    # Order among sessions that start at the same time (parallel sessions).
    position: Mapped[int] = mapped_column(default=0)
    # Folded and stemmed words of the session and its talks, space-separated and padded,
    # so that the search page finds sessions with LIKE on any database (programme.finding).
    search_terms: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship()
    talks: Mapped[list[Talk]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        order_by="Talk.position",
        passive_deletes=True,
    )

    @property
    def chair_list(self) -> list[str]:
        return split_list(self.chairs, separators=";\n")

    @property
    def tag_list(self) -> list[str]:
        return split_list(self.tags)


class Talk(db.Model):
    """One talk of a session; its decks hang on it through `TalkDeck`."""

    __tablename__ = "talks"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime | None]  # local time; None: the talks follow in order
    position: Mapped[int] = mapped_column(default=0)

    session: Mapped[ProgrammeSession] = relationship(back_populates="talks")
    speakers: Mapped[list[TalkSpeaker]] = relationship(
        cascade="all, delete-orphan", order_by="TalkSpeaker.position", passive_deletes=True
    )
    decks: Mapped[list[TalkDeck]] = relationship(
        back_populates="talk",
        cascade="all, delete-orphan",
        order_by="TalkDeck.position",
        passive_deletes=True,
    )


class TalkSpeaker(db.Model):
    """A speaker of a talk, with the organisation they spoke for."""

    __tablename__ = "talk_speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(ForeignKey("talks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(300), default="")


class TalkDeck(db.Model):
    """A presentation attached to a talk; a deck belongs to one talk at most."""

    __tablename__ = "talk_decks"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    talk_id: Mapped[int] = mapped_column(ForeignKey("talks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    talk: Mapped[Talk] = relationship(back_populates="decks")
    deck: Mapped[Presentation] = relationship()


class CameraOffset(db.Model):
    """How wrong one camera's clock was at one event: `offset_seconds` is added to the times
    it recorded. A camera is its EXIF make, model and serial ('' where EXIF has none)."""

    __tablename__ = "camera_offsets"
    __table_args__ = (UniqueConstraint("event_id", "camera_make", "camera_model", "camera_serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    camera_make: Mapped[str] = mapped_column(String(100), default="")
    camera_model: Mapped[str] = mapped_column(String(100), default="")
    camera_serial: Mapped[str] = mapped_column(String(100), default="")
    offset_seconds: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PhotoPlacement(db.Model):
    """A photo moved into a session by hand: it overrides the placement by capture time.
    Deleting the session deletes the row, and the photo is placed by time again."""

    __tablename__ = "photo_placements"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)

    photo: Mapped[Photo] = relationship()
    placed_by: Mapped[User | None] = relationship()
