"""`ocr`: recognise text in existing items here, with a progress bar and a summary."""

from __future__ import annotations

import os
import sys

import click
from sqlalchemy import or_, select

from archive import catalogue
from archive.catalogue import EventError
from archive.cli.common import fail
from archive.extensions import db
from archive.models import Item, ItemState, OcrState
from archive.pipeline import recognise_items, request_recognition


@click.command("ocr")
@click.option("--event", "slug", help="Only this event's items.")
@click.option(
    "--missing",
    is_flag=True,
    help="Only items never recognised (uploaded while OCR was off) or whose recognition failed.",
)
@click.argument("item_ids", nargs=-1, type=int)
def ocr(slug, missing, item_ids):
    """Recognise text in scanned pages, unreadable text layers and photos of slides.

    Runs here (not in the worker), whatever ARCHIVE_OCR says, and updates the search index
    as each item finishes. Without --missing, the chosen items are recognised again.
    """
    ids = select_items(slug, missing, item_ids)
    queued = request_recognition(ids)
    outcomes: dict[str, int] = {}
    failed: list[int] = []
    with click.progressbar(length=len(queued), label="Recognising text", file=sys.stderr) as bar:

        def done(item_id: int, state: str | None) -> None:
            outcomes[state or "busy"] = outcomes.get(state or "busy", 0) + 1
            if state == OcrState.FAILED:
                failed.append(item_id)
            bar.update(1)

        recognise_items(queued, f"ocr-command:{os.getpid()}", done)
    summary = ", ".join(f"{count} {state}" for state, count in sorted(outcomes.items()))
    click.echo(f"Recognised text in {len(queued)} item(s): {summary or 'nothing to do'}.")
    for item in db.session.scalars(select(Item).where(Item.id.in_(failed))):
        click.echo(f"  item {item.id}: {item.ocr_error}")
    if failed:
        sys.exit(1)


def select_items(slug: str | None, missing: bool, item_ids: tuple[int, ...]) -> list[int]:
    query = select(Item.id).where(Item.status == ItemState.READY).order_by(Item.id)
    if slug:
        try:
            query = query.where(Item.event_id == catalogue.get_event(slug).id)
        except EventError as exc:
            fail(str(exc))
    if missing:
        query = query.where(or_(Item.ocr_state.is_(None), Item.ocr_state == OcrState.FAILED))
    if item_ids:
        query = query.where(Item.id.in_(item_ids))
    return list(db.session.scalars(query))
