"""New versions of an item: accept a corrected file, process it beside the current one, and
make it current when it is ready.

    accept_version()            store the file, check it, add a queued version row
    restore_version()           "make current again": a new version with an old file
    extract_version_and_save()  extract in the sandbox; under the publish lock, make the
                                version current when it is newer than the current one
    mark_version_failed()       record why; the item keeps its current version

The item is not touched until its new version is ready, so the old version stays what the
viewer, downloads and search show in the meantime. Making a version current swaps the
derived files and the item's file columns and pages in one step and clears `indexed_at`;
the pipeline then re-indexes the item, which replaces its documents in one index commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from archive import audit
from archive.extensions import db
from archive.fulltext.messages import Message
from archive.ingest.errors import UnsupportedType
from archive.ingest.extract import PresentationExtract, run_extraction
from archive.ingest.intake import clean_filename, find_by_sha
from archive.ingest.photos import PhotoInfo
from archive.ingest.processing import (
    extract_settings,
    mark_ready,
    publishing,
    save_extract,
)
from archive.ingest.sniff import sniff_file
from archive.models import Item, ItemKind, ItemState, ItemVersion, User
from archive.models.common import utcnow
from archive.services import current_storage
from archive.storage import LocalStorage, TooBig

logger = logging.getLogger(__name__)

MAX_NOTE = 2000
# Whole sentences, not pieces, so that each can be translated (the kinds are only two).
WRONG_KIND = {
    ItemKind.PRESENTATION: "%(file)s: a new version of a presentation must be a PDF, "
    "and this file is a photo",
    ItemKind.PHOTO: "%(file)s: a new version of a photo must be a photo, and this file is a PDF",
}


class VersionError(ValueError):
    """A version that cannot be added or restored; the message says why."""


@dataclass
class VersionOutcome:
    """The outcome of uploading a new version: the queued version, or why it was refused."""

    filename: str
    version: ItemVersion | None = None
    error: str | None = None
    error_code: str | None = None


def accept_version(
    storage: LocalStorage,
    stream: BinaryIO,
    filename: str,
    item: Item,
    uploader: User | None,
    note: str = "",
    max_bytes: int | None = None,
) -> VersionOutcome:
    """Store a new file for `item` and queue it as its next version, or say why not.
    The caller audits, commits, then hands `version.id` to the queue."""
    filename = clean_filename(filename)
    if len(note) > MAX_NOTE:
        return VersionOutcome(
            filename, error=Message("the note is longer than %(num)s characters", num=MAX_NOTE)
        )
    try:
        stored = storage.store_original(stream, max_bytes)
    except TooBig as exc:
        return VersionOutcome(filename, error=f"{filename}: {exc}", error_code="too-large")
    refusal = duplicate_refusal(item, stored.sha256, filename)
    if refusal is None:
        refusal = kind_refusal(storage, item, stored.sha256, filename)
    if refusal is not None:
        if stored.created:
            storage.delete_original(stored.sha256)
        return refusal
    with storage.original_file(stored.sha256) as path:
        mime = sniff_file(path, filename).mime
    earlier = next((v for v in item.versions if v.sha256 == stored.sha256), None)
    version = add_version(
        item,
        ItemVersion(
            sha256=stored.sha256,
            original_filename=filename,
            size=stored.size,
            mime=mime,
            note=note.strip(),
            restored_from=earlier.number if earlier else None,
            uploaded_by=uploader,
        ),
    )
    return VersionOutcome(filename, version=version)


def audit_upload(actor: User | None, version: ItemVersion, ip: str | None) -> None:
    """Record a new version in the audit log (web page and API alike)."""
    summary = f"version {version.number}: {version.original_filename}"
    if version.note:
        summary += f" ({version.note})"
    audit.record(actor, "item.version.upload", version.item, summary=summary, ip=ip)


def duplicate_refusal(item: Item, sha256: str, filename: str) -> VersionOutcome | None:
    """The same bytes as the current version, a version in progress or another item."""
    if sha256 == item.sha256:
        return VersionOutcome(
            filename,
            error=Message(
                "%(file)s: this file is already the current version of this item", file=filename
            ),
            error_code="duplicate",
        )
    for version in item.versions:
        if version.sha256 == sha256 and version.pending:
            return VersionOutcome(
                filename,
                error=Message(
                    "%(file)s: already uploaded as version %(number)s, which is being processed",
                    file=filename,
                    number=version.number,
                ),
                error_code="duplicate",
            )
    owner = find_by_sha(sha256)
    if owner is not None and owner.id != item.id:
        return VersionOutcome(
            filename,
            error=Message(
                "%(file)s: already in the archive as item %(id)s (“%(title)s”)",
                file=filename,
                id=owner.id,
                title=owner.display_title,
            ),
            error_code="duplicate",
        )
    return None


def kind_refusal(
    storage: LocalStorage, item: Item, sha256: str, filename: str
) -> VersionOutcome | None:
    """A deck is replaced by a PDF and a photo by a photo; anything else is refused."""
    try:
        with storage.original_file(sha256) as path:
            sniffed = sniff_file(path, filename)
    except UnsupportedType as exc:
        return VersionOutcome(filename, error=str(exc), error_code=exc.code)
    if sniffed.kind != item.kind:
        return VersionOutcome(
            filename,
            error=Message(WRONG_KIND[item.kind], file=filename),
            error_code="wrong-kind",
        )
    return None


def add_version(item: Item, version: ItemVersion, attempts: int = 3) -> ItemVersion:
    """Insert with the next free number; a concurrent upload taking it makes us try the next."""
    for _ in range(attempts):
        number = 1 + db.session.scalar(
            select(func.coalesce(func.max(ItemVersion.number), 0)).where(
                ItemVersion.item_id == item.id
            )
        )
        version.item_id, version.number, version.status = item.id, number, ItemState.QUEUED
        try:
            with db.session.begin_nested():
                db.session.add(version)
        except IntegrityError:
            db.session.expunge(version)
            continue
        logger.info("item %d: version %d accepted (%s)", item.id, number, version.sha256)
        return version
    raise VersionError(
        Message("item %(id)s: could not number the new version; try again", id=item.id)
    )


def restore_version(item: Item, number: int, actor: User | None, note: str = "") -> ItemVersion:
    """Make an earlier version current again by adding it as the newest version (the
    history is never rewritten). The caller audits, commits and queues it."""
    source = next((v for v in item.versions if v.number == number), None)
    if source is None:
        raise VersionError(
            Message("item %(id)s has no version %(number)s", id=item.id, number=number)
        )
    if source.number == item.version_number:
        raise VersionError(
            Message("version %(number)s is already the current version", number=number)
        )
    if source.status != ItemState.READY:
        raise VersionError(
            Message(
                "version %(number)s could not be processed: %(error)s",
                number=number,
                error=source.error,
            )
        )
    if any(v.pending for v in item.versions):
        raise VersionError(Message("another version is being processed; wait until it is done"))
    if not current_storage().has_original(source.sha256):
        raise VersionError(
            Message(
                "the file of version %(number)s is missing; restore it from a backup", number=number
            )
        )
    copy = ItemVersion(
        sha256=source.sha256,
        original_filename=source.original_filename,
        size=source.size,
        mime=source.mime,
        note=note.strip()[:MAX_NOTE] or f"Version {number} made current again",
        restored_from=number,
        uploaded_by=actor,
    )
    return add_version(item, copy)


def extract_version_and_save(version: ItemVersion) -> bool:
    """Extract a claimed version's file; returns whether it became the current version.

    Under the publish lock the item is read again: a version newer than the current one
    becomes current; an older one (a newer version finished first) keeps its files as an
    earlier version's."""
    storage = current_storage()
    version_id, item_id, number = version.id, version.item_id, version.number
    kind, filename = version.item.kind, version.original_filename
    with storage.original_file(version.sha256) as path, storage.staging_dir() as staged:
        result = run_extraction(kind, path, filename, staged, extract_settings())
        with publishing():
            version = db.session.get(ItemVersion, version_id)
            if version is None:  # the item was deleted meanwhile
                return False
            item = version.item
            current = number > item.version_number
            if current:
                make_current(item, version, result, staged)
            else:
                record_facts(version, result)
                storage.publish_version_derived(item_id, number, staged)
            finish(version)
            commit_or_undo(item_id, current)
    return current


def make_current(
    item: Item, version: ItemVersion, result: PresentationExtract | PhotoInfo, staged: Path
) -> None:
    """Swap the item over to `version`: derived files, file columns, pages and facts."""
    storage = current_storage()
    previous = item.current_version
    storage.retire_derived(item.id, item.version_number)
    storage.publish_derived(item.id, staged)
    if previous is not None:
        previous.replaced_at = utcnow()
    summary = f"version {version.number} ({version.original_filename}) is now current"
    if previous is not None:
        summary += f", replacing version {previous.number} ({previous.original_filename})"
    item.sha256, item.original_filename = version.sha256, version.original_filename
    item.size, item.mime = version.size, version.mime
    item.version_number = version.number
    save_extract(item, result)
    mark_ready(item)
    audit.record(None, "item.version.current", item, summary=summary)


def record_facts(version: ItemVersion, result: PresentationExtract | PhotoInfo) -> None:
    """The facts a version listing shows, for a version that is not current."""
    if isinstance(result, PresentationExtract):
        version.page_count = result.info.page_count
    else:
        version.width, version.height = result.width, result.height


def finish(version: ItemVersion) -> None:
    version.status, version.error, version.error_code = ItemState.READY, None, None
    version.processed_at = utcnow()
    version.claimed_by = version.lease_until = None


def commit_or_undo(item_id: int, became_current: bool) -> None:
    """Commit; if that fails after the files were swapped, put the old files back."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        if became_current:
            item = db.session.get(Item, item_id)
            if item is not None:
                current_storage().reinstate_derived(item_id, item.version_number)
        raise


def mark_version_failed(version_id: int, code: str, message: str) -> None:
    """Record why a new version failed; the item keeps showing its current version."""
    db.session.rollback()
    version = db.session.get(ItemVersion, version_id)
    if version is None:
        return
    version.status, version.error_code, version.error = ItemState.FAILED, code, message[:2000]
    version.claimed_by = version.lease_until = None
    version.processed_at = utcnow()
    summary = f"version {version.number} ({version.original_filename}) failed: {message}"
    audit.record(None, "item.version.failed", version.item, summary=summary)
    db.session.commit()
    logger.warning("item %d version %d failed: %s", version.item_id, version.number, message)
