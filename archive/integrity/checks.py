"""The checks: database, originals, derived files, search index and queue compared; read-only.

Races with a running service are avoided by age: an upload stores its original before its
row is committed (young unreferenced originals are not orphans), a finished item is indexed
just after its commit (recently processed items are not "unindexed"), and a staging folder
fills while a worker extracts (recently touched temp entries are not stale).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from archive import pipeline as recovery
from archive import tasks
from archive.extensions import db
from archive.fulltext import FulltextError, IndexedAccess
from archive.fulltext.documents import SHARED
from archive.integrity.report import LOST_CODES, TEMP_MAX_AGE, CheckReport
from archive.integrity.versions import check_versions, load_versions, referenced_originals
from archive.models import Grant, Item, ItemKind, ItemState
from archive.models.common import utcnow
from archive.pipeline import extraction_seconds
from archive.services import current_index, current_storage
from archive.storage import PAGE_FILES, PHOTO_FILES, page_file, photo_file

ORPHAN_GRACE = timedelta(hours=1)
SETTLE = recovery.STALE_QUEUED
MISSING_FOLDER = "(the whole folder)"


def count_originals() -> int:
    """How many originals a check will hash (for a progress bar)."""
    return sum(1 for _ in current_storage().iter_originals())


def check_archive(
    verify_hashes: bool = True, progress: Callable[[int], None] | None = None
) -> CheckReport:
    """Compare database, originals, derived files, index and queue; change nothing.

    `progress(n)` is called after each original with the number checked so far."""
    report = CheckReport(hashes_verified=verify_hashes)
    # The index is read before the rows: an item added in between is then a fresh ready
    # item (left alone by age), not an index entry without a row.
    indexed = read_index_ids(report)
    access = read_index_access(report) if indexed is not None else None
    items, versions = load_items(), load_versions()
    report.items_checked = len(items)
    extra = referenced_originals(versions)
    on_disk = check_originals(report, items, verify_hashes, progress, extra)
    check_lost_originals(report, items, on_disk)
    if indexed is not None:
        check_index(report, items, indexed)
    if access is not None:
        check_index_access(report, items, access)
    check_derived(report, items)
    check_temp(report)
    queue_empty = check_queue(report, items)
    check_versions(report, versions, on_disk, queue_empty)
    return report


def load_items() -> dict[int, object]:
    """The columns the checks need, of every item."""
    t = Item.__table__.c
    query = select(
        t.id,
        t.kind,
        t.sha256,
        t.visibility,
        t.event_id,
        t.status,
        t.error_code,
        t.page_count,
        t.claimed_by,
        t.lease_until,
        t.updated_at,
        t.processed_at,
        t.indexed_at,
    )
    return {row.id: row for row in db.session.execute(query)}


def read_index_ids(report: CheckReport) -> set[int] | None:
    try:
        indexed = current_index().item_ids()
    except FulltextError as exc:
        report.index_error = str(exc)
        return None
    report.indexed_items = len(indexed)
    return indexed


def read_index_access(report: CheckReport) -> dict[int, IndexedAccess] | None:
    try:
        return current_index().item_access()
    except FulltextError as exc:
        report.index_error = str(exc)
        return None


def check_index_access(report: CheckReport, items, access: dict[int, IndexedAccess]) -> None:
    """The index must say what the database says about who may see each ready item: its
    visibility, its event and the organisations its event is granted to. A stale write
    once left a staff-only deck searchable as shared while every other check passed."""
    grants: dict[int, set[int]] = defaultdict(set)
    for event_id, org_id in db.session.execute(select(Grant.event_id, Grant.organisation_id)):
        grants[event_id].add(org_id)
    for item_id, found in access.items():
        row = items.get(item_id)
        if row is None or row.status != ItemState.READY:
            continue  # strays and unknown items are reported by check_index
        differences = access_differences(row, found, grants[row.event_id])
        if differences:
            report.index_access_drift[item_id] = "; ".join(differences)


def access_differences(row, found: IndexedAccess, granted: set[int]) -> list[str]:
    """What the index says differently from the database, in words."""
    visibility = SHARED if row.visibility == SHARED else "staff"  # as the index stores it
    differences = []
    if found.visibilities != {visibility}:
        shown = ", ".join(sorted(found.visibilities)) or "none"
        differences.append(f"visibility {visibility} in the database, {shown} in the index")
    if found.event_ids != {row.event_id}:
        shown = ", ".join(map(str, sorted(found.event_ids)))
        differences.append(f"event {row.event_id} in the database, {shown} in the index")
    if found.granted_org_ids != granted or not found.consistent:
        differences.append(
            f"granted to organisations {sorted(granted)} in the database, "
            f"{sorted(found.granted_org_ids)} in the index"
            + ("" if found.consistent else " (its pages disagree)")
        )
    return differences


def check_originals(report, items, verify_hashes, progress, extra=None) -> set[str]:
    """Hash every stored original and find those that no item (nor, in `extra`, any of
    their versions) refers to."""
    storage = current_storage()
    referenced = {**(extra or {}), **{row.sha256: row.id for row in items.values()}}
    on_disk = set()
    for n, sha in enumerate(storage.iter_originals(), start=1):
        try:
            actual = storage.hash_original(sha) if verify_hashes else sha
            young = storage.original_age_s(sha) < ORPHAN_GRACE.total_seconds()
        except FileNotFoundError:  # deleted along with its item while we looked
            continue
        on_disk.add(sha)
        if actual != sha:
            report.corrupt_originals[sha] = referenced.get(sha)
        elif sha not in referenced and not young:
            report.orphan_originals.append(sha)
        if progress is not None:
            progress(n)
    report.originals_checked = len(on_disk)
    return on_disk


def check_lost_originals(report: CheckReport, items, on_disk: set[str]) -> None:
    for row in items.values():
        if row.sha256 in on_disk:
            continue
        if row.status == ItemState.FAILED and row.error_code in LOST_CODES:
            report.recorded_losses[row.id] = row.error_code
        else:
            report.lost_originals[row.id] = row.sha256


def check_index(report: CheckReport, items, indexed: set[int]) -> None:
    """Ready items must be in the index and marked so; nothing else may be."""
    cutoff = utcnow() - SETTLE
    for row in items.values():
        if row.status == ItemState.READY:
            settled = row.processed_at is None or row.processed_at < cutoff
            if settled and (row.id not in indexed or row.indexed_at is None):
                report.unindexed_items.append(row.id)
        elif row.id in indexed and row.updated_at < cutoff:
            report.stray_index_items[row.id] = row.status
    report.unknown_index_items = sorted(absent_items(indexed - items.keys()))


def check_derived(report: CheckReport, items) -> None:
    """Ready items' thumbnails and page images, and derived folders without an item.

    A page with neither a preview nor a thumbnail is one pdfium could not render (an empty
    or broken page, or a file only pypdf could read): the extractor writes both images of a
    page from one bitmap or none, so only a page with one of the two, or an item without a
    derived folder at all, has lost files. Unrendered pages are reported as a note."""
    storage = current_storage()
    for row in items.values():
        if row.status != ItemState.READY:
            continue
        names = storage.derived_names(row.id)
        if names is None:
            report.missing_derived[row.id] = [MISSING_FOLDER]
        elif row.kind == ItemKind.PHOTO:
            missing = [photo_file(size) for size in PHOTO_FILES if photo_file(size) not in names]
            if missing:
                report.missing_derived[row.id] = missing
        else:
            check_page_images(report, row, names)
    unknown = set(storage.iter_derived_item_ids()) - items.keys()
    report.orphan_derived = sorted(absent_items(unknown))


def check_page_images(report: CheckReport, row, names: set[str]) -> None:
    missing, unrendered = [], []
    for number in range(1, (row.page_count or 0) + 1):
        wanted = [page_file(number, size) for size in PAGE_FILES]
        absent = [name for name in wanted if name not in names]
        if len(absent) == len(wanted):
            unrendered.append(number)
        else:
            missing += absent
    if missing:
        report.missing_derived[row.id] = missing
    if unrendered:
        report.unrendered_pages[row.id] = unrendered


def check_temp(report: CheckReport) -> None:
    # A worker's staging folder lives as long as its extraction, which may exceed the hour.
    age = max(TEMP_MAX_AGE.total_seconds(), float(extraction_seconds()))
    report.stale_temp = [entry.name for entry in current_storage().stale_temp_entries(age)]


def check_queue(report: CheckReport, items) -> bool | None:
    """Items whose worker died or whose lease ran out, and queued items the queue lost;
    returns whether the queue is empty (None: it could not be asked)."""
    now, host = utcnow(), tasks.worker_host()
    for row in items.values():
        if row.status != ItemState.PROCESSING:
            continue
        if recovery.lease_expired(row, now):
            report.stuck_processing[row.id] = f"lease ran out at {row.lease_until:%Y-%m-%d %H:%M}"
        elif recovery.worker_dead(row, host):
            report.stuck_processing[row.id] = f"worker {row.claimed_by} is not running"
    try:
        queue_empty = tasks.pending_count() == 0
    except Exception as exc:  # any broker error means the same here: cannot tell
        report.queue_error = f"{type(exc).__name__}: {exc}"
        return None
    if queue_empty:
        cutoff = now - recovery.STALE_QUEUED
        report.stuck_queued = sorted(
            row.id
            for row in items.values()
            if row.status == ItemState.QUEUED and row.updated_at < cutoff
        )
    return queue_empty


def absent_items(item_ids: set[int]) -> set[int]:
    """Of these ids, those without a row now (rows created since the check began count)."""
    if not item_ids:
        return set()
    present = set(db.session.scalars(select(Item.id).where(Item.id.in_(item_ids))))
    return item_ids - present
