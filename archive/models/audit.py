"""The audit log: who did what to which object, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db
from archive.models.common import utcnow
from archive.models.users import User


class AuditEntry(db.Model):
    """One recorded action; the actor's name is copied so it survives account deletion.

    Downloads also carry the downloader's organisation (copied, like the name), the event,
    the item ids (one, or every deck of a ZIP) and the route, so that organisers can report
    who used what. `event_id` is a plain number, not a foreign key: history outlives events.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str | None] = mapped_column(String(64))
    organisation: Mapped[str | None] = mapped_column(String(200), index=True)
    event_id: Mapped[int | None] = mapped_column(index=True)
    item_ids: Mapped[list | None] = mapped_column(JSON)
    route: Mapped[str | None] = mapped_column(String(120))

    actor: Mapped[User | None] = relationship()
