"""What the archive holds: counts, processing states, bytes, and the latest failures."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from sqlalchemy import func, select

from archive import services
from archive.admin.blueprint import bp
from archive.extensions import db
from archive.models import STATES, Event, Item, ItemState, Page, Photo, Presentation

FAILED_SHOWN = 20


@dataclass(frozen=True)
class StorageSummary:
    counts: dict[str, int]
    states: dict[str, int]
    original_bytes: int
    disk_bytes: dict[str, int]
    failed: list[Item]


@bp.get("/storage")
def storage_summary():
    return render_template("admin/storage.html", summary=summarise())


def summarise() -> StorageSummary:
    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    states = dict.fromkeys(STATES, 0) | dict(
        db.session.execute(select(Item.status, func.count()).group_by(Item.status)).all()
    )
    failed = db.session.scalars(
        select(Item)
        .where(Item.status == ItemState.FAILED)
        .order_by(Item.updated_at.desc(), Item.id.desc())
        .limit(FAILED_SHOWN)
    ).all()
    return StorageSummary(
        counts={
            "events": count(Event),
            "presentations": count(Presentation),
            "pages": count(Page),
            "photos": count(Photo),
        },
        states=states,
        original_bytes=db.session.scalar(select(func.coalesce(func.sum(Item.size), 0))),
        disk_bytes=services.current_storage().usage_bytes(),
        failed=failed,
    )
