"""The repairs: each acts on what a `CheckReport` found, and says what it did.

The truth is the database and the originals, so repairs rebuild caches (index, derived
files), re-queue work, delete files nothing refers to, and mark items whose original is gone
as failed. They never delete a database row. Every destructive repair looks again just
before acting, because the service keeps running while a check takes its time.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from archive import materials, pipeline, tasks
from archive.extensions import db
from archive.fulltext import FulltextError
from archive.integrity.checks import absent_items
from archive.integrity.report import LOST_CODES, CheckReport, RepairAction
from archive.integrity.versions import repair_versions
from archive.models import Item, ItemState
from archive.pipeline import reprocess_item
from archive.services import current_storage

logger = logging.getLogger(__name__)


def repair(report: CheckReport) -> list[RepairAction]:
    """Fix what `report` found, in an order where earlier steps cannot undo later ones."""
    actions: list[RepairAction] = []
    for step in (
        repair_originals,
        repair_stuck,
        repair_derived,
        repair_index,
        repair_versions,
        remove_orphans,
        remove_stale_temp,
    ):
        actions += step(report)
        db.session.expire_all()  # inline tasks commit in their own sessions
    return actions


def repair_originals(report: CheckReport) -> list[RepairAction]:
    """Damaged originals go to quarantine; items without a usable original become failed."""
    storage = current_storage()
    actions = []
    for sha, item_id in report.corrupt_originals.items():
        if not storage.has_original(sha) or storage.hash_original(sha) == sha:
            continue
        where = storage.quarantine_original(sha)
        logger.warning("moved damaged original %s to %s", sha, where)
        actions.append(RepairAction(f"original {sha}", f"damaged; moved to {where}"))
        if item_id is not None:
            actions.append(mark_lost(item_id, "original-corrupt"))
    for item_id, sha in report.lost_originals.items():
        if not storage.has_original(sha):
            actions.append(mark_lost(item_id, "original-missing"))
    return actions


def mark_lost(item_id: int, code: str) -> RepairAction:
    """Record on the item that its original is gone, and take it out of search. Its pages
    and images stay: they may be all that is left of the file."""
    item = db.session.get(Item, item_id)
    if item is None:
        return RepairAction(f"item {item_id}", "deleted meanwhile; nothing to do")
    item.status, item.error_code = ItemState.FAILED, code
    item.error = (
        f"{item.original_filename}: the original file {LOST_CODES[code]} (SHA-256 "
        f"{item.sha256}); restore it from a backup and reprocess the item"
    )
    item.claimed_by = item.lease_until = None
    db.session.commit()
    pipeline.index_items([item_id])
    logger.warning("item %d marked failed: original %s", item_id, LOST_CODES[code])
    return RepairAction(f"item {item_id}", f"marked failed: its original {LOST_CODES[code]}")


def repair_stuck(report: CheckReport) -> list[RepairAction]:
    """Queue abandoned items again, with the same rules as the worker's recovery sweep."""
    actions = []
    stuck = report.stuck_processing
    released = pipeline.release_abandoned(tasks.worker_host()) if stuck else []
    for item_id in report.stuck_processing:
        if item_id not in released:
            status = db.session.scalar(select(Item.status).where(Item.id == item_id))
            actions.append(RepairAction(f"item {item_id}", f"not re-queued: now {status}"))
    for item_id in sorted(set(released) | set(report.stuck_queued)):
        tasks.enqueue_processing([item_id])
        logger.info("item %d re-queued by check --repair", item_id)
        actions.append(RepairAction(f"item {item_id}", "re-queued for processing"))
    return actions


def repair_derived(report: CheckReport) -> list[RepairAction]:
    """Extract again from the original; skipped for items whose original is gone."""
    actions = []
    for item_id in report.missing_derived:
        status = db.session.scalar(select(Item.status).where(Item.id == item_id))
        if status != ItemState.READY:
            actions.append(RepairAction(f"item {item_id}", f"not reprocessed: now {status}"))
            continue
        status, error = reprocess_item(item_id)
        if status == ItemState.READY:
            actions.append(RepairAction(f"item {item_id}", "derived files made again"))
        else:
            actions.append(
                RepairAction(f"item {item_id}", f"reprocessing {status}: {error}", False)
            )
    return actions


def repair_index(report: CheckReport) -> list[RepairAction]:
    try:
        if report.index_error:
            return [rebuild_index()]
        return reindex_items(report) + remove_strays(report) + reindex_drifted(report)
    except FulltextError as exc:
        return [RepairAction("search index", f"not repaired: {exc}", False)]


def rebuild_index() -> RepairAction:
    result = pipeline.rebuild_index()
    outcome = f"rebuilt with {result.items} item(s)"
    if result.failed:
        outcome += f"; left out: {', '.join(str(i) for i, _ in result.failed)}"
    return RepairAction("search index", outcome, ok=not result.failed)


def reindex_items(report: CheckReport) -> list[RepairAction]:
    ids = [i for i in report.unindexed_items if i not in report.missing_derived]
    pipeline.index_items(ids)
    return [RepairAction(f"item {i}", "indexed") for i in ids]


def reindex_drifted(report: CheckReport) -> list[RepairAction]:
    """Write again the documents of items whose access fields disagree with the database."""
    ids = sorted(report.index_access_drift)
    pipeline.index_items(ids)
    return [RepairAction(f"item {i}", "re-indexed with its current access") for i in ids]


def remove_strays(report: CheckReport) -> list[RepairAction]:
    """`index_items` removes an item that is (still) not ready and adds one that became so."""
    strays = [*report.stray_index_items, *report.unknown_index_items]
    pipeline.index_items(strays)
    return [RepairAction(f"item {item_id}", "removed from the search index") for item_id in strays]


def remove_orphans(report: CheckReport) -> list[RepairAction]:
    storage = current_storage()
    actions = []
    for sha in report.orphan_originals:
        if not materials.unused_originals([sha]):
            continue
        if db.session.scalar(select(Item.id).where(Item.sha256 == sha)) is None:
            storage.delete_original(sha)
            logger.info("removed orphan original %s", sha)
            actions.append(RepairAction(f"original {sha}", "removed (no item refers to it)"))
    for item_id in absent_items(set(report.orphan_derived)):
        storage.delete_all_derived(item_id)
        logger.info("removed derived files of deleted item %d", item_id)
        actions.append(RepairAction(f"derived/{item_id}", "removed (the item no longer exists)"))
    return actions


def remove_stale_temp(report: CheckReport) -> list[RepairAction]:
    storage = current_storage()
    actions = []
    for name in report.stale_temp:
        try:
            storage.remove_temp(name)
        except OSError as exc:
            actions.append(RepairAction(f"tmp/{name}", f"not removed: {exc}", False))
            continue
        actions.append(RepairAction(f"tmp/{name}", "removed"))
    return actions
