"""The pipeline's single rule: an item reaches the same processed and indexed state whichever
entry point started it (the queue, bulk import, the demo, restore or reprocess).

Each entry point runs in an instance of its own on the same two demo files (a deck and a
photo) with the same fields, and the resulting state is compared: the item's row, its
pages, its derived files, and what search finds on each page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from archive import catalogue, pipeline, tasks
from archive.demo import FILES, deck_fields, event_details, load_demo
from archive.demo.content import EVENT, PHOTOS, PRESENTATIONS
from archive.extensions import db
from archive.fulltext import SearchRequest
from archive.ingest import ItemFields, accept_file
from archive.models import Item, ItemState, Presentation
from archive.permissions import AccessScope
from archive.services import current_index, current_storage
from tests.conftest import make_app

DECK = PRESENTATIONS[0]
PHOTO = PHOTOS[0]
EVERYTHING = AccessScope(include_staff_only=True)


def files_and_fields() -> list[tuple[str, ItemFields]]:
    return [(DECK["file"], deck_fields(DECK)), (PHOTO["file"], ItemFields(title=PHOTO["title"]))]


def demo_event():
    event = catalogue.create_event(EVENT["slug"], event_details())
    db.session.commit()
    return event


def accept_demo_files(event) -> list[int]:
    ids = []
    for name, fields in files_and_fields():
        with (FILES / name).open("rb") as stream:
            ids.append(accept_file(current_storage(), stream, name, event, None, fields).item.id)
        db.session.commit()
    return ids


def by_queue(app, tmp_path: Path) -> None:
    tasks.enqueue_processing(accept_demo_files(demo_event()))


def by_import(app, tmp_path: Path) -> None:
    folder = tmp_path / "import"
    folder.mkdir()
    for name, _ in files_and_fields():
        (folder / name).write_bytes((FILES / name).read_bytes())
    report = pipeline.import_folder(folder, demo_event(), ItemFields(), dict(files_and_fields()))
    assert report.ok and len(report.imported) == 2


def by_demo(app, tmp_path: Path) -> None:
    assert load_demo().created


def by_reprocess(app, tmp_path: Path) -> None:
    by_queue(app, tmp_path)
    result = app.test_cli_runner().invoke(args=["reprocess"])
    assert result.exit_code == 0, result.output


def by_restore(app, tmp_path: Path) -> None:
    source = make_app(tmp_path / "source")
    with source.app_context():
        db.drop_all()
        upgrade()
        by_queue(source, tmp_path)
        result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.tar")])
        assert result.exit_code == 0, result.output
        db.session.remove()
    db.drop_all()
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "b.tar")])
    assert result.exit_code == 0, result.output


ENTRY_POINTS = {
    "queue": by_queue,
    "import": by_import,
    "demo": by_demo,
    "reprocess": by_reprocess,
    "restore": by_restore,
}


def state_of(filename: str) -> dict:
    """Everything the pipeline decides about one item, without ids or timestamps."""
    item = db.session.scalar(select(Item).where(Item.original_filename == filename))
    db.session.refresh(item)
    pages = item.pages if isinstance(item, Presentation) else []
    return {
        "row": (item.status, item.error, item.indexed_at is not None, item.title, item.kind),
        "deck": (item.speakers, item.language, item.page_count) if pages else None,
        "pages": [(p.number, p.label, p.text, p.language) for p in pages],
        "derived": sorted(current_storage().derived_names(item.id) or []),
        "found": [found_on(item, text) for text in [p.text for p in pages] or [item.title]],
    }


def found_on(item: Item, text: str) -> tuple | None:
    """Where searching the first words of a page (or a photo's caption) finds this item."""
    words = " ".join(text.split()[:3])
    page = current_index().search(SearchRequest(f'"{words}"', scope=EVERYTHING, per_page=50))
    for group in page.groups:
        if group.item_id == item.id:
            return ("deck", group.best.page, group.title)
    for photo in page.photos:
        if photo.item_id == item.id:
            return ("photo", photo.title)
    return None


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The state the queue leaves: the others must match it."""
    return run_entry_point("queue", tmp_path_factory.mktemp("reference"))


def run_entry_point(name: str, tmp_path: Path) -> dict:
    app = make_app(tmp_path / "target")
    with app.app_context():
        ENTRY_POINTS[name](app, tmp_path)
        db.session.expire_all()
        state = {name: state_of(name) for name, _ in files_and_fields()}
        db.session.remove()
    return state


@pytest.mark.parametrize("entry_point", sorted(set(ENTRY_POINTS) - {"queue"}))
def test_every_entry_point_reaches_the_state_the_queue_reaches(reference, entry_point, tmp_path):
    assert run_entry_point(entry_point, tmp_path) == reference


def test_the_reference_is_ready_indexed_and_found(reference):
    deck, photo = reference[DECK["file"]], reference[PHOTO["file"]]
    assert deck["row"][:3] == (ItemState.READY, None, True)
    assert photo["row"][:3] == (ItemState.READY, None, True)
    assert len(deck["pages"]) > 1 and all(deck["found"])
    assert [found[1] for found in deck["found"]] == [p[0] for p in deck["pages"]]
    assert photo["found"] == [("photo", PHOTO["title"])]
    assert "grid.webp" in photo["derived"] and "page-0001-thumb.webp" in deck["derived"]
