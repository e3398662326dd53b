"""Share links: a chosen set of items opened without an account, by whoever holds the link.

The secret part of a link is never stored: a link is `<selector><verifier>`; the selector
finds the row, the verifier is kept as a SHA-256 and compared in constant time (the
"split token" pattern), so neither a database leak nor a timing difference gives a link away.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db
from archive.models.common import utcnow
from archive.models.items import Item
from archive.models.users import User

share_link_items = Table(
    "share_link_items",
    db.metadata,
    Column("link_id", ForeignKey("share_links.id", ondelete="CASCADE"), primary_key=True),
    # An item deleted from the archive leaves every link at once.
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True),
)


# What the owner's list says of a link (`ShareLink.state`).
LINK_STATES = ("active", "revoked", "expired", "used up")


class ShareLink(db.Model):
    """A link for a named recipient to some items, until it expires, is used up or revoked."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    selector: Mapped[str] = mapped_column(String(32), unique=True)
    verifier_hash: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    max_downloads: Mapped[int | None]
    downloads: Mapped[int] = mapped_column(default=0)
    visits: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    items: Mapped[list[Item]] = relationship(secondary=share_link_items, order_by=Item.id)

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def last_day(self) -> date:
        """The last day (UTC) the link works: it expires at the start of the next."""
        return (self.expires_at - timedelta(seconds=1)).date()

    @property
    def downloads_left(self) -> int | None:
        if self.max_downloads is None:
            return None
        return max(0, self.max_downloads - self.downloads)

    def state(self, now: datetime) -> str:
        """ "active", "revoked", "expired" or "used up", for the owner's list."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        if self.downloads_left == 0:
            return "used up"
        return "active"


class ShareMiss(db.Model):
    """A request under /s/ that found nothing, or a wrong password of a link: counted by
    `archive.linklimits` against the guess and password limits until it grows old."""

    __tablename__ = "share_misses"
    __table_args__ = (Index("ix_share_misses_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # "guess:<address>", "password:<address>" or "password-link:<link id>"
    key: Mapped[str] = mapped_column(String(120))
