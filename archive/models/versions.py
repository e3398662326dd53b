"""Versions of an item: every file a presentation or photo has had, the current one included.

An item keeps its id for life, so links to it stay valid; its row carries the file of its
current version (`sha256`, name, size, type, pages) so that everything that reads an item
reads the current version. This table keeps the history: who uploaded which file when, with
what note, and how processing it went. A new version is processed on its own row while the
item stays as it was (and searchable), and becomes current when ready. Restoring an old
version adds a new version with the old file, so the history is never rewritten and an
original may belong to several versions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event, insert
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db
from archive.models.common import utcnow
from archive.models.items import Item, ItemState
from archive.models.users import User


class ItemVersion(db.Model):
    """One file of an item; `status` is the processing of this file, not of the item."""

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    mime: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    # The version this one copies when it was made by "make current again".
    restored_from: Mapped[int | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    status: Mapped[str] = mapped_column(String(20), default=ItemState.QUEUED, index=True)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    # When it stopped being the current version (None: current, or never current).
    replaced_at: Mapped[datetime | None]

    page_count: Mapped[int | None]
    width: Mapped[int | None]
    height: Mapped[int | None]

    item: Mapped[Item] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def is_current(self) -> bool:
        return self.item.version_number == self.number

    @property
    def pending(self) -> bool:
        return self.status in (ItemState.QUEUED, ItemState.PROCESSING)


@event.listens_for(Item, "after_insert", propagate=True)
def record_first_version(_mapper, connection, item: Item) -> None:
    """Every item has its version 1, however the row was made (upload, import, restore of an
    older backup through the migration, a test fixture): the invariant lives with the model."""
    connection.execute(
        insert(ItemVersion.__table__).values(
            item_id=item.id,
            number=item.version_number or 1,
            sha256=item.sha256,
            original_filename=item.original_filename,
            size=item.size,
            mime=item.mime,
            note="",
            uploaded_by_id=item.uploaded_by_id,
            created_at=item.created_at or utcnow(),
            status=item.status or ItemState.QUEUED,
            attempts=0,
            processed_at=item.processed_at,
            page_count=getattr(item, "page_count", None),
            width=getattr(item, "width", None),
            height=getattr(item, "height", None),
        )
    )
