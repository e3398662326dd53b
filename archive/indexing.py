"""From database rows to search documents: the one place that maps items to index fields.

Called after commits (the index is a cache of the database): when an item becomes ready,
when its fields or visibility change, when its event or the event's grants change, and by
`flask reindex`, which rebuilds everything from the stored page text.

Rows are read while holding the index's write lock (`SearchBackend.writing`), in a fresh
transaction: a writer that read an item's rows and then waited for the lock used to write
them over a newer writer's documents, so an item narrowed to staff came back as shared.
An item is marked indexed only if its row did not change since it was read; otherwise it
stays "to index" and the recovery sweep (or the change's own re-index) writes it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import selectinload

from archive.extensions import db
from archive.fulltext import ItemDoc, PageText, RebuildReport
from archive.models import Event, Item, ItemState, OcrReason, Page, Photo, Presentation
from archive.models.common import utcnow
from archive.programme.facts import NO_FACTS, ProgrammeFacts, facts_for
from archive.services import current_index

logger = logging.getLogger(__name__)

BATCH = 200


def item_doc(item: Item, programme: ProgrammeFacts = NO_FACTS) -> ItemDoc:
    """The index fields of one item, its event, and its place in the event's programme."""
    event = item.event
    is_deck = isinstance(item, Presentation)
    taken = item.taken_at.date() if isinstance(item, Photo) and item.taken_at else None
    speakers = tuple(item.speaker_list) if is_deck else ()
    organisations = (item.organisation,) if is_deck and item.organisation else ()
    return ItemDoc(
        item_id=item.id,
        kind=item.kind,
        title=item.display_title,
        speakers=tuple(dict.fromkeys(speakers + programme.speakers)),
        organisations=tuple(dict.fromkeys(organisations + programme.organisations)),
        language=item.language if is_deck else None,
        visibility=item.visibility,
        event_id=event.id,
        event_slug=event.slug,
        event_title=event.title,
        event_start=event.start_date,
        event_end=event.end_date,
        city=event.city,
        country=event.country,
        tags=tuple(event.tag_list),
        granted_org_ids=event.granted_org_ids,
        item_date=taken or event.start_date,
        session_id=programme.session_id,
        session_label=programme.session_label,
        programme=programme.text,
    )


def page_texts(item: Item) -> list[PageText]:
    """A deck's pages, or a photo's caption and recognised text as its single page."""
    if isinstance(item, Presentation):
        return [page_text(p) for p in item.pages]
    text = "\n\n".join(filter(None, [item.title, item.ocr_text]))
    unsure = tuple((item.ocr_unsure or "").split())
    return [PageText(1, None, text, None, unsure=unsure, recognised=bool(item.ocr_text))]


def page_text(page: Page) -> PageText:
    """What a page is found by: its text layer, with the recognised text added to a thin
    one; an unreadable layer is never indexed, only what was recognised in its place."""
    recognised = page.ocr_text or ""
    if page.ocr_reason == OcrReason.UNREADABLE:
        text = recognised
    else:
        text = "\n\n".join(filter(None, [page.text, recognised]))
    unsure = tuple((page.ocr_unsure or "").split())
    return PageText(
        page.number, page.label, text, page.language, unsure=unsure, recognised=bool(recognised)
    )


def index_item(item_id: int) -> None:
    """Make the index agree with the database about one item (add, replace or remove)."""
    index_batch([item_id])


def remove_item(item_id: int) -> None:
    current_index().remove_item(item_id)


def index_event(event_id: int) -> None:
    """Refresh every ready item of an event (after its details or grants changed)."""
    ids = db.session.scalars(
        select(Item.id).where(Item.event_id == event_id, Item.status == ItemState.READY)
    ).all()
    for start in range(0, len(ids), BATCH):
        index_batch(ids[start : start + BATCH])


def index_batch(item_ids: list[int]) -> None:
    """Index many items with one index commit; those that are not ready (any more) or no
    longer exist are removed from the index. The rows are read under the index's lock."""
    index = current_index()
    with index.writing():
        db.session.commit()  # end any transaction begun before the lock: read what is now
        items = load_items(item_ids)
        seen = {i.id: i.updated_at for i in items}
        facts = facts_for(items)
        index.index_items((item_doc(i, facts.get(i.id, NO_FACTS)), page_texts(i)) for i in items)
        for item_id in sorted(set(item_ids) - seen.keys()):
            index.remove_item(item_id)
        mark_indexed(seen)


def load_items(item_ids: list[int]) -> list[Item]:
    query = (
        select(Item)
        .where(Item.id.in_(item_ids), Item.status == ItemState.READY)
        .options(selectinload(Item.event).selectinload(Event.grants))
    )
    items = list(db.session.scalars(query))
    decks = [i.id for i in items if isinstance(i, Presentation)]
    if decks:  # load the pages of all decks in one query
        db.session.scalars(
            select(Presentation)
            .where(Presentation.id.in_(decks))
            .options(selectinload(Presentation.pages))
        ).all()
    return items


def index_unindexed() -> int:
    """Index every ready item whose documents are not written yet; returns how many."""
    ids = db.session.scalars(
        select(Item.id)
        .where(Item.status == ItemState.READY, Item.indexed_at.is_(None))
        .order_by(Item.id)
    ).all()
    for start in range(0, len(ids), BATCH):
        index_batch(ids[start : start + BATCH])
    return len(ids)


def mark_indexed(seen: dict[int, datetime]) -> None:
    """Set `indexed_at` on the items whose row is still as it was read (`updated_at`)."""
    if not seen:
        return
    table = Item.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("item"), table.c.updated_at == bindparam("seen"))
        .values(indexed_at=utcnow(), updated_at=table.c.updated_at)  # indexing changes nothing
    )
    db.session.execute(statement, [{"item": i, "seen": at} for i, at in seen.items()])
    db.session.commit()


def rebuild(progress: Callable[[int], None] | None = None) -> RebuildReport:
    """Rebuild the whole index from the database into a new generation, then swap it in."""
    started = utcnow()
    report = current_index().rebuild(iter_ready_items(), progress=progress)
    failed = {item_id for item_id, _ in report.failed}
    db.session.execute(
        update(Item)
        .where(Item.status == ItemState.READY, Item.processed_at <= started, Item.id.not_in(failed))
        .values(indexed_at=utcnow())
    )
    db.session.commit()
    return report


def iter_ready_items() -> Iterator[tuple[ItemDoc, list[PageText]]]:
    """Every ready item with its pages, in batches so that memory stays flat."""
    ids = db.session.scalars(
        select(Item.id).where(Item.status == ItemState.READY).order_by(Item.id)
    ).all()
    for start in range(0, len(ids), BATCH):
        items = load_items(ids[start : start + BATCH])
        facts = facts_for(items)
        for item in items:
            yield item_doc(item, facts.get(item.id, NO_FACTS)), page_texts(item)
        db.session.expunge_all()


def count_ready_items() -> int:
    return db.session.scalar(
        select(db.func.count()).select_from(Item).where(Item.status == ItemState.READY)
    )
