"""New versions of an item: extracted beside the current one, made current when ready.

new version of an item (queued, committed)                ingest.versions
  -> extract_version(id, worker)  claim the version, extract it beside the current
                                one; when ready it becomes current (indexed_at cleared)
  -> index_pending()            the item's documents are replaced in one index commit,
                                so search finds the old version until then
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select, update

from archive.extensions import db
from archive.ingest import IngestError, extract_version_and_save, mark_version_failed
from archive.models import Item, ItemState, ItemVersion
from archive.pipeline.claims import claim, keep_claim
from archive.pipeline.index import index_pending

logger = logging.getLogger(__name__)


def extract_version(version_id: int, worker: str) -> str | None:
    """Claim and extract a new version of an item; when ready it is made current (or kept as
    an earlier version if a newer one finished first). The item is indexed by
    `index_pending`; until then search finds its previous version."""
    if not claim(version_id, worker, ItemVersion):
        return None
    version = db.session.get(ItemVersion, version_id)
    filename = version.original_filename
    try:
        with keep_claim(version_id, worker, ItemVersion):
            extract_version_and_save(version)
    except IngestError as exc:
        mark_version_failed(version_id, exc.code, str(exc))
        return ItemState.FAILED
    except Exception as exc:  # a bug must fail this version, not the worker
        logger.exception("processing version %d failed unexpectedly", version_id)
        message = f"{filename}: internal error ({type(exc).__name__})"
        mark_version_failed(version_id, "internal", message)
        return ItemState.FAILED
    return ItemState.READY


def process_version(version_id: int, worker: str) -> str | None:
    """Extract one version and index its item before returning (commands, tests)."""
    status = extract_version(version_id, worker)
    if status == ItemState.READY:
        index_pending(wait=True)
    return status


def version_item(version_id: int) -> int | None:
    """The item a version belongs to (None once the item is deleted)."""
    return db.session.scalar(select(ItemVersion.item_id).where(ItemVersion.id == version_id))


def reprocess_versions(version_ids: Iterable[int], worker: str) -> list[tuple[int, str | None]]:
    """Extract versions again from their originals: the derived files of earlier versions
    (after a restore or a repair) and versions left queued. Oldest first, so that a newer
    pending version still ends current; returns (version id, final status)."""
    ids = list(version_ids)
    db.session.execute(
        update(ItemVersion)
        .where(ItemVersion.id.in_(ids), ItemVersion.status != ItemState.PROCESSING)
        .values(status=ItemState.QUEUED, error=None, error_code=None, attempts=0)
    )
    db.session.commit()
    ordered = db.session.scalars(
        select(ItemVersion.id)
        .where(ItemVersion.id.in_(ids))
        .order_by(ItemVersion.item_id, ItemVersion.number)
    ).all()
    results = [(version_id, extract_version(version_id, worker)) for version_id in ordered]
    index_pending(wait=True)
    return results


def earlier_versions(item_ids: Iterable[int] | None = None) -> list[int]:
    """Ready versions that are not their item's current one (their files are kept apart)."""
    query = (
        select(ItemVersion.id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.status == ItemState.READY, ItemVersion.number != Item.version_number)
    )
    if item_ids is not None:
        query = query.where(ItemVersion.item_id.in_(list(item_ids)))
    return list(db.session.scalars(query.order_by(ItemVersion.id)))
