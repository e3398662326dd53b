"""Changing and deleting items (presentations and photos) after they were uploaded.

Database changes are flushed here and committed by the caller; the file and index side
effects come after the commit (`purge`, `reindex_after_commit`) and are idempotent, so a
crash between the two leaves at worst an orphan file that `flask check --repair` removes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from archive import pipeline
from archive.extensions import db
from archive.fulltext.messages import Message
from archive.ingest.intake import FieldError, ItemFields, check_fields
from archive.models import Item, ItemVersion, Presentation
from archive.services import current_storage

logger = logging.getLogger(__name__)

EDITABLE = ("title", "speakers", "organisation", "language", "visibility")


@dataclass(frozen=True)
class Removed:
    """What a deletion leaves to clean up once it is committed."""

    item_ids: tuple[int, ...]
    sha256s: tuple[str, ...]


def update_item(item: Item, changes: dict[str, str]) -> list[str]:
    """Apply the given fields (only those present); returns the names that changed."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise FieldError(Message("cannot change %(choices)s", choices=", ".join(sorted(unknown))))
    current = {name: getattr(item, name, "") or "" for name in EDITABLE}
    merged = {**current, **{k: (v or "").strip() for k, v in changes.items()}}
    check_fields(ItemFields(**merged))
    changed = []
    for name, value in merged.items():
        if not hasattr(item, name) or value == current[name]:
            continue
        if name in ("speakers", "organisation", "language") and not isinstance(item, Presentation):
            continue
        if name == "language":
            relabel_pages(item, current[name] or None, value or None)
        setattr(item, name, value or (None if name == "language" else ""))
        changed.append(name)
    if changed:
        item.indexed_at = None  # until the re-index after the commit has written it
    return changed


def relabel_pages(deck: Presentation, old: str | None, new: str | None) -> None:
    """A corrected deck language also corrects the pages that had the old one (or none), so
    that `lang:` finds them; pages detected in another language (a bilingual deck) stay."""
    if new is None:
        return
    for page in deck.pages:
        if page.language is None or page.language == old:
            page.language = new


def delete_items(items: Iterable[Item]) -> Removed:
    """Delete item rows (pages and versions go with them); call `purge` with the result
    after commit."""
    items = list(items)
    shas = {i.sha256 for i in items} | {v.sha256 for i in items for v in i.versions}
    removed = Removed(tuple(i.id for i in items), tuple(sorted(shas)))
    for item in items:
        db.session.delete(item)
    db.session.flush()
    return removed


def purge(removed: Removed) -> None:
    """After the commit: drop search documents, derived files and unused originals."""
    storage = current_storage()
    pipeline.remove_items(removed.item_ids)
    for item_id in removed.item_ids:
        storage.delete_all_derived(item_id)
    for sha in unused_originals(removed.sha256s):
        storage.delete_original(sha)


def unused_originals(sha256s: Iterable[str]) -> list[str]:
    """Of these originals, the ones no item or version refers to any more (safe to
    delete): an original may be shared by several versions."""
    sha256s = list(sha256s)
    used = set(db.session.scalars(select(Item.sha256).where(Item.sha256.in_(sha256s))))
    used |= set(
        db.session.scalars(select(ItemVersion.sha256).where(ItemVersion.sha256.in_(sha256s)))
    )
    return [sha for sha in sha256s if sha not in used]


def reindex_after_commit(item_ids: Iterable[int]) -> None:
    """Changed fields or visibility take effect in search at once (no queue in between)."""
    pipeline.reindex_items(item_ids)
