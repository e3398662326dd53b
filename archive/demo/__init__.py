"""The demo: an admin account and the Baku e-Government workshop with its decks and photos.

Loaded by `flask demo` (the start script runs it on every start; it acts only once). The
files ship in `archive/demo/files`, so the demo needs nothing outside the project.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from archive import accounts, audit, catalogue, pipeline
from archive.catalogue import EventDetails
from archive.demo.content import CAMERA_OFFSETS, EVENT, PHOTOS, PRESENTATIONS, PROGRAMME
from archive.extensions import db
from archive.ingest import ItemFields, accept_file
from archive.models import Item, ItemState, Role
from archive.programme.applying import apply_draft, decks_by_file_name
from archive.programme.clock import parse_offset
from archive.programme.placement import CameraKey, set_camera_offset
from archive.programme.timetable import has_programme
from archive.programme.tomlformat import read_toml
from archive.services import current_storage

FILES = Path(__file__).resolve().parent / "files"
DEMO_ADMIN = "demo-admin"


@dataclass
class DemoResult:
    created: bool
    slug: str
    username: str = DEMO_ADMIN
    password: str | None = None  # shown once, when the account is created
    items: int = 0
    failed: list[str] | None = None


def load_demo() -> DemoResult:
    """Create the demo account and event once; later calls change nothing (but give a demo
    event loaded by an earlier version its programme)."""
    existing = catalogue.find_event(EVENT["slug"])
    if existing is not None:
        if not has_programme(existing):
            add_programme(existing)
        return DemoResult(created=False, slug=EVENT["slug"])
    password = None
    if accounts.find_user(DEMO_ADMIN) is None:
        password = secrets.token_urlsafe(12)
        accounts.create_user(DEMO_ADMIN, password, Role.ADMIN, display_name="Demo administrator")
    event = catalogue.create_event(EVENT["slug"], event_details())
    audit.record(None, "event.create", event, summary="demo event")
    db.session.commit()
    ids, failed = add_files(event)
    add_programme(event)
    return DemoResult(True, event.slug, password=password, items=len(ids), failed=failed)


def event_details() -> EventDetails:
    return EventDetails(
        title=EVENT["title"],
        start_date=catalogue.parse_date(EVENT["start_date"], "start"),
        end_date=catalogue.parse_date(EVENT["end_date"], "end"),
        city=EVENT["city"],
        country=EVENT["country"],
        venue=EVENT["venue"],
        organisers=EVENT["organisers"],
        description=EVENT["description"],
        tags=EVENT["tags"],
        timezone=EVENT["timezone"],
    )


def add_files(event) -> tuple[list[int], list[str]]:
    """Store, process and index every demo file right here, so the demo is ready when
    served."""
    specs = [(p["file"], deck_fields(p)) for p in PRESENTATIONS]
    specs += [(p["file"], ItemFields(title=p["title"])) for p in PHOTOS]
    accepted, failed = {}, []
    for name, fields in specs:
        with (FILES / name).open("rb") as stream:
            outcome = accept_file(current_storage(), stream, name, event, None, fields)
        db.session.commit()
        if outcome.item is None:
            failed.append(f"{name}: {outcome.error or 'duplicate'}")
        else:
            accepted[outcome.item.id] = name
    pipeline.process_items(list(accepted), "demo")
    ready = db.session.scalars(
        select(Item.id).where(Item.id.in_(accepted), Item.status == ItemState.READY)
    ).all()
    failed += [name for item_id, name in accepted.items() if item_id not in set(ready)]
    return ready, failed


def add_programme(event) -> None:
    """The two days' sessions with the decks attached, and the phone's clock corrected, so
    that every demo photo lands in its session (the group photo after the last one)."""
    draft = read_toml(PROGRAMME, event.timezone, "the demo programme")
    apply_draft(event, draft, decks_by_file_name(event), "the demo programme")
    for camera, offset in CAMERA_OFFSETS:
        set_camera_offset(event, CameraKey(*camera), parse_offset(offset))
    audit.record(None, "programme.import", event, summary="demo programme")
    db.session.commit()
    pipeline.reindex_event(event.id)


def deck_fields(deck: dict) -> ItemFields:
    return ItemFields(
        title=deck["title"],
        speakers=deck["speakers"],
        organisation=deck["organisation"],
        language=deck["language"],
    )
