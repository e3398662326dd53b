"""Finding work that a dead worker left behind: items stuck in `processing`, items queued
but never delivered, items processed but not indexed, and its half-made files in tmp/."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from sqlalchemy import select

from archive.extensions import db
from archive.ingest.processing import lease_seconds
from archive.models import Item
from archive.models.common import utcnow
from archive.services import current_storage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STALE_QUEUED = timedelta(minutes=2)


def requeue_unfinished(host: str) -> list[int]:
    """At worker start: every queued item, plus abandoned ones, to be (re-)enqueued."""
    abandoned = release_abandoned(host)
    queued = db.session.scalars(select(Item.id).where(Item.status == "queued")).all()
    return sorted(set(queued) | set(abandoned))


def recoverable_items(host: str, queue_empty: bool = False) -> list[int]:
    """Periodic sweep: abandoned items, and queued items the queue seems to have lost."""
    ids = set(release_abandoned(host))
    if queue_empty:
        cutoff = utcnow() - STALE_QUEUED
        ids |= set(
            db.session.scalars(
                select(Item.id).where(Item.status == "queued", Item.updated_at < cutoff)
            )
        )
    return sorted(ids)


def release_abandoned(host: str) -> list[int]:
    """Put items back in the queue whose worker died (on this host) or whose lease ran out;
    an item that keeps killing its worker fails after MAX_ATTEMPTS."""
    now = utcnow()
    released = []
    for item in db.session.scalars(select(Item).where(Item.status == "processing")):
        if not (lease_expired(item, now) or worker_dead(item, host)):
            continue
        if item.attempts >= MAX_ATTEMPTS:
            item.status, item.error_code = "failed", "interrupted"
            item.error = (
                f"{item.original_filename}: processing was interrupted {item.attempts} times "
                "(the worker stopped while working on it)"
            )
        else:
            item.status = "queued"
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
        Item.status == "ready", Item.indexed_at.is_(None), Item.processed_at < cutoff
    )
    return list(db.session.scalars(query))


def remove_stale_temp() -> list[str]:
    """Remove partial uploads and extraction staging folders of killed processes: anything in
    tmp/ older than a lease, the longest an extraction may run."""
    removed = current_storage().remove_stale_temp(lease_seconds())
    if removed:
        logger.warning("removed %d stale temporary file(s): %s", len(removed), removed[:5])
    return removed
