"""Extracting one claimed item and saving what came out: pages, facts and derived files.

The pipeline (`archive.pipeline`) claims the item and decides when it is indexed; this
module only runs the extraction in a limited child process, publishes the derived files
and commits the item as ready, or records why it failed. It knows nothing of the queue or
the search index.

An item's file can change while it is extracted (a new version becomes current), so the
step that publishes files and commits rows runs under one lock (`publishing`) and first
reads the item again: an extraction of a file that is no longer current is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

from archive.extensions import db
from archive.fileio import wait_for_lock
from archive.ingest.extract import ExtractSettings, PresentationExtract, run_extraction
from archive.ingest.language import language_by_script
from archive.ingest.ocrstate import mark_pending as mark_ocr_pending
from archive.ingest.photos import ExifFacts, PhotoInfo, read_photo_facts
from archive.ingest.sandbox import run_sandboxed
from archive.models import Item, ItemState, Page, Photo, Presentation
from archive.models.common import utcnow
from archive.services import current_storage

logger = logging.getLogger(__name__)

PUBLISH_LOCK = "item-publish.lock"
PUBLISH_WAIT_S = 120


def extract_settings() -> ExtractSettings:
    config = current_app.config
    return ExtractSettings(
        max_pixels=config["MAX_IMAGE_PIXELS"],
        max_pages=config["MAX_PDF_PAGES"],
        timeout_s=config["EXTRACT_TIMEOUT_S"],
        memory_mb=config["EXTRACT_MEMORY_MB"],
    )


@contextmanager
def publishing() -> Iterator[None]:
    """One publisher at a time: the swap of derived files and the commit that goes with it
    (an flock, dropped by the kernel if its holder dies). The session's transaction is
    ended first, so what is read inside is what the last publisher committed."""
    db.session.rollback()
    with wait_for_lock(Path(current_app.instance_path) / PUBLISH_LOCK, PUBLISH_WAIT_S):
        yield


def extract_and_save(item: Item) -> bool:
    """Extract into a staging folder, publish its files, and commit the item as ready.
    Returns False when a newer version became current meanwhile (nothing is saved)."""
    storage = current_storage()
    item_id, sha = item.id, item.sha256
    with storage.original_file(sha) as path, storage.staging_dir() as staged:
        result = run_extraction(item.kind, path, item.original_filename, staged, extract_settings())
        with publishing():
            item = db.session.get(Item, item_id)
            if item is None or item.sha256 != sha:
                logger.info("item %d: its file changed during extraction; result dropped", item_id)
                return False
            save_extract(item, result)
            storage.publish_derived(item.id, staged)
            mark_ready(item)
            db.session.commit()
    return True


def save_extract(item: Item, result: PresentationExtract | PhotoInfo) -> None:
    """Pages and facts of the extracted file onto the item and its current version row."""
    if isinstance(item, Presentation):
        save_presentation(item, result)
    else:
        save_photo(item, result)
    version = item.current_version
    if version is not None:
        version.page_count = getattr(item, "page_count", None)
        version.width, version.height = getattr(item, "width", None), getattr(item, "height", None)
        version.status, version.error, version.error_code = ItemState.READY, None, None
        version.processed_at = utcnow()


def mark_ready(item: Item) -> None:
    item.status, item.error, item.error_code = ItemState.READY, None, None
    item.processed_at, item.indexed_at = utcnow(), None
    item.claimed_by = item.lease_until = None
    mark_ocr_pending(item)  # text recognition follows as a step of its own


def save_presentation(item: Presentation, result: PresentationExtract) -> None:
    info = result.info
    item.page_count = info.page_count
    item.has_text = result.has_text
    item.pdf_title = (info.title or "")[:500] or None
    item.pdf_author = (info.author or "")[:500] or None
    item.pdf_created = info.created.replace(tzinfo=None) if info.created else None
    item.outline = [
        {"title": e.title, "page": e.page_number, "level": e.level} for e in info.outline
    ]
    if not item.title and item.pdf_title:
        item.title = item.pdf_title
    item.pages.clear()
    db.session.flush()  # delete the old pages before inserting new ones with the same numbers
    languages = settle_languages(item, result)
    item.pages = [
        Page(number=p.number, label=(p.label or "")[:40] or None, text=p.text, language=language)
        for p, language in zip(result.pages, languages, strict=True)
    ]
    if not item.language:
        item.language = dominant_language(result.pages, languages)


def settle_languages(item: Presentation, result: PresentationExtract) -> list[str | None]:
    """Each page's language: the model's where it was sure; elsewhere the script decides,
    with the deck's language (set by staff, or of its confident pages) or else the event's
    main language as the hint between languages of one script."""
    detected = [p.language for p in result.pages]
    hint = item.language or dominant_language(result.pages, detected) or item.event.language
    return [
        language or language_by_script(page.text, hint)
        for page, language in zip(result.pages, detected, strict=True)
    ]


def dominant_language(pages, languages: list[str | None]) -> str | None:
    """The language most of the deck's text is in, weighted by text length."""
    weights: dict[str, int] = {}
    for page, language in zip(pages, languages, strict=True):
        if language:
            weights[language] = weights.get(language, 0) + len(page.text)
    return max(weights, key=weights.get) if weights else None


def save_photo(item: Photo, info: PhotoInfo) -> None:
    item.width, item.height = info.width, info.height
    save_capture_facts(item, info)


def save_capture_facts(item: Photo, facts: PhotoInfo | ExifFacts) -> None:
    """The camera's local capture time and, apart, the UTC offset it recorded (if any), so
    that a photo without one can be read in its event's time zone (`archive.programme`)."""
    taken = facts.taken_at
    offset = taken.utcoffset() if taken is not None else None
    item.taken_at = taken.replace(tzinfo=None) if taken else None
    item.taken_offset_minutes = int(offset.total_seconds() // 60) if offset is not None else None
    item.camera_make = (facts.camera_make or "")[:100] or None
    item.camera_model = (facts.camera_model or "")[:100] or None
    item.camera_serial = (facts.camera_serial or "")[:100] or None
    item.photographer = (facts.photographer or "")[:200] or None


def refresh_capture_facts(item: Photo) -> None:
    """Read a stored photo's capture time, UTC offset and camera again from its original's
    EXIF (in the sandbox, without decoding pixels): for photos stored before these were
    kept. The caller commits; IngestError says why a file could not be read."""
    settings = extract_settings()
    with current_storage().original_file(item.sha256) as path:
        facts = run_sandboxed(
            read_photo_facts,
            path,
            item.original_filename,
            filename=item.original_filename,
            timeout_s=settings.timeout_s,
            memory_mb=settings.memory_mb,
        )
    save_capture_facts(item, facts)


def mark_failed(item_id: int, code: str, message: str, sha256: str | None = None) -> bool:
    """Record the reason and drop anything half-made; the original stays for a retry.

    With `sha256` (the file that failed), nothing is recorded when the item has moved on
    to another file meanwhile (a newer version became current); returns whether recorded."""
    with publishing():
        item = db.session.get(Item, item_id)
        if item is None or (sha256 is not None and item.sha256 != sha256):
            return False
        if isinstance(item, Presentation):
            item.pages = []
        item.status, item.error_code, item.error = ItemState.FAILED, code, message[:2000]
        item.claimed_by = item.lease_until = None
        item.processed_at = utcnow()
        version = item.current_version
        if version is not None:
            version.status, version.error_code, version.error = item.status, code, item.error
        db.session.commit()
        current_storage().delete_derived(item.id)
    logger.warning("item %d failed: %s", item.id, message)
    return True
