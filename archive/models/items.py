"""Items of an event: presentations (with their pages) and photos, in one id space.

Both kinds live in the `items` table (single-table inheritance on `kind`), so that an
upload, the API and the audit log can refer to "item 42" without saying which kind.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db
from archive.models.common import utcnow
from archive.models.events import Event, split_list
from archive.models.users import User
from archive.vocabulary import ItemKind, ItemState, Visibility

VISIBILITIES = tuple(v.value for v in Visibility)
VISIBILITY_LABELS = {
    Visibility.SHARED: "Shared (researchers, and partners of granted events)",
    Visibility.STAFF: "Staff only",
}
STATES = tuple(s.value for s in ItemState)


class Item(db.Model):
    """What every stored file has: its event, original, visibility and processing state."""

    __tablename__ = "items"
    __table_args__ = (Index("ix_items_event_kind", "event_id", "kind"),)
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_abstract": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(500), default="")
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.SHARED)

    original_filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int]
    mime: Mapped[str] = mapped_column(String(100))

    status: Mapped[str] = mapped_column(String(20), default=ItemState.QUEUED, index=True)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]

    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    processed_at: Mapped[datetime | None]
    # Set when the search index holds this item's current documents; None means "to index".
    indexed_at: Mapped[datetime | None]
    # The number of the version whose file the columns above describe (see ItemVersion).
    version_number: Mapped[int] = mapped_column(default=1)

    # Text recognition (archive.ingest.recognition), a step after the item is ready.
    ocr_state: Mapped[str | None] = mapped_column(String(20), index=True)
    ocr_pages_total: Mapped[int | None]  # pages (or 1 photo) that need recognising
    ocr_pages_done: Mapped[int | None]
    ocr_languages: Mapped[str | None] = mapped_column(String(60))  # Tesseract's "eng+rus"
    ocr_error: Mapped[str | None] = mapped_column(Text)
    ocr_finished_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
    # ItemVersion (models/versions.py) imports this module; SQLAlchemy resolves the name.
    versions: Mapped[list[ItemVersion]] = relationship(  # noqa: F821
        back_populates="item",
        cascade="all, delete-orphan",
        order_by="ItemVersion.number",
        passive_deletes=True,
    )

    @property
    def display_title(self) -> str:
        return self.title or self.original_filename

    @property
    def current_version(self) -> ItemVersion | None:  # noqa: F821
        """The version row of the file the item shows now."""
        return next((v for v in self.versions if v.number == self.version_number), None)


class Presentation(Item):
    """A slide deck (PDF) with its extracted pages."""

    __mapper_args__ = {"polymorphic_identity": ItemKind.PRESENTATION}

    speakers: Mapped[str] = mapped_column(Text, default="", nullable=True)
    organisation: Mapped[str] = mapped_column(String(300), default="", nullable=True)
    language: Mapped[str | None] = mapped_column(String(10))
    page_count: Mapped[int | None]
    has_text: Mapped[bool | None]
    pdf_title: Mapped[str | None] = mapped_column(String(500))
    pdf_author: Mapped[str | None] = mapped_column(String(500))
    pdf_created: Mapped[datetime | None]
    outline: Mapped[list | None] = mapped_column(JSON)

    pages: Mapped[list[Page]] = relationship(
        back_populates="presentation",
        cascade="all, delete-orphan",
        order_by="Page.number",
        passive_deletes=True,
    )

    @property
    def speaker_list(self) -> list[str]:
        return split_list(self.speakers or "", separators=";,\n")


class Photo(Item):
    """An event photo; the original is kept byte for byte, thumbnails carry no EXIF."""

    __mapper_args__ = {"polymorphic_identity": ItemKind.PHOTO}

    width: Mapped[int | None]
    height: Mapped[int | None]
    # The camera's local clock time (EXIF DateTimeOriginal), naive; with the UTC offset the
    # camera wrote beside it (OffsetTimeOriginal), else None: the event's time zone applies.
    taken_at: Mapped[datetime | None]
    taken_offset_minutes: Mapped[int | None]
    camera_make: Mapped[str | None] = mapped_column(String(100))
    camera_model: Mapped[str | None] = mapped_column(String(100))
    camera_serial: Mapped[str | None] = mapped_column(String(100))
    # Text recognised on the photo (a slide on a screen, a banner); None if none was found.
    ocr_text: Mapped[str | None] = mapped_column(Text)
    # Words recognised with low confidence: searchable, never offered as "did you mean".
    ocr_unsure: Mapped[str | None] = mapped_column(Text)
    photographer: Mapped[str | None] = mapped_column(String(200))  # from EXIF

    @property
    def credit(self) -> str | None:
        """Who took the photo: EXIF's photographer, else a credit in the caption
        ("Photo: Ann Lee", "Фото: А. Иванов", "© Ann Lee")."""
        return self.photographer or photographer_in_caption(self.title)


CAPTION_CREDIT = re.compile(
    r"(?:photo(?:graph)?\s*(?:by\b|:)|фото(?:граф)?\s*:|foto(?:qraf)?\s*:|©)\s*"
    r"(?P<name>[^()\[\]|,;:]{2,80}?)\s*(?:[)\]|,;]|\.?\s*$)",
    re.IGNORECASE,
)


def photographer_in_caption(caption: str | None) -> str | None:
    match = CAPTION_CREDIT.search(caption or "")
    return match.group("name").strip() if match else None


class Page(db.Model):
    """One page of a presentation: its number, printed label and extracted text."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    number: Mapped[int]
    label: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(10))
    # Set when the text layer is missing, thin or unreadable (`OcrReason`): recognise it.
    ocr_reason: Mapped[str | None] = mapped_column(String(20))
    ocr_text: Mapped[str | None] = mapped_column(Text)  # None: not recognised (yet)
    ocr_unsure: Mapped[str | None] = mapped_column(Text)
    ocr_confidence: Mapped[float | None]  # Tesseract's mean word confidence, 0-100

    presentation: Mapped[Presentation] = relationship(back_populates="pages")
