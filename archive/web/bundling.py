"""A bundle: chosen decks and photos as one ZIP with an index, streamed while it is written
(beside `zipstream`, which it builds on).

Partners (or staff for a partner) download one across the events the partner is granted,
and a share link's "download all" is one too. Files are grouped in a folder per event; photos
go without their GPS position (`archive.outgoing`). The index lists title, speakers,
organisation, event, date and file name, as `index.html` for people and `index.csv` for
spreadsheets; items that could not be included are listed with the reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response, render_template, stream_with_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload, with_polymorphic

from archive.extensions import db
from archive.models import Event, Item, Photo, Presentation
from archive.models.common import utcnow
from archive.outgoing import OutgoingFile, outgoing_file
from archive.zipstream import ZipMember, member_names, safe_name, stream_zip

INDEX_COLUMNS = (
    "title",
    "kind",
    "speakers",
    "organisation",
    "event",
    "event date",
    "taken",
    "pages",
    "version",
    "file",
    "size (bytes)",
    "note",
)


@dataclass(frozen=True)
class BundleEntry:
    """One item of a bundle and where its file is in the ZIP (None: left out, see note)."""

    item: Item
    path: str | None
    file: OutgoingFile | None
    note: str = ""

    def row(self) -> dict[str, str]:
        """The item's line of the index."""
        item, event = self.item, self.item.event
        deck = isinstance(item, Presentation)
        taken = item.taken_at if isinstance(item, Photo) else None
        return {
            "title": item.display_title,
            "kind": item.kind,
            "speakers": (item.speakers or "") if deck else "",
            "organisation": (item.organisation or "") if deck else "",
            "event": event.title,
            "event date": event_dates(event),
            "taken": taken.strftime("%Y-%m-%d %H:%M") if taken else "",
            "pages": str(item.page_count or "") if deck else "",
            "version": str(item.version_number),
            "file": self.path or "",
            "size (bytes)": str(self.file.size) if self.file else "",
            "note": self.note,
        }


@dataclass(frozen=True)
class Bundle:
    """The entries of a ZIP and the words its index opens with."""

    title: str
    prepared_for: str
    made_at: datetime
    entries: list[BundleEntry]

    @property
    def included(self) -> list[BundleEntry]:
        return [e for e in self.entries if e.file is not None]


def load_items(item_ids: list[int]) -> list[Item]:
    """The items in a stable order (event date, event, decks before photos, title), with
    their events loaded in one query."""
    every_kind = with_polymorphic(Item, [Presentation, Photo])  # speakers, taken_at: one query
    items = db.session.scalars(
        select(every_kind)
        .where(every_kind.id.in_(item_ids))
        .options(selectinload(every_kind.event))
    ).all()
    return sorted(
        items,
        key=lambda i: (
            i.event.start_date or date.min,
            i.event.slug,
            i.kind != "presentation",
            i.display_title.lower(),
            i.id,
        ),
    )


def build_bundle(items: list[Item], title: str, prepared_for: str) -> Bundle:
    """Decide each item's file and its name in the ZIP (`<event slug>/<file name>`, made
    unique within the folder)."""
    files = [(item, outgoing_file(item)) for item in items]
    by_event: dict[str, list[tuple[Item, OutgoingFile]]] = {}
    for item, file in files:
        if file is not None:
            by_event.setdefault(item.event.slug, []).append((item, file))
    paths: dict[int, str] = {}
    for slug, group in by_event.items():
        names = member_names((safe_name(f.name, suffix="") or "file" for _, f in group), "")
        folder = safe_name(slug, suffix="") or "event"
        for (item, _), name in zip(group, names, strict=True):
            paths[item.id] = f"{folder}/{name}"
    entries = [
        BundleEntry(
            item,
            paths.get(item.id),
            file,
            file.note if file else "left out: its file is not available",
        )
        for item, file in files
    ]
    return Bundle(title, prepared_for, utcnow(), entries)


def index_csv(bundle: Bundle) -> bytes:
    """The index as CSV (UTF-8 with a byte-order mark, so spreadsheets read the accents)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=INDEX_COLUMNS)
    writer.writeheader()
    for entry in bundle.entries:
        writer.writerow({k: neutralise_formula(v) for k, v in entry.row().items()})
    return out.getvalue().encode("utf-8-sig")


def neutralise_formula(value: str) -> str:
    """A cell a spreadsheet would run as a formula (a title starting with "=") is quoted."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def zip_response(bundle: Bundle, filename: str) -> Response:
    """The bundle as a download, streamed while it is written."""
    index_html = render_template("bundles/zip_index.html", bundle=bundle).encode()
    response = Response(
        stream_with_context(stream_bundle(bundle, index_html)), mimetype="application/zip"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def stream_bundle(bundle: Bundle, index_html: bytes) -> Iterator[bytes]:
    """The ZIP: index.html, index.csv, then the files; never held whole anywhere."""
    at = bundle.made_at
    csv_data = index_csv(bundle)
    members = [
        ZipMember("index.html", lambda: io.BytesIO(index_html), len(index_html), at),
        ZipMember("index.csv", lambda: io.BytesIO(csv_data), len(csv_data), at),
    ]
    members += [
        ZipMember(entry.path, entry.file.open, entry.file.size, entry.file.modified)
        for entry in bundle.included
    ]
    return stream_zip(members)


def event_dates(event: Event) -> str:
    if event.start_date is None:
        return ""
    if event.end_date and event.end_date != event.start_date:
        return f"{event.start_date.isoformat()} to {event.end_date.isoformat()}"
    return event.start_date.isoformat()
