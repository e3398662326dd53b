"""Defect 1: a stale index write-back leaked a staff-only deck, and `flask check` missed it.

The worker read an event's rows, then waited for the index lock; an item's visibility became
`staff` during the wait, and the worker wrote the old `shared` documents over the new ones.
Here the index writer's lock is held by the test, the worker is started and reaches the
lock, the visibility changes, the lock is released: the index must end up saying staff.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from archive import accounts, integrity, materials, pipeline
from archive.extensions import db
from archive.fileio import wait_for_lock
from archive.fulltext import SearchRequest
from archive.indexing import item_doc, page_texts
from archive.models import Item, User
from archive.permissions import search_scope
from archive.services import current_index

SECRET = "zqxbudgetcuts"


def found_by(user: User) -> list[int]:
    page = current_index().search(SearchRequest(SECRET, scope=search_scope(user)))
    return [group.item_id for group in page.groups]


@pytest.fixture
def people(make_user):
    return make_user("rita", "researcher"), make_user("paul", "partner", "UNDP")


@pytest.fixture
def deck(make_event, make_presentation, people):
    event = make_event()
    accounts.add_grant(event, accounts.find_organisation("UNDP"))
    db.session.commit()
    return make_presentation(event, "Budget", pages=(f"{SECRET} in the 2024 budget",))


def test_a_worker_waiting_for_the_index_never_writes_a_stale_visibility(
    app, deck, people, monkeypatch
):
    lock = Path(app.config["INDEX_DIR"]) / "write.lock"
    worker_waits = threading.Event()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:  # wait_for_lock sleeps only while the lock is taken
        if threading.current_thread().name == "worker":
            worker_waits.set()
        real_sleep(seconds)

    monkeypatch.setattr("archive.fileio.time.sleep", sleep)

    def worker() -> None:
        with app.app_context():
            pipeline.index_pending(wait=True)
            db.session.remove()

    with wait_for_lock(lock, timeout=10):
        thread = threading.Thread(target=worker, name="worker")
        thread.start()
        assert worker_waits.wait(30), "the worker never reached the index lock"
        db.session.get(Item, deck.id).visibility = "staff"
        db.session.commit()
    thread.join(60)
    assert not thread.is_alive()
    db.session.expire_all()
    researcher, partner = people
    assert found_by(researcher) == [] and found_by(partner) == []
    report = integrity.check_archive(verify_hashes=False)
    assert report.index_access_drift == {}


def test_check_finds_and_repairs_an_index_that_says_shared_for_a_staff_item(app, deck, people):
    pipeline.index_items([deck.id])
    researcher, _ = people
    assert found_by(researcher) == [deck.id]
    stale = item_doc(deck)
    deck.visibility = "staff"
    db.session.commit()
    current_index().index_item(stale, page_texts(deck))  # what the stale writer did
    assert found_by(researcher) == [deck.id]

    report = integrity.check_archive(verify_hashes=False)
    assert (
        "visibility staff in the database, shared in the index"
        in (report.index_access_drift[deck.id])
    )
    assert not report.ok
    integrity.repair(report)
    db.session.expire_all()
    assert found_by(researcher) == []
    assert integrity.check_archive(verify_hashes=False).index_access_drift == {}


def test_check_finds_grants_the_index_does_not_know(app, deck, people, runner):
    pipeline.index_items([deck.id])
    oecd = accounts.find_or_create_organisation("OECD")
    accounts.add_grant(deck.event, oecd)
    db.session.commit()  # no re-index: the index still lists UNDP alone
    result = runner.invoke(args=["check", "--quick"])
    assert result.exit_code == 1
    assert f"item {deck.id}: granted to organisations" in result.output
    repaired = runner.invoke(args=["check", "--quick", "--repair"])
    assert "re-indexed with its current access" in repaired.output
    assert runner.invoke(args=["check", "--quick"]).exit_code == 0


def test_an_edit_whose_reindex_fails_leaves_the_item_to_index(app, deck, monkeypatch):
    pipeline.index_items([deck.id])
    assert db.session.get(Item, deck.id).indexed_at is not None
    monkeypatch.setattr(current_index(), "index_items", broken)
    materials.update_item(deck, {"visibility": "staff"})
    db.session.commit()
    materials.reindex_after_commit([deck.id])
    db.session.expire_all()
    assert db.session.get(Item, deck.id).indexed_at is None  # the recovery sweep's work


def broken(batch) -> None:
    raise OSError("disk full")
