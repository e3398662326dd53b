"""Text recognition, a separate step after an item is ready: which pages to read, in
slices of time, and the index updated as text is added. It never fails the item."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app

from archive.extensions import db
from archive.ingest import IngestError, ocrstate
from archive.ingest.recognition import run_plan_deck, run_recognise_page, run_recognise_photo
from archive.ingest.sandbox import stop_children
from archive.models import Item, OcrState, Photo
from archive.pipeline.index import index_pending
from archive.services import current_storage

logger = logging.getLogger(__name__)


def recognise_item(item_id: int, worker: str, budget_s: float | None = None) -> str | None:
    """Recognise what a ready item's text layer lacks: pages first planned, then read one
    by one, each committed with the progress. Stops after `budget_s` seconds, leaving the
    rest pending (`OcrState.PENDING`: the caller queues it again), so that a long scan
    never holds a worker away from new uploads for long. Returns the new state, or None
    when another worker holds it. A failure fails the recognition, never the item."""
    if not ocrstate.claim(item_id, worker):
        return None
    item = db.session.get(Item, item_id)
    filename = item.original_filename
    try:
        settings = ocrstate.settings_for(item)
        with current_storage().original_file(item.sha256) as path:
            if isinstance(item, Photo):
                result = run_recognise_photo(path, filename, settings)
                ocrstate.save_photo(item, result, settings.tesseract.languages)
                return ocrstate.finish(item)
            return recognise_pages(item, worker, path, settings, budget_s)
    except IngestError as exc:
        return ocrstate.fail(item_id, worker, str(exc))
    except Exception as exc:  # a bug fails the recognition, not the item or the worker
        logger.exception("text recognition of item %d failed unexpectedly", item_id)
        return ocrstate.fail(item_id, worker, f"{filename}: internal error ({type(exc).__name__})")


def recognise_pages(item, worker: str, path: Path, settings, budget_s: float | None) -> str | None:
    """Plan the deck once, then read its pages until done or out of time; a page that
    fails (timeout, crash) is recorded and the others go on."""
    started = time.monotonic()
    if item.ocr_pages_total is None:
        texts = [page.text for page in item.pages]
        plans = run_plan_deck(path, item.original_filename, texts, settings,
                              current_app.config["EXTRACT_TIMEOUT_S"])  # fmt: skip
        ocrstate.save_plan(item, plans, settings.tesseract.languages)
    pages = ocrstate.pages_to_recognise(item)
    for done, page in enumerate(pages, start=1):
        if not ocrstate.holds(item, worker):
            return None  # reprocessed or taken over meanwhile: leave it to the new holder
        try:
            result = run_recognise_page(path, item.original_filename, page.number, settings)
        except IngestError as exc:
            logger.warning("item %d page %d: %s", item.id, page.number, exc)
            ocrstate.save_page(item, page, None, exc.reason)
        else:
            ocrstate.save_page(item, page, result)
        out_of_time = budget_s is not None and time.monotonic() - started > budget_s
        if out_of_time and done < len(pages):
            ocrstate.pause(item)
            return OcrState.PENDING
    return ocrstate.finish(item)


def recognise_items(
    item_ids: list[int], worker: str, progress: Callable[[int, str | None], None] | None = None
) -> None:
    """Recognise many items here, each to the end, indexing as they finish (`flask ocr`)."""
    for item_id in item_ids:
        state = recognise_item(item_id, worker)
        index_pending(wait=True)
        if progress:
            progress(item_id, state)
    stop_children()


def recognised_pages(item_id: int) -> int:
    """Pages of the item recognised so far (its progress)."""
    return db.session.get(Item, item_id).ocr_pages_done or 0


def request_recognition(item_ids: list[int]) -> list[int]:
    """Start recognition of these ready items again from scratch; the ids queued."""
    return ocrstate.request(item_ids)
