"""Earlier versions of items, checked and repaired like the items themselves: their
originals, their derived files (kept under uploads/versions/), and processing that a dead
worker or a lost queue message left behind. A current version is its item's business: its
file and derived files are checked as the item's.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from archive import pipeline, tasks
from archive.extensions import db
from archive.integrity.report import LOST_CODES, CheckReport, RepairAction
from archive.models import Item, ItemKind, ItemState, ItemVersion
from archive.models.common import utcnow
from archive.services import current_storage
from archive.storage import PAGE_FILES, PHOTO_FILES, page_file

logger = logging.getLogger(__name__)

MISSING_FOLDER = "(the whole folder)"


def load_versions() -> dict[int, object]:
    """The columns the checks need, of every version, with its item's kind and current."""
    v = ItemVersion.__table__.c
    query = select(
        v.id,
        v.item_id,
        v.number,
        v.sha256,
        v.status,
        v.error_code,
        v.page_count,
        v.claimed_by,
        v.lease_until,
        v.created_at,
        Item.kind,
        Item.version_number.label("current"),
    ).join(Item, Item.id == v.item_id)
    return {row.id: row for row in db.session.execute(query)}


def referenced_originals(versions) -> dict[str, int]:
    """sha -> item id for every version's file (an original may serve several versions)."""
    return {row.sha256: row.item_id for row in versions.values()}


def check_versions(report: CheckReport, versions, on_disk: set[str], queue_empty) -> None:
    """Originals, derived files and processing of the versions that are not current."""
    report.versions_checked = len(versions)
    earlier = [row for row in versions.values() if row.number != row.current]
    for row in earlier:
        if row.sha256 in on_disk:
            continue
        if is_lost(row):
            report.recorded_version_losses[row.id] = row.error_code
        elif row.status != ItemState.FAILED:
            report.lost_version_originals[row.id] = row.sha256
    check_version_derived(report, earlier)
    check_version_queue(report, earlier, queue_empty)


def check_version_derived(report: CheckReport, earlier) -> None:
    """Ready earlier versions have their images; a folder that is no such version's is an
    orphan (a current version's files live with its item). The images of a version whose
    original is lost stay: they may be all that is left of it."""
    storage = current_storage()
    kept = {(row.item_id, row.number) for row in earlier if is_lost(row)}
    for row in earlier:
        if row.status != ItemState.READY:
            continue
        kept.add((row.item_id, row.number))
        names = storage.version_derived_names(row.item_id, row.number)
        if names is None:
            report.missing_version_derived[row.id] = [MISSING_FOLDER]
            continue
        wanted = PHOTO_FILES.values() if row.kind == ItemKind.PHOTO else []
        missing = [name for name in wanted if name not in names]
        for number in range(1, (row.page_count or 0) + 1):
            pair = [page_file(number, size) for size in PAGE_FILES]
            absent = [name for name in pair if name not in names]
            if len(absent) == 1:  # none of the two: a page pdfium could not render
                missing += absent
        if missing:
            report.missing_version_derived[row.id] = missing
    report.orphan_version_derived = [
        f"{item_id}/{number}"
        for item_id, number in storage.iter_version_folders()
        if (item_id, number) not in kept
    ]


def is_lost(row) -> bool:
    return row.status == ItemState.FAILED and row.error_code in LOST_CODES


def check_version_queue(report: CheckReport, earlier, queue_empty) -> None:
    now, host = utcnow(), tasks.worker_host()
    for row in earlier:
        if row.status == ItemState.PROCESSING:
            if pipeline.lease_expired(row, now):
                report.stuck_versions[row.id] = "lease ran out"
            elif pipeline.worker_dead(row, host):
                report.stuck_versions[row.id] = f"worker {row.claimed_by} is not running"
        elif row.status == ItemState.QUEUED and queue_empty:
            if row.created_at < now - pipeline.STALE_QUEUED:
                report.stuck_versions[row.id] = "queued for long while the queue is empty"


# ---------------------------------------------------------------------------- repairs


def repair_versions(report: CheckReport) -> list[RepairAction]:
    actions = [mark_version_lost(v, "original-missing") for v in report.lost_version_originals]
    actions += requeue_versions(report)
    actions += remake_version_files(report)
    storage = current_storage()
    for folder in report.orphan_version_derived:
        item_id, number = (int(part) for part in folder.split("/"))
        if not is_earlier_version(item_id, number):
            storage.delete_version_derived(item_id, number)
            actions.append(RepairAction(f"versions/{folder}", "removed (no earlier version)"))
    return actions


def mark_version_lost(version_id: int, code: str) -> RepairAction:
    """Record on an earlier version that its file is gone; the item is not affected."""
    version = db.session.get(ItemVersion, version_id)
    if version is None:
        return RepairAction(f"version {version_id}", "deleted meanwhile; nothing to do")
    version.status, version.error_code = ItemState.FAILED, code
    version.error = (
        f"{version.original_filename}: the original file {LOST_CODES[code]} (SHA-256 "
        f"{version.sha256}); restore it from a backup"
    )
    version.claimed_by = version.lease_until = None
    db.session.commit()
    logger.warning("version %d marked failed: original %s", version_id, LOST_CODES[code])
    return RepairAction(f"version {version_id}", f"marked failed: its original {LOST_CODES[code]}")


def requeue_versions(report: CheckReport) -> list[RepairAction]:
    if not report.stuck_versions:
        return []
    released = set(pipeline.release_abandoned(tasks.worker_host(), ItemVersion))
    queued = select(ItemVersion.id).where(
        ItemVersion.id.in_(list(report.stuck_versions)), ItemVersion.status == ItemState.QUEUED
    )
    ids = sorted(released | set(db.session.scalars(queued)))
    tasks.enqueue_version_processing(ids)
    return [RepairAction(f"version {v}", "re-queued for processing") for v in ids]


def remake_version_files(report: CheckReport) -> list[RepairAction]:
    ids = [v for v in report.missing_version_derived if v not in report.lost_version_originals]
    results = pipeline.reprocess_versions(ids, f"repair:{tasks.worker_id()}") if ids else []
    return [
        RepairAction(f"version {v}", "derived files made again", True)
        if status == ItemState.READY
        else RepairAction(f"version {v}", f"reprocessing {status}", False)
        for v, status in results
    ]


def is_earlier_version(item_id: int, number: int) -> bool:
    """Looked up again just before a folder is removed (a version may have become earlier)."""
    row = db.session.execute(
        select(ItemVersion.status, ItemVersion.error_code, Item.version_number)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.item_id == item_id, ItemVersion.number == number)
    ).first()
    if row is None or row.version_number == number:
        return False
    return row.status == ItemState.READY or is_lost(row)
