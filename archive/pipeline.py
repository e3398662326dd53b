"""The pipeline: the one place that decides how an accepted item is processed and indexed.

    accepted item (queued, committed)                         ingest.intake
      -> extract_item(id, worker)   claim with a lease, extract and save: ready | failed
      -> index_pending()            every ready item whose documents are not written yet,
                                    in batches, one run at a time

That rule is the same whoever starts it. The queue (`archive.tasks`) runs `extract_item`
for one item per task and `index_pending` as a task of its own, so that several workers
share one index commit; bulk import, the demo, restore and `flask reprocess` call
`process_items`, which runs both steps here; `flask reindex` calls `rebuild_index`. Edits
and deletions bring the index up to date with `reindex_items` and `remove_items`.

This module knows nothing of the queue: `tasks.py` calls it, never the reverse. Claims and
leases live here too, with the recovery that finds work a dead worker left behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select, update

from archive import indexing
from archive.extensions import db
from archive.fileio import try_lock, wait_for_lock
from archive.fulltext import RebuildReport
from archive.ingest import IngestError, ItemFields, bulk, extract_and_save, mark_failed
from archive.ingest.bulk import ImportReport
from archive.ingest.sandbox import stop_children
from archive.models import Event, Item, ItemState
from archive.models.common import utcnow
from archive.services import current_storage

logger = logging.getLogger(__name__)

LEASE_GRACE_S = 120
MAX_ATTEMPTS = 3
STALE_QUEUED = timedelta(minutes=2)
INDEX_BATCH = 100
INDEX_LOCK = "index-ready.lock"


# claims and leases


def lease_seconds() -> int:
    """How long a claim lasts: the longest an extraction may run, plus a margin."""
    return current_app.config["EXTRACT_TIMEOUT_S"] + LEASE_GRACE_S


def claim(item_id: int, worker: str) -> bool:
    """Atomically take a queued item (or one whose lease ran out) for this worker.

    An atomic `queued -> processing` update means two deliveries of the same task, or two
    workers, never process one item at once.
    """
    now = utcnow()
    expired = (Item.status == ItemState.PROCESSING) & (Item.lease_until < now)
    result = db.session.execute(
        update(Item)
        .where(Item.id == item_id, or_(Item.status == ItemState.QUEUED, expired))
        .values(
            status=ItemState.PROCESSING,
            claimed_by=worker,
            lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=Item.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


# processing


def extract_item(item_id: int, worker: str) -> str | None:
    """Claim, extract and save one item; its final state, or None if another worker has it.

    The item is not indexed here: `index_pending` does that for everything ready.
    """
    if not claim(item_id, worker):
        return None
    item = db.session.get(Item, item_id)
    filename = item.original_filename  # read now: after a database error the row is unusable
    try:
        extract_and_save(item)
    except IngestError as exc:
        return fail(item_id, exc.code, str(exc))
    except Exception as exc:  # a bug must fail this item, not the worker
        logger.exception("processing item %d failed unexpectedly", item_id)
        return fail(item_id, "internal", f"{filename}: internal error ({type(exc).__name__})")
    return ItemState.READY


def fail(item_id: int, code: str, message: str) -> str:
    """Mark the item failed and take any earlier version of it out of search."""
    mark_failed(item_id, code, message)
    remove_items([item_id])
    return ItemState.FAILED


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


# indexing


def index_pending(wait: bool) -> int | None:
    """Index every ready item whose documents are not written yet; how many, or None when
    another run holds the lock and `wait` is false.

    The index takes one writer at a time and a commit costs ~50 ms whatever its size, so
    one run indexes whatever finished meanwhile, in one commit per batch. One run at a time
    (two at once indexed the same items twice): a queue task that finds another run going
    is retried later by its caller. The lock is an flock, which the kernel drops when its
    holder dies, so a killed worker cannot leave indexing blocked.
    """
    lock = Path(current_app.instance_path) / INDEX_LOCK
    if wait:
        with wait_for_lock(lock, timeout=current_app.config["EXTRACT_TIMEOUT_S"]):
            return indexing.index_unindexed()
    with try_lock(lock) as taken:
        return indexing.index_unindexed() if taken else None


def index_items(item_ids: list[int]) -> None:
    """Make the index agree with the database about these items now, in batches: ready
    items are written, the others removed (repairs)."""
    for start in range(0, len(item_ids), indexing.BATCH):
        indexing.index_batch(item_ids[start : start + indexing.BATCH])


def reindex_items(item_ids: Iterable[int]) -> None:
    """Changed fields or visibility take effect in search at once; a failure is left for
    the recovery sweep (the item keeps `indexed_at` empty), not raised."""
    for item_id in item_ids:
        try:
            indexing.index_item(item_id)
        except Exception:
            logger.exception("could not re-index item %d; recovery will retry", item_id)
            db.session.rollback()


def remove_items(item_ids: Iterable[int]) -> None:
    """Drop deleted or failed items from search; the index is a cache, so a failure here is
    logged and left to `flask check --repair`."""
    for item_id in item_ids:
        try:
            indexing.remove_item(item_id)
        except Exception:
            logger.exception("could not remove item %d from the index", item_id)


def reindex_event(event_id: int) -> None:
    """After an event's details or grants change, refresh its items' documents."""
    indexing.index_event(event_id)


def rebuild_index(progress: Callable[[int], None] | None = None) -> RebuildReport:
    """Rebuild the whole index from the database into a new generation, then swap it in."""
    return indexing.rebuild(progress)


# recovery


@dataclass
class Recovery:
    """Work that dead workers or lost queue messages left behind."""

    to_process: list[int] = field(default_factory=list)
    to_index: list[int] = field(default_factory=list)
    removed_temp: list[str] = field(default_factory=list)


def recover(host: str, at_start: bool, queue_empty: bool = False) -> Recovery:
    """Find what to hand to the queue again; the one routine for worker start and sweeps.

    At a worker's start every queued item is sent again (the claim makes copies no-ops) and
    every unindexed item is indexed at once; a periodic sweep only takes items that the
    queue seems to have lost and those that finished long enough ago.
    """
    if at_start:
        return Recovery(
            requeue_unfinished(host), unindexed_items(timedelta(0)), remove_stale_temp()
        )
    return Recovery(
        recoverable_items(host, queue_empty), unindexed_items(STALE_QUEUED), remove_stale_temp()
    )


def requeue_unfinished(host: str) -> list[int]:
    """At worker start: every queued item, plus abandoned ones, to be (re-)enqueued."""
    abandoned = release_abandoned(host)
    queued = db.session.scalars(select(Item.id).where(Item.status == ItemState.QUEUED)).all()
    return sorted(set(queued) | set(abandoned))


def recoverable_items(host: str, queue_empty: bool = False) -> list[int]:
    """Periodic sweep: abandoned items, and queued items the queue seems to have lost."""
    ids = set(release_abandoned(host))
    if queue_empty:
        cutoff = utcnow() - STALE_QUEUED
        lost = Item.status == ItemState.QUEUED, Item.updated_at < cutoff
        ids |= set(db.session.scalars(select(Item.id).where(*lost)))
    return sorted(ids)


def release_abandoned(host: str) -> list[int]:
    """Put items back in the queue whose worker died (on this host) or whose lease ran out;
    an item that keeps killing its worker fails after MAX_ATTEMPTS."""
    now = utcnow()
    released = []
    processing = select(Item).where(Item.status == ItemState.PROCESSING)
    for item in db.session.scalars(processing):
        if not (lease_expired(item, now) or worker_dead(item, host)):
            continue
        if item.attempts >= MAX_ATTEMPTS:
            item.status, item.error_code = ItemState.FAILED, "interrupted"
            item.error = (
                f"{item.original_filename}: processing was interrupted {item.attempts} times "
                "(the worker stopped while working on it)"
            )
        else:
            item.status = ItemState.QUEUED
            released.append(item.id)
        logger.warning("item %d abandoned by %s: now %s", item.id, item.claimed_by, item.status)
        item.claimed_by = item.lease_until = None
    db.session.commit()
    return released


def lease_expired(item: Item, now) -> bool:
    return item.lease_until is not None and item.lease_until < now


def worker_dead(item: Item, host: str) -> bool:
    """True when the claiming worker ran on this host and its process is gone."""
    claimed_host, _, pid = (item.claimed_by or "").rpartition(":")
    if claimed_host != host or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def unindexed_items(settled: timedelta = STALE_QUEUED) -> list[int]:
    """Ready items whose search documents were never written (or were lost), leaving alone
    those that finished moments ago and are being indexed right now."""
    cutoff = utcnow() - settled
    query = select(Item.id).where(
        Item.status == ItemState.READY, Item.indexed_at.is_(None), Item.processed_at < cutoff
    )
    return list(db.session.scalars(query))


def remove_stale_temp() -> list[str]:
    """Remove partial uploads and extraction staging folders of killed processes: anything in
    tmp/ older than a lease, the longest an extraction may run."""
    removed = current_storage().remove_stale_temp(lease_seconds())
    if removed:
        logger.warning("removed %d stale temporary file(s): %s", len(removed), removed[:5])
    return removed
