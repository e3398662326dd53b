"""Extracting one claimed item and saving what came out: pages, facts and derived files.

The pipeline (`archive.pipeline`) claims the item and decides when it is indexed; this
module only runs the extraction in a limited child process, publishes the derived files
and commits the item as ready, or records why it failed. It knows nothing of the queue or
the search index.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import func, select

from archive.extensions import db
from archive.ingest.extract import ExtractSettings, PresentationExtract, run_extraction
from archive.ingest.language import language_by_script
from archive.ingest.photos import PhotoInfo
from archive.models import Item, ItemState, Page, Photo, Presentation
from archive.models.common import utcnow
from archive.services import current_storage

logger = logging.getLogger(__name__)


def extract_settings() -> ExtractSettings:
    config = current_app.config
    return ExtractSettings(
        max_pixels=config["MAX_IMAGE_PIXELS"],
        max_pages=config["MAX_PDF_PAGES"],
        timeout_s=config["EXTRACT_TIMEOUT_S"],
        memory_mb=config["EXTRACT_MEMORY_MB"],
    )


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
    item.status, item.error, item.error_code = ItemState.READY, None, None
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
    as the hint between languages of one script."""
    detected = [p.language for p in result.pages]
    hint = (
        item.language
        or dominant_language(result.pages, detected)
        or event_language(item.event_id, item.id)
    )
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


def event_language(event_id: int, item_id: int) -> str | None:
    """The language most of the event's other decks are in, if any has one."""
    row = db.session.execute(
        select(Presentation.language, func.count())
        .where(
            Presentation.event_id == event_id,
            Presentation.id != item_id,
            Presentation.language.is_not(None),
        )
        .group_by(Presentation.language)
        .order_by(func.count().desc(), Presentation.language)
        .limit(1)
    ).first()
    return row[0] if row else None


def save_photo(item: Photo, info: PhotoInfo) -> None:
    item.width, item.height = info.width, info.height
    item.taken_at = info.taken_at.replace(tzinfo=None) if info.taken_at else None
    item.camera_make = (info.camera_make or "")[:100] or None
    item.camera_model = (info.camera_model or "")[:100] or None
    item.photographer = (info.photographer or "")[:200] or None


def mark_failed(item_id: int, code: str, message: str) -> None:
    """Record the reason and drop anything half-made; the original stays for a retry."""
    db.session.rollback()
    item = db.session.get(Item, item_id)
    if isinstance(item, Presentation):
        item.pages = []
    item.status, item.error_code, item.error = ItemState.FAILED, code, message[:2000]
    item.claimed_by = item.lease_until = None
    item.processed_at = utcnow()
    db.session.commit()
    current_storage().delete_derived(item.id)
    logger.warning("item %d failed: %s", item.id, message)
