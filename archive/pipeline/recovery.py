"""Recovery: the one routine that finds what dead workers and lost queue messages left
behind, used at worker start, by the periodic sweep and by `flask check --repair`."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from archive.extensions import db
from archive.ingest import ocrstate
from archive.models import Item, ItemState, ItemVersion
from archive.models.common import utcnow
from archive.pipeline.claims import MAX_ATTEMPTS, Claimable, extraction_seconds
from archive.services import current_storage

logger = logging.getLogger(__name__)

STALE_QUEUED = timedelta(minutes=2)


@dataclass
class Recovery:
    """Work that dead workers or lost queue messages left behind."""

    to_process: list[int] = field(default_factory=list)
    to_index: list[int] = field(default_factory=list)
    to_recognise: list[int] = field(default_factory=list)
    removed_temp: list[str] = field(default_factory=list)
    versions_to_process: list[int] = field(default_factory=list)


def recover(host: str, at_start: bool, queue_empty: bool = False) -> Recovery:
    """Find what to hand to the queue again; the one routine for worker start and sweeps.

    At a worker's start every queued item and version is sent again (the claim makes copies
    no-ops) and every unindexed item is indexed at once; a periodic sweep only takes work
    that the queue seems to have lost and items that finished long enough ago.
    """
    if at_start:
        return Recovery(
            requeue_unfinished(host),
            unindexed_items(timedelta(0)),
            recognitions_to_resume(host, True),
            remove_stale_temp(),
            requeue_unfinished(host, ItemVersion),
        )
    return Recovery(
        recoverable_items(host, queue_empty),
        unindexed_items(STALE_QUEUED),
        recognitions_to_resume(host, queue_empty),
        remove_stale_temp(),
        recoverable_items(host, queue_empty, ItemVersion),
    )


def recognitions_to_resume(host: str, all_pending: bool) -> list[int]:
    """Recognitions a dead worker left (pending again), and, at a worker's start or when the
    queue is empty, every pending one (the claim makes copies no-ops)."""
    ids = set(ocrstate.abandoned(host, worker_dead))
    if all_pending and ocrstate.enabled():
        ids |= set(ocrstate.pending_items())
    return sorted(ids)


def requeue_unfinished(host: str, model: Claimable = Item) -> list[int]:
    """At worker start: every queued item (or version), plus abandoned ones, to be
    (re-)enqueued."""
    abandoned = release_abandoned(host, model)
    queued = db.session.scalars(select(model.id).where(model.status == ItemState.QUEUED)).all()
    return sorted(set(queued) | set(abandoned))


def recoverable_items(host: str, queue_empty: bool = False, model: Claimable = Item) -> list[int]:
    """Periodic sweep: abandoned items (or versions), and queued ones the queue seems to
    have lost (a version is queued when it is created)."""
    ids = set(release_abandoned(host, model))
    if queue_empty:
        cutoff = utcnow() - STALE_QUEUED
        queued_at = model.updated_at if model is Item else model.created_at
        lost = model.status == ItemState.QUEUED, queued_at < cutoff
        ids |= set(db.session.scalars(select(model.id).where(*lost)))
    return sorted(ids)


def release_abandoned(host: str, model: Claimable = Item) -> list[int]:
    """Put items (or versions) back in the queue whose worker died (on this host) or whose
    lease ran out; one that keeps killing its worker fails after MAX_ATTEMPTS."""
    now = utcnow()
    released = []
    processing = select(model).where(model.status == ItemState.PROCESSING)
    for row in db.session.scalars(processing):
        if not (lease_expired(row, now) or worker_dead(row, host)):
            continue
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.error_code = ItemState.FAILED, "interrupted"
            row.error = (
                f"{row.original_filename}: processing was interrupted {row.attempts} times "
                "(the worker stopped while working on it)"
            )
        else:
            row.status = ItemState.QUEUED
            released.append(row.id)
        name = model.__tablename__
        logger.warning("%s %d abandoned by %s: now %s", name, row.id, row.claimed_by, row.status)
        row.claimed_by = row.lease_until = None
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
    tmp/ older than the longest an extraction may run."""
    removed = current_storage().remove_stale_temp(extraction_seconds())
    if removed:
        logger.warning("removed %d stale temporary file(s): %s", len(removed), removed[:5])
    return removed
