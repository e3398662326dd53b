"""Processing accepted items: extract and save one, or many here (commands), then index."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flask import current_app
from sqlalchemy import update

from archive.extensions import db
from archive.ingest import IngestError, ItemFields, bulk, extract_and_save, mark_failed
from archive.ingest.bulk import ImportReport
from archive.ingest.sandbox import stop_children
from archive.models import Event, Item, ItemState
from archive.pipeline.claims import claim, keep_claim
from archive.pipeline.index import index_pending, remove_items

logger = logging.getLogger(__name__)

INDEX_BATCH = 100


def extract_item(item_id: int, worker: str) -> str | None:
    """Claim, extract and save one item; its final state, or None if another worker has it.

    The item is not indexed here: `index_pending` does that for everything ready.
    """
    if not claim(item_id, worker):
        return None
    item = db.session.get(Item, item_id)
    # Read now: after a database error the row is unusable.
    filename, sha = item.original_filename, item.sha256
    try:
        with keep_claim(item_id, worker):
            extract_and_save(item)
    except IngestError as exc:
        return fail(item_id, exc.code, str(exc), sha)
    except Exception as exc:  # a bug must fail this item, not the worker
        logger.exception("processing item %d failed unexpectedly", item_id)
        return fail(item_id, "internal", f"{filename}: internal error ({type(exc).__name__})", sha)
    return ItemState.READY


def fail(item_id: int, code: str, message: str, sha256: str | None = None) -> str:
    """Mark the item failed and take its stale pages out of search; nothing is recorded
    when a newer version became current while this file was extracted."""
    if mark_failed(item_id, code, message, sha256):
        remove_items([item_id])
        return ItemState.FAILED
    return ItemState.READY


def process_item(item_id: int, worker: str) -> str | None:
    """Extract one item and index it before returning (commands, tests, the demo)."""
    status = extract_item(item_id, worker)
    if status == ItemState.READY:
        index_pending(wait=True)
    return status


def process_items(
    item_ids: list[int],
    worker: str,
    jobs: int = 1,
    progress: Callable[[int, str | None], None] | None = None,
) -> None:
    """Extract many items here, `jobs` at a time, indexing every INDEX_BATCH ready ones.

    `progress(item_id, status)` is called as each item finishes, in the given order.
    """
    app = current_app._get_current_object()

    def run(item_id: int) -> str | None:
        with app.app_context():
            try:
                return extract_item(item_id, worker)
            finally:
                db.session.remove()

    ready = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for item_id, status in zip(item_ids, pool.map(run, item_ids), strict=True):
            ready += status == ItemState.READY
            if ready >= INDEX_BATCH:
                index_pending(wait=True)
                ready = 0
            if progress:
                progress(item_id, status)
    index_pending(wait=True)
    stop_children()  # the pool's threads are gone; so should their extraction children be


def reprocess_item(item_id: int) -> tuple[str, str | None]:
    """Extract an item again from its original (after an extractor upgrade or a failure)."""
    db.session.execute(
        update(Item)
        .where(Item.id == item_id, Item.status != ItemState.PROCESSING)
        .values(status=ItemState.QUEUED, error=None, error_code=None, attempts=0)
    )
    db.session.commit()
    process_item(item_id, f"reprocess:{os.getpid()}")
    item = db.session.get(Item, item_id)
    db.session.refresh(item)
    return item.status, item.error


def requeue_failed(item_id: int) -> bool:
    """Queue a failed item for another try (the caller commits, then enqueues it); False when
    the item is not failed (it was retried meanwhile, or succeeded)."""
    result = db.session.execute(
        update(Item)
        .where(Item.id == item_id, Item.status == ItemState.FAILED)
        .values(status=ItemState.QUEUED, error=None, error_code=None, attempts=0)
    )
    return result.rowcount == 1


def import_folder(
    folder: Path,
    event: Event,
    defaults: ItemFields,
    per_file: dict[str, ItemFields] | None = None,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
    report: ImportReport | None = None,
) -> ImportReport:
    """Import every file of `folder` into `event` and see each one through to ready or
    failed (`flask import`); `per_file` overrides the fields by relative file name."""
    report = report or ImportReport()
    accepted = bulk.accept_folder(folder, event, defaults, per_file, report, progress)
    names = dict((item_id, relative) for relative, item_id in accepted)

    def done(item_id: int, _status: str | None) -> None:
        bulk.record_outcome(names[item_id], item_id, report)
        if progress:
            progress(1)

    process_items(list(names), f"import:{id(report)}", jobs, done)
    return report
