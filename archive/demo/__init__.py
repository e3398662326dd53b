"""The demo: an admin account and the Baku e-Government workshop with its decks and photos.

Loaded by `flask demo` (the start script runs it on every start; it acts only once). The
files ship in `archive/demo/files`, so the demo needs nothing outside the project.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from archive import accounts, audit, catalogue, indexing
from archive.catalogue import EventDetails
from archive.demo.content import EVENT, PHOTOS, PRESENTATIONS
from archive.extensions import db
from archive.ingest import ItemFields, accept_file
from archive.ingest.processing import process_item
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
    """Create the demo account and event once; later calls change nothing."""
    if catalogue.find_event(EVENT["slug"]) is not None:
        return DemoResult(created=False, slug=EVENT["slug"])
    password = None
    if accounts.find_user(DEMO_ADMIN) is None:
        password = secrets.token_urlsafe(12)
        accounts.create_user(DEMO_ADMIN, password, "admin", display_name="Demo administrator")
    event = catalogue.create_event(EVENT["slug"], event_details())
    audit.record(None, "event.create", event, summary="demo event")
    db.session.commit()
    ids, failed = add_files(event)
    indexing.index_batch(ids)
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
    )


def add_files(event) -> tuple[list[int], list[str]]:
    """Store and process every demo file right here, so the demo is ready when served."""
    specs = [(p["file"], deck_fields(p)) for p in PRESENTATIONS]
    specs += [(p["file"], ItemFields(title=p["title"])) for p in PHOTOS]
    ready, failed = [], []
    for name, fields in specs:
        with (FILES / name).open("rb") as stream:
            outcome = accept_file(current_storage(), stream, name, event, None, fields)
        db.session.commit()
        if outcome.item is None:
            failed.append(f"{name}: {outcome.error or 'duplicate'}")
        elif process_item(outcome.item.id, "demo", index=False) == "ready":
            ready.append(outcome.item.id)
        else:
            failed.append(name)
    return ready, failed


def deck_fields(deck: dict) -> ItemFields:
    return ItemFields(
        title=deck["title"],
        speakers=deck["speakers"],
        organisation=deck["organisation"],
        language=deck["language"],
    )
