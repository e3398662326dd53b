"""Helpers for tests that need real, processed items and versions (through the pipeline)."""

from __future__ import annotations

import io
from pathlib import Path

from archive import pipeline
from archive.extensions import db
from archive.fulltext import AccessScope, SearchRequest
from archive.ingest import ItemFields, accept_file, accept_version
from archive.models import Item, ItemVersion
from archive.services import current_index, current_storage

EVERYTHING = AccessScope(include_staff_only=True)


def upload(event, content: bytes | Path, name: str, process: bool = True, **fields) -> Item:
    """Accept a file into `event` as a new item (processed and indexed unless told not to)."""
    data = content.read_bytes() if isinstance(content, Path) else content
    outcome = accept_file(
        current_storage(), io.BytesIO(data), name, event, None, ItemFields(**fields)
    )
    assert outcome.item is not None, outcome.error or outcome.outcome
    db.session.commit()
    item_id = outcome.item.id
    if process:
        assert pipeline.process_item(item_id, "test") == "ready"
    return db.session.get(Item, item_id)


def new_version(item: Item, content: bytes | Path, name: str, note: str = "", user=None):
    """Accept a new version of `item` (queued, not processed); returns the version row."""
    data = content.read_bytes() if isinstance(content, Path) else content
    outcome = accept_version(current_storage(), io.BytesIO(data), name, item, user, note)
    assert outcome.version is not None, outcome.error
    db.session.commit()
    return db.session.get(ItemVersion, outcome.version.id)


def found(text: str, scope: AccessScope = EVERYTHING) -> set[int]:
    """Ids of the items a search finds (decks and photos)."""
    page = current_index().search(SearchRequest(text, scope=scope, per_page=50))
    return {g.item_id for g in page.groups} | {p.item_id for p in page.photos}
