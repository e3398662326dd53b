"""The archive checked against itself: originals against their hashes, items against the
originals, the derived files, the search index and the queue; and the repairs for each.

`check_archive()` only reads and returns a `CheckReport`; `repair()` acts on one. The truth is
the database and the originals, so repairs rebuild caches (index, derived files), re-queue
work, delete files nothing refers to, and mark items whose original is gone as failed. They
never delete a database row. Every destructive repair looks again just before acting, because
the service keeps running while a check takes its time.

Races with a running service are avoided by age: an upload stores its original before its
row is committed (young unreferenced originals are not orphans), a finished item is indexed
just after its commit (recently processed items are not "unindexed"), and a staging folder
fills while a worker extracts (recently touched temp entries are not stale).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from archive import indexing, tasks
from archive.extensions import db
from archive.fulltext import FulltextError
from archive.ingest import recovery
from archive.ingest.processing import lease_seconds, reprocess_item
from archive.models import Item
from archive.models.common import utcnow
from archive.services import current_index, current_storage

logger = logging.getLogger(__name__)

TEMP_MAX_AGE = timedelta(hours=1)
ORPHAN_GRACE = timedelta(hours=1)
SETTLE = recovery.STALE_QUEUED
PHOTO_FILES = ("grid.webp", "lightbox.jpg")
PAGE_FILES = ("preview.jpg", "thumb.webp")
MISSING_FOLDER = "(the whole folder)"
LOST_CODES = {"original-missing": "is missing", "original-corrupt": "was damaged"}


@dataclass
class CheckReport:
    """What `check_archive` found; every list holds one problem kind, empty when fine."""

    originals_checked: int = 0
    hashes_verified: bool = True
    items_checked: int = 0
    indexed_items: int = 0
    corrupt_originals: dict[str, int | None] = field(default_factory=dict)  # sha -> item id
    lost_originals: dict[int, str] = field(default_factory=dict)  # item id -> sha
    orphan_originals: list[str] = field(default_factory=list)
    index_error: str | None = None
    unindexed_items: list[int] = field(default_factory=list)
    stray_index_items: dict[int, str] = field(default_factory=dict)  # item id -> status
    unknown_index_items: list[int] = field(default_factory=list)
    missing_derived: dict[int, list[str]] = field(default_factory=dict)
    orphan_derived: list[int] = field(default_factory=list)
    stale_temp: list[str] = field(default_factory=list)
    stuck_processing: dict[int, str] = field(default_factory=dict)  # item id -> why
    stuck_queued: list[int] = field(default_factory=list)
    # Notes, not problems: a clean archive can have them.
    unrendered_pages: dict[int, list[int]] = field(default_factory=dict)
    recorded_losses: dict[int, str] = field(default_factory=dict)  # item id -> error code
    queue_error: str | None = None

    def problem_groups(self) -> list[tuple[str, list[str]]]:
        """(heading, one line per problem) for every kind of problem found."""
        groups = [
            (
                "Originals whose bytes do not match their SHA-256 (damaged)",
                [f"{sha}{_item_suffix(i)}" for sha, i in self.corrupt_originals.items()],
            ),
            (
                "Items whose original is missing (lost!)",
                [f"item {i}: original {sha}" for i, sha in self.lost_originals.items()],
            ),
            ("Originals no item refers to (orphans)", list(self.orphan_originals)),
            (
                "Search index unusable",
                [self.index_error] if self.index_error else [],
            ),
            (
                "Ready items missing from the search index or not marked indexed",
                [f"item {i}" for i in self.unindexed_items],
            ),
            (
                "Items in the search index that are not ready (strays)",
                [f"item {i} ({status})" for i, status in self.stray_index_items.items()],
            ),
            (
                "Items in the search index that are not in the database",
                [f"item {i}" for i in self.unknown_index_items],
            ),
            (
                "Ready items with missing derived files",
                [f"item {i}: {', '.join(names)}" for i, names in self.missing_derived.items()],
            ),
            (
                "Derived folders of items that no longer exist",
                [f"derived/{i}" for i in self.orphan_derived],
            ),
            (
                f"Temporary files older than {_hours(TEMP_MAX_AGE)}",
                [f"tmp/{name}" for name in self.stale_temp],
            ),
            (
                "Items stuck in processing",
                [f"item {i}: {why}" for i, why in self.stuck_processing.items()],
            ),
            (
                "Items queued for long while the queue is empty",
                [f"item {i}" for i in self.stuck_queued],
            ),
        ]
        return [(heading, lines) for heading, lines in groups if lines]

    def notes(self) -> list[str]:
        """Facts worth knowing that are not problems (they do not fail the check)."""
        notes = [
            f"item {i}: page(s) {_ranges(pages)} have no image (pdfium could not render "
            "them when the deck was processed)"
            for i, pages in self.unrendered_pages.items()
        ]
        notes += [
            f"item {i} is failed because its original {LOST_CODES[code]}; restore the file "
            f"and run `flask --app archive reprocess {i}`"
            for i, code in self.recorded_losses.items()
        ]
        if self.queue_error:
            notes.append(f"queue not checked for lost items: {self.queue_error}")
        return notes

    @property
    def problem_count(self) -> int:
        return sum(len(lines) for _, lines in self.problem_groups())

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


@dataclass(frozen=True)
class RepairAction:
    """One line of what `repair` did; `ok` is False when the problem is still there."""

    subject: str
    outcome: str
    ok: bool = True


# ---------------------------------------------------------------------------- checking


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
    items = load_items()
    report.items_checked = len(items)
    on_disk = check_originals(report, items, verify_hashes, progress)
    check_lost_originals(report, items, on_disk)
    if indexed is not None:
        check_index(report, items, indexed)
    check_derived(report, items)
    check_temp(report)
    check_queue(report, items)
    return report


def load_items() -> dict[int, object]:
    """The columns the checks need, of every item."""
    t = Item.__table__.c
    query = select(
        t.id,
        t.kind,
        t.sha256,
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


def check_originals(report, items, verify_hashes, progress) -> set[str]:
    """Hash every stored original and find those that no item refers to."""
    storage = current_storage()
    referenced = {row.sha256: row.id for row in items.values()}
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
        if row.status == "failed" and row.error_code in LOST_CODES:
            report.recorded_losses[row.id] = row.error_code
        else:
            report.lost_originals[row.id] = row.sha256


def check_index(report: CheckReport, items, indexed: set[int]) -> None:
    """Ready items must be in the index and marked so; nothing else may be."""
    cutoff = utcnow() - SETTLE
    for row in items.values():
        if row.status == "ready":
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
        if row.status != "ready":
            continue
        names = storage.derived_names(row.id)
        if names is None:
            report.missing_derived[row.id] = [MISSING_FOLDER]
        elif row.kind == "photo":
            missing = [name for name in PHOTO_FILES if name not in names]
            if missing:
                report.missing_derived[row.id] = missing
        else:
            check_page_images(report, row, names)
    unknown = set(storage.iter_derived_item_ids()) - items.keys()
    report.orphan_derived = sorted(absent_items(unknown))


def check_page_images(report: CheckReport, row, names: set[str]) -> None:
    missing, unrendered = [], []
    for number in range(1, (row.page_count or 0) + 1):
        wanted = [f"page-{number:04d}-{suffix}" for suffix in PAGE_FILES]
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
    age = max(TEMP_MAX_AGE.total_seconds(), float(lease_seconds()))
    report.stale_temp = [entry.name for entry in current_storage().stale_temp_entries(age)]


def check_queue(report: CheckReport, items) -> None:
    """Items whose worker died or whose lease ran out, and queued items the queue lost."""
    now, host = utcnow(), tasks.worker_host()
    for row in items.values():
        if row.status != "processing":
            continue
        if recovery.lease_expired(row, now):
            report.stuck_processing[row.id] = f"lease ran out at {row.lease_until:%Y-%m-%d %H:%M}"
        elif recovery.worker_dead(row, host):
            report.stuck_processing[row.id] = f"worker {row.claimed_by} is not running"
    try:
        queue_empty = tasks.pending_count() == 0
    except Exception as exc:  # any broker error means the same here: cannot tell
        report.queue_error = f"{type(exc).__name__}: {exc}"
        return
    if queue_empty:
        cutoff = now - recovery.STALE_QUEUED
        report.stuck_queued = sorted(
            row.id for row in items.values() if row.status == "queued" and row.updated_at < cutoff
        )


def absent_items(item_ids: set[int]) -> set[int]:
    """Of these ids, those without a row now (rows created since the check began count)."""
    if not item_ids:
        return set()
    present = set(db.session.scalars(select(Item.id).where(Item.id.in_(item_ids))))
    return item_ids - present


# ---------------------------------------------------------------------------- repairing


def repair(report: CheckReport) -> list[RepairAction]:
    """Fix what `report` found, in an order where earlier steps cannot undo later ones."""
    actions: list[RepairAction] = []
    for step in (
        repair_originals,
        repair_stuck,
        repair_derived,
        repair_index,
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
    item.status, item.error_code = "failed", code
    item.error = (
        f"{item.original_filename}: the original file {LOST_CODES[code]} (SHA-256 "
        f"{item.sha256}); restore it from a backup and reprocess the item"
    )
    item.claimed_by = item.lease_until = None
    db.session.commit()
    indexing.remove_item(item_id)
    logger.warning("item %d marked failed: original %s", item_id, LOST_CODES[code])
    return RepairAction(f"item {item_id}", f"marked failed: its original {LOST_CODES[code]}")


def repair_stuck(report: CheckReport) -> list[RepairAction]:
    """Queue abandoned items again, with the same rules as the worker's recovery sweep."""
    actions = []
    released = recovery.release_abandoned(tasks.worker_host()) if report.stuck_processing else []
    for item_id in report.stuck_processing:
        if item_id not in released:
            status = db.session.scalar(select(Item.status).where(Item.id == item_id))
            actions.append(RepairAction(f"item {item_id}", f"not re-queued: now {status}"))
    for item_id in sorted(set(released) | set(report.stuck_queued)):
        tasks.enqueue_processing(item_id)
        logger.info("item %d re-queued by check --repair", item_id)
        actions.append(RepairAction(f"item {item_id}", "re-queued for processing"))
    return actions


def repair_derived(report: CheckReport) -> list[RepairAction]:
    """Extract again from the original; skipped for items whose original is gone."""
    actions = []
    for item_id in report.missing_derived:
        status = db.session.scalar(select(Item.status).where(Item.id == item_id))
        if status != "ready":
            actions.append(RepairAction(f"item {item_id}", f"not reprocessed: now {status}"))
            continue
        status, error = reprocess_item(item_id)
        if status == "ready":
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
        return reindex_items(report) + remove_strays(report)
    except FulltextError as exc:
        return [RepairAction("search index", f"not repaired: {exc}", False)]


def rebuild_index() -> RepairAction:
    result = indexing.rebuild()
    outcome = f"rebuilt with {result.items} item(s)"
    if result.failed:
        outcome += f"; left out: {', '.join(str(i) for i, _ in result.failed)}"
    return RepairAction("search index", outcome, ok=not result.failed)


def reindex_items(report: CheckReport) -> list[RepairAction]:
    ids = [i for i in report.unindexed_items if i not in report.missing_derived]
    for start in range(0, len(ids), indexing.BATCH):
        indexing.index_batch(ids[start : start + indexing.BATCH])
    return [RepairAction(f"item {i}", "indexed") for i in ids]


def remove_strays(report: CheckReport) -> list[RepairAction]:
    """`index_item` removes an item that is (still) not ready and adds one that became so."""
    actions = []
    for item_id in [*report.stray_index_items, *report.unknown_index_items]:
        indexing.index_item(item_id)
        actions.append(RepairAction(f"item {item_id}", "removed from the search index"))
    return actions


def remove_orphans(report: CheckReport) -> list[RepairAction]:
    storage = current_storage()
    actions = []
    for sha in report.orphan_originals:
        if db.session.scalar(select(Item.id).where(Item.sha256 == sha)) is None:
            storage.delete_original(sha)
            logger.info("removed orphan original %s", sha)
            actions.append(RepairAction(f"original {sha}", "removed (no item refers to it)"))
    for item_id in absent_items(set(report.orphan_derived)):
        storage.delete_derived(item_id)
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


# ---------------------------------------------------------------------------- helpers


def _item_suffix(item_id: int | None) -> str:
    return f" (item {item_id})" if item_id is not None else " (no item)"


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return "an hour" if hours == 1 else f"{hours:g} hours"


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5"."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
