"""Processing one queued item: claim it, extract in a limited child process, publish the
derived files, save pages and facts, then index it.

A claim is an atomic `queued -> processing` update with the worker's id and a lease, so two
deliveries of the same task, or two workers, never process an item twice at once. The
database commit comes before the index update; an item whose index update was lost keeps
`indexed_at` empty and is re-indexed by the recovery sweep or `flask check --repair`.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update

from archive.extensions import db
from archive.ingest.errors import IngestError
from archive.ingest.extract import ExtractSettings, PresentationExtract, run_extraction
from archive.ingest.photos import PhotoInfo
from archive.models import Item, Page, Photo, Presentation
from archive.models.common import utcnow
from archive.services import current_storage

logger = logging.getLogger(__name__)

LEASE_GRACE_S = 120


def extract_settings() -> ExtractSettings:
    config = current_app.config
    return ExtractSettings(
        max_pixels=config["MAX_IMAGE_PIXELS"],
        max_pages=config["MAX_PDF_PAGES"],
        timeout_s=config["EXTRACT_TIMEOUT_S"],
        memory_mb=config["EXTRACT_MEMORY_MB"],
    )


def lease_seconds() -> int:
    return current_app.config["EXTRACT_TIMEOUT_S"] + LEASE_GRACE_S


def claim(item_id: int, worker: str) -> bool:
    """Atomically take a queued item (or one whose lease ran out) for this worker."""
    now = utcnow()
    result = db.session.execute(
        update(Item)
        .where(
            Item.id == item_id,
            or_(Item.status == "queued", (Item.status == "processing") & (Item.lease_until < now)),
        )
        .values(
            status="processing",
            claimed_by=worker,
            lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=Item.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def process_item(item_id: int, worker: str, index: bool = True) -> str | None:
    """Run the whole pipeline for one item; returns its final status, or None if not claimed.
    Bulk imports pass `index=False` and index many items in one commit afterwards."""
    if not claim(item_id, worker):
        return None
    item = db.session.get(Item, item_id)
    filename = item.original_filename  # read now: after a database error the row is unusable
    try:
        extract_and_save(item)
    except IngestError as exc:
        mark_failed(item, exc.code, str(exc))
        return item.status
    except Exception as exc:  # a bug must fail this item, not the worker
        logger.exception("processing item %d failed unexpectedly", item_id)
        mark_failed(item, "internal", f"{filename}: internal error ({type(exc).__name__})")
        return item.status
    if index:
        index_after_commit(item.id)
    return "ready"


def extract_and_save(item: Item) -> None:
    """Extract into a staging folder, publish its files, and commit the item as ready."""
    storage = current_storage()
    with storage.original_file(item.sha256) as path, storage.staging_dir() as staged:
        result = run_extraction(item.kind, path, item.original_filename, staged, extract_settings())
        if isinstance(item, Presentation):
            save_presentation(item, result)
        else:
            save_photo(item, result)
        storage.publish_derived(item.id, staged)
    item.status, item.error, item.error_code = "ready", None, None
    item.processed_at, item.indexed_at = utcnow(), None
    item.claimed_by = item.lease_until = None
    db.session.commit()


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
    item.pages = [
        Page(number=p.number, label=(p.label or "")[:40] or None, text=p.text, language=p.language)
        for p in result.pages
    ]
    if not item.language:
        item.language = dominant_language(result)


def dominant_language(result: PresentationExtract) -> str | None:
    """The language most of the deck's text is in, weighted by text length."""
    weights: dict[str, int] = {}
    for page in result.pages:
        if page.language:
            weights[page.language] = weights.get(page.language, 0) + len(page.text)
    return max(weights, key=weights.get) if weights else None


def save_photo(item: Photo, info: PhotoInfo) -> None:
    item.width, item.height = info.width, info.height
    item.taken_at = info.taken_at.replace(tzinfo=None) if info.taken_at else None
    item.camera_make = (info.camera_make or "")[:100] or None
    item.camera_model = (info.camera_model or "")[:100] or None


def mark_failed(item: Item, code: str, message: str) -> None:
    """Record the reason and drop anything half-made; the original stays for a retry."""
    db.session.rollback()
    item = db.session.get(Item, item.id)
    if isinstance(item, Presentation):
        item.pages = []
    item.status, item.error_code, item.error = "failed", code, message[:2000]
    item.claimed_by = item.lease_until = None
    item.processed_at = utcnow()
    db.session.commit()
    current_storage().delete_derived(item.id)
    remove_from_index(item.id)
    logger.warning("item %d failed: %s", item.id, message)


def remove_from_index(item_id: int) -> None:
    """A failed re-extraction must not leave the old pages searchable."""
    from archive import indexing

    try:
        indexing.remove_item(item_id)
    except Exception:
        logger.exception("could not remove failed item %d from the index", item_id)


def index_after_commit(item_id: int) -> None:
    """Index a freshly committed item; a failure here is repaired later, not fatal."""
    from archive import indexing

    try:
        indexing.index_item(item_id)
    except Exception:
        logger.exception("indexing item %d failed; it will be re-indexed by recovery", item_id)


def reprocess_item(item_id: int) -> tuple[str, str | None]:
    """Extract an item again from its original (after an extractor upgrade or a failure)."""
    db.session.execute(
        update(Item)
        .where(Item.id == item_id, Item.status != "processing")
        .values(status="queued", error=None, error_code=None, attempts=0)
    )
    db.session.commit()
    process_item(item_id, f"reprocess:{os.getpid()}")
    item = db.session.get(Item, item_id)
    db.session.refresh(item)
    return item.status, item.error
