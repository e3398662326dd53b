"""Keeping the search index in step with the database: one indexing run at a time for
everything ready, and the writes that edits, deletions, repairs and rebuilds need."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from flask import current_app

from archive import indexing
from archive.extensions import db
from archive.fulltext import RebuildReport
from archive.locks import run_lock

logger = logging.getLogger(__name__)

INDEX_LOCK = "index-ready"


def index_pending(wait: bool) -> int | None:
    """Index every ready item whose documents are not written yet; how many, or None when
    another run holds the lock and `wait` is false.

    The index takes one writer at a time and a commit costs ~50 ms whatever its size, so
    one run indexes whatever finished meanwhile, in one commit per batch. One run at a time
    (two at once indexed the same items twice): a queue task that finds another run going
    is retried later by its caller. The lock (`archive.locks`) is shared by every process on
    every machine and dropped when its holder dies, so a killed worker cannot block indexing.
    """
    timeout = current_app.config["EXTRACT_TIMEOUT_S"]
    with run_lock(INDEX_LOCK, wait=wait, timeout=timeout) as taken:
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
