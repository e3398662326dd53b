"""Downloads: the name an original is sent under, what a non-staff user gets of a photo, and
the audit record of every download, with the counts staff see on an event page.

Every download of an original (one file, an event's ZIP, by browser or by API; page images
and thumbnails are not downloads) adds one audit entry, committed before the first byte is
sent: who, from which organisation, which item(s) of which event, by which route, from
which address. One insert per download, nothing per chunk.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select

from archive import audit, permissions
from archive.extensions import db
from archive.ingest.photos import open_without_gps
from archive.ingest.sniff import EXTENSIONS
from archive.models import AuditEntry, Event, Item, ItemKind, Presentation
from archive.ordering import sort_items
from archive.services import current_storage
from archive.zipstream import member_names, safe_name

DOWNLOAD = "download"
DOWNLOAD_ZIP = "download.zip"
DOWNLOAD_ACTIONS = (DOWNLOAD, DOWNLOAD_ZIP)


@dataclass(frozen=True)
class DeckDownloads:
    """How often one deck was downloaded (alone or in a ZIP), and by how many organisations."""

    times: int
    organisations: int


def download_name(filename: str, mime: str) -> str:
    """The uploader's file name, safe to save, ending in an extension of the type the content
    was sniffed as: "slides.html" holding a PDF downloads as "slides.html.pdf"."""
    extensions = EXTENSIONS.get(mime, ())
    name = safe_name(filename, suffix="")
    extension = os.path.splitext(name)[1].lstrip(".").lower()
    if not extensions or extension in extensions:
        return name or "download"
    return safe_name(f"{name or 'download'}.{extensions[0]}", suffix="")


def strips_location(user, item: Item) -> bool:
    """Photos reach everyone but staff without their GPS position; staff get the original."""
    return item.kind == ItemKind.PHOTO and not permissions.is_staff(user)


def photo_without_location(item: Item) -> BinaryIO:
    """The photo's original with its position removed, streamed from the original
    (`LocationNotRemoved` when that is not certain); the stored original is never changed."""
    with current_storage().original_file(item.sha256) as path:
        return open_without_gps(path, item.mime)


def record_download(
    user, items: list[Item], route: str, ip: str | None, zipped: bool = False
) -> AuditEntry:
    """Add the audit entry of one download of `items` (all of one event) and commit it."""
    event = items[0].event
    if zipped:
        entry = audit.record(
            user, DOWNLOAD_ZIP, event, f"{event.slug}: {len(items)} presentation(s)", ip=ip
        )
    else:
        summary = f"{items[0].original_filename} ({items[0].display_title})"
        entry = audit.record(user, DOWNLOAD, items[0], summary, ip=ip)
    entry.organisation = user.organisation.name if user.organisation else None
    entry.event_id = event.id
    entry.item_ids = [item.id for item in items]
    entry.route = route
    db.session.commit()
    return entry


def deck_downloads(event: Event) -> dict[int, DeckDownloads]:
    """For each deck of an event downloaded at least once: times and organisations."""
    rows = db.session.execute(
        select(AuditEntry.item_ids, AuditEntry.organisation).where(
            AuditEntry.event_id == event.id, AuditEntry.action.in_(DOWNLOAD_ACTIONS)
        )
    )
    times: Counter[int] = Counter()
    organisations: dict[int, set[str]] = defaultdict(set)
    for item_ids, organisation in rows:
        for item_id in item_ids or ():
            times[item_id] += 1
            if organisation:
                organisations[item_id].add(organisation)
    return {i: DeckDownloads(n, len(organisations[i])) for i, n in times.items()}


def downloadable_decks(user, event: Event, sort: str = "title") -> list[Presentation]:
    """The ready decks of an event that `user` may download (what its ZIP contains), in the
    order of the event page sorted by `sort` (`ordering`)."""
    decks = db.session.scalars(
        select(Presentation).where(
            Presentation.event_id == event.id,
            Presentation.status == "ready",
            permissions.item_filter(user),
        )
    ).all()
    return sort_items([deck for deck in decks if permissions.may_download(user, deck)], sort)


def zip_member_names(decks: Iterable[Presentation]) -> list[str]:
    """The names of the decks inside an event's ZIP, made unique: each deck's title with its
    speakers ("Title – A. Speaker.pdf"), or its download name when it has no title."""
    return member_names((zip_title(d) for d in decks), suffix="")


def zip_title(deck: Presentation) -> str:
    """One deck's name in the ZIP, ending in the extension of its sniffed type."""
    name = download_name(deck.original_filename, deck.mime)
    if not deck.title:
        return name
    speakers = ", ".join(deck.speaker_list)
    title = f"{deck.title} – {speakers}" if speakers else deck.title
    return safe_name(title, suffix="") + os.path.splitext(name)[1]
