"""Accepting a file: store the original by content, decide its kind by content, reject or
report duplicates, and create a queued item. The caller commits, then hands the new items'
ids (`accepted_ids`) to the queue."""

from __future__ import annotations

import logging
import os
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from archive import audit
from archive.extensions import db
from archive.fulltext.messages import Message
from archive.ingest.errors import UnsupportedType
from archive.ingest.sniff import sniff_file
from archive.models import (
    VISIBILITIES,
    Event,
    Item,
    ItemKind,
    ItemState,
    ItemVersion,
    Photo,
    Presentation,
    User,
    Visibility,
)
from archive.services import current_storage
from archive.storage import LocalStorage, TooBig

logger = logging.getLogger(__name__)

MAX_FILENAME = 200


@dataclass
class ItemFields:
    """Optional descriptive fields given with an upload."""

    title: str = ""
    speakers: str = ""
    organisation: str = ""
    language: str = ""
    visibility: str = Visibility.SHARED


@dataclass
class Accepted:
    """The outcome of one file of an upload: a new item, a duplicate, or a rejection."""

    filename: str
    item: Item | None = None
    duplicate_of: Item | None = None
    error: str | None = None
    error_code: str | None = None

    @property
    def outcome(self) -> str:
        if self.item is not None:
            return "accepted"
        return "duplicate" if self.duplicate_of is not None else "rejected"


class FieldError(ValueError):
    """An upload field has a value we cannot store; the message names the field."""


def clean_filename(name: str | None) -> str:
    """The last path part of a client's file name, printable and bounded; never a path."""
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > MAX_FILENAME:
        stem, ext = os.path.splitext(name)
        name = stem[: MAX_FILENAME - len(ext)] + ext
    return name or "unnamed"


def check_fields(fields: ItemFields) -> None:
    if fields.visibility not in VISIBILITIES:
        raise FieldError(
            Message("visibility must be one of %(choices)s", choices=", ".join(VISIBILITIES))
        )
    if len(fields.title) > 500:
        raise FieldError(Message("title is longer than 500 characters"))
    if len(fields.language) > 10:
        raise FieldError(Message("language is a short code such as en, ru or az"))


def accept_file(
    storage: LocalStorage,
    stream: BinaryIO,
    filename: str,
    event: Event,
    uploader: User | None,
    fields: ItemFields,
    max_bytes: int | None = None,
) -> Accepted:
    """Store one file and create its queued item, or say why not (duplicate, rejected)."""
    filename = clean_filename(filename)
    try:
        stored = storage.store_original(stream, max_bytes)
    except TooBig as exc:
        return Accepted(filename, error=f"{filename}: {exc}", error_code="too-large")
    existing = find_by_sha(stored.sha256)
    if existing is not None:
        return Accepted(filename, duplicate_of=existing)
    try:
        with storage.original_file(stored.sha256) as path:
            sniffed = sniff_file(path, filename)
    except UnsupportedType as exc:
        if stored.created:
            storage.delete_original(stored.sha256)
        return Accepted(filename, error=str(exc), error_code=exc.code)
    item = new_item(sniffed.kind, event, uploader, fields)
    item.original_filename = filename
    item.sha256, item.size, item.mime = stored.sha256, stored.size, sniffed.mime
    return insert_item(item)


def new_item(kind: str, event: Event, uploader: User | None, fields: ItemFields) -> Item:
    item = Presentation() if kind == ItemKind.PRESENTATION else Photo()
    item.event, item.uploaded_by = event, uploader
    item.title = fields.title.strip()
    item.visibility = fields.visibility
    item.status = ItemState.QUEUED
    if isinstance(item, Presentation):
        item.speakers = fields.speakers.strip()
        item.organisation = fields.organisation.strip()
        item.language = fields.language.strip() or None
    return item


def insert_item(item: Item) -> Accepted:
    """Insert in a savepoint: a concurrent upload of the same bytes makes this a duplicate."""
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        existing = find_by_sha(item.sha256)
        if existing is None:
            raise
        return Accepted(item.original_filename, duplicate_of=existing)
    logger.info("accepted %s as %s %d", item.original_filename, item.kind, item.id)
    return Accepted(item.original_filename, item=item)


def find_by_sha(sha256: str) -> Item | None:
    """The item whose current file, or any earlier version, has these bytes."""
    item = db.session.scalar(select(Item).where(Item.sha256 == sha256))
    if item is None:
        item = db.session.scalar(
            select(Item).join(Item.versions).where(ItemVersion.sha256 == sha256).limit(1)
        )
    return item


def accept_uploads(
    files: list[tuple[BinaryIO, str]],
    event: Event,
    uploader: User | None,
    fields: ItemFields,
    max_bytes: int | None,
    ip: str | None = None,
) -> list[Accepted]:
    """Accept every file of one upload, each judged alone, and audit what was added.
    The caller commits, then enqueues `accepted_ids(outcomes)`."""
    storage = current_storage()
    outcomes = []
    for stream, filename in files:
        outcome = accept_file(storage, stream, filename, event, uploader, fields, max_bytes)
        if outcome.item is not None:
            audit.record(uploader, "item.upload", outcome.item, summary=outcome.filename, ip=ip)
        outcomes.append(outcome)
    return outcomes


def accepted_ids(outcomes: list[Accepted]) -> list[int]:
    """The ids of the items an upload created (not its duplicates or rejections)."""
    return [outcome.item.id for outcome in outcomes if outcome.item is not None]
