"""Text recognition in the database: who runs it, which pages it covers, how far it got.

An item is ready and searchable by its text layer first; recognition follows as a step of
its own (`OcrState`): `pending` when extraction commits, `running` while a worker holds it
(a claim with a lease, like extraction's, in the same `claimed_by`/`lease_until` columns,
which a ready item does not otherwise use), then `done`, `failed` or `skipped`. A failure
here never touches the item's own state. Each write checks that this worker still holds
the claim, so a reprocess or a second worker that took over is never overwritten.

Whatever changes the searchable text clears `indexed_at`, and `pipeline.index_pending`
brings the index up to date as for any other change.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, or_, select, update

from archive.extensions import db
from archive.ingest.language import detect_language
from archive.ingest.ocr import Recognition, Tesseract, choose_languages
from archive.ingest.recognition import OcrSettings, PagePlan
from archive.models import Item, ItemState, OcrReason, OcrState, Page, Photo, Presentation
from archive.models.common import utcnow

logger = logging.getLogger(__name__)

LEASE_GRACE_S = 120
MAX_ERROR = 2000


def enabled() -> bool:
    return current_app.config["OCR"] == "auto"


def lease_seconds() -> int:
    """A claim lasts one page's (or photo's) work plus a margin; each page renews it."""
    config = current_app.config
    return max(config["OCR_PAGE_TIMEOUT_S"] * 2, config["EXTRACT_TIMEOUT_S"]) + LEASE_GRACE_S


def mark_pending(item: Item) -> None:
    """At extraction (before its commit): recognition is to follow, or not at all."""
    item.ocr_state = OcrState.PENDING if enabled() else None
    item.ocr_pages_total = item.ocr_pages_done = None
    item.ocr_error = item.ocr_finished_at = item.ocr_languages = None
    if isinstance(item, Photo):
        item.ocr_text = item.ocr_unsure = None


def request(item_ids: list[int]) -> list[int]:
    """Recognise these ready items again from the start (`flask ocr`, staff); the ids that
    were queued (items being processed or recognised right now are left alone)."""
    queued = []
    for item in db.session.scalars(select(Item).where(Item.id.in_(item_ids))):
        if item.status != ItemState.READY or item.ocr_state == OcrState.RUNNING:
            continue
        mark_pending(item)
        item.ocr_state = OcrState.PENDING
        if isinstance(item, Presentation):
            for page in item.pages:
                page.ocr_reason = page.ocr_text = page.ocr_unsure = page.ocr_confidence = None
        queued.append(item.id)
    db.session.commit()
    return queued


def claim(item_id: int, worker: str) -> bool:
    """Atomically take a ready item's pending recognition (or one whose lease ran out)."""
    now = utcnow()
    expired = and_(Item.ocr_state == OcrState.RUNNING, Item.lease_until < now)
    result = db.session.execute(
        update(Item)
        .where(Item.id == item_id, Item.status == ItemState.READY)
        .where(or_(Item.ocr_state == OcrState.PENDING, expired))
        .values(
            ocr_state=OcrState.RUNNING,
            claimed_by=worker,
            lease_until=now + timedelta(seconds=lease_seconds()),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def holds(item: Item, worker: str) -> bool:
    """True while this worker still holds the item's recognition (re-read from the database)."""
    db.session.refresh(item)
    return item.claimed_by == worker and item.ocr_state == OcrState.RUNNING


def settings_for(item: Item) -> OcrSettings:
    """Tesseract, languages and limits for this item (OcrFailed if Tesseract is missing)."""
    config = current_app.config
    codes = [getattr(item, "language", None), item.event.language]
    program = config["OCR_TESSERACT"]
    known = [code for code in codes if code]
    languages = choose_languages(known[:1], config["OCR_LANGUAGES"], program)
    return OcrSettings(
        tesseract=Tesseract(program, languages, float(config["OCR_PAGE_TIMEOUT_S"])),
        dpi=config["OCR_DPI"],
        memory_mb=config["EXTRACT_MEMORY_MB"],
        max_pixels=config["MAX_IMAGE_PIXELS"],
        words_cache=str(Path(current_app.instance_path) / "ocr-words"),
        language_codes=tuple(known),
    )


def save_plan(item: Presentation, plans: list[PagePlan], languages: str) -> None:
    """Record which pages to recognise; unreadable layers leave the index at once."""
    reasons = {plan.number: plan.reason for plan in plans}
    for page in item.pages:
        page.ocr_reason = reasons.get(page.number)
        page.ocr_text = page.ocr_unsure = page.ocr_confidence = None
    item.ocr_pages_total = len(plans)
    item.ocr_pages_done = 0
    item.ocr_languages = languages
    if OcrReason.UNREADABLE in reasons.values():
        item.indexed_at = None
    renew(item)
    db.session.commit()


def pages_to_recognise(item: Presentation) -> list[Page]:
    return [p for p in item.pages if p.ocr_reason and p.ocr_text is None]


def save_page(item: Presentation, page: Page, result: Recognition | None, error: str = "") -> None:
    """Store one page's recognised text (an empty text when it failed) and the progress."""
    page.ocr_text = result.text if result else ""
    page.ocr_unsure = " ".join(result.unsure) if result else None
    page.ocr_confidence = result.confidence if result else None
    if result and result.text and (page.ocr_reason != OcrReason.THIN or not page.language):
        page.language = detect_language(result.text, item.language or item.event.language)
    item.ocr_pages_done = (item.ocr_pages_done or 0) + 1
    if error:
        item.ocr_error = append_error(item.ocr_error, f"page {page.number}: {error}")
    if result and result.text:
        item.indexed_at = None
    renew(item)
    db.session.commit()


def save_photo(item: Photo, result: Recognition | None, languages: str) -> None:
    """Store a photo's recognised text; None when the screening found no text."""
    item.ocr_text = result.text if result and result.text else None
    item.ocr_unsure = " ".join(result.unsure) if result and result.unsure else None
    item.ocr_pages_total = item.ocr_pages_done = 1
    item.ocr_languages = languages
    if item.ocr_text:
        item.indexed_at = None
    db.session.commit()


def finish(item: Item) -> str:
    """Release the claim: done (skipped when there was nothing to read); its state."""
    if isinstance(item, Photo):
        item.ocr_state = OcrState.DONE if item.ocr_text else OcrState.SKIPPED
    elif not item.ocr_pages_total:
        item.ocr_state = OcrState.SKIPPED
    elif item.ocr_error and not any(page.ocr_text for page in item.pages):
        item.ocr_state = OcrState.FAILED  # every page failed: say so, not "done"
    else:
        item.ocr_state = OcrState.DONE
    item.ocr_finished_at = utcnow()
    item.claimed_by = item.lease_until = None
    db.session.commit()
    return item.ocr_state


def pause(item: Item) -> None:
    """Hand the rest back to the queue (the worker's slice of time is used up)."""
    item.ocr_state = OcrState.PENDING
    item.claimed_by = item.lease_until = None
    db.session.commit()


def fail(item_id: int, worker: str, message: str) -> str:
    """Record why recognition stopped; the item stays ready with its text layer."""
    db.session.rollback()
    db.session.execute(
        update(Item)
        .where(Item.id == item_id, Item.claimed_by == worker, Item.status == ItemState.READY)
        .values(
            ocr_state=OcrState.FAILED,
            ocr_error=message[:MAX_ERROR],
            ocr_finished_at=utcnow(),
            claimed_by=None,
            lease_until=None,
            indexed_at=None,  # whatever was recognised before the failure is indexed
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    logger.warning("text recognition of item %d failed: %s", item_id, message)
    return OcrState.FAILED


def renew(item: Item) -> None:
    item.lease_until = utcnow() + timedelta(seconds=lease_seconds())


def append_error(previous: str | None, message: str) -> str:
    return "\n".join(filter(None, [previous, message]))[:MAX_ERROR]


def abandoned(host: str, is_dead) -> list[int]:
    """Running recognitions whose lease ran out or whose worker (on this host) died: pending
    again, their pages recognised so far kept."""
    now = utcnow()
    ids = []
    for item in db.session.scalars(select(Item).where(Item.ocr_state == OcrState.RUNNING)):
        expired = item.lease_until is not None and item.lease_until < now
        if expired or is_dead(item, host):
            item.ocr_state, item.claimed_by, item.lease_until = OcrState.PENDING, None, None
            ids.append(item.id)
    db.session.commit()
    return ids


def pending_items() -> list[int]:
    query = select(Item.id).where(
        Item.status == ItemState.READY, Item.ocr_state == OcrState.PENDING
    )
    return list(db.session.scalars(query.order_by(Item.id)))
