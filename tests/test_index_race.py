"""Defect 1: a stale index write-back leaked a staff-only deck, and `flask check` missed it.

The worker read an event's rows, then waited for the index lock; an item's visibility became
`staff` during the wait, and the worker wrote the old `shared` documents over the new ones.
Here the index writer's lock is held by the test, the worker is started and reaches the
lock, the visibility changes, the lock is released: the index must end up saying staff.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from archive import accounts, integrity, materials, pipeline
from archive.extensions import db
from archive.fileio import wait_for_lock
from archive.fulltext import SearchRequest
from archive.indexing import item_doc, page_texts
from archive.models import Item, User
from archive.permissions import search_scope
from archive.services import current_index, search_dsn

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


@contextmanager
def index_lock_held(app, monkeypatch) -> Iterator[Callable[[], bool]]:
    """Hold the index's write lock as another writer would; yields a test of whether the
    worker thread now waits for it. Whoosh: the flock of `write.lock` (wait_for_lock sleeps
    while it is taken); PostgreSQL: the session advisory lock of `writing()` (a waiting
    backend shows an ungranted advisory lock in pg_locks)."""
    if app.config["SEARCH_BACKEND"] == "postgresql":
        with current_index().writing(), psycopg.connect(search_dsn(app.config)) as conn:
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            yield lambda: conn.execute(waiting).fetchone()[0] > 0
        return
    worker_waits = threading.Event()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:  # wait_for_lock sleeps only while the lock is taken
        if threading.current_thread().name == "worker":
            worker_waits.set()
        real_sleep(seconds)

    monkeypatch.setattr("archive.fileio.time.sleep", sleep)
    with wait_for_lock(Path(app.config["INDEX_DIR"]) / "write.lock", timeout=10):
        yield worker_waits.is_set


def test_a_worker_waiting_for_the_index_never_writes_a_stale_visibility(
    app, deck, people, monkeypatch
):
    def worker() -> None:
        with app.app_context():
            pipeline.index_pending(wait=True)
            db.session.remove()

    with index_lock_held(app, monkeypatch) as worker_waits:
        thread = threading.Thread(target=worker, name="worker")
        thread.start()
        deadline = time.monotonic() + 30
        while not worker_waits() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker_waits(), "the worker never reached the index lock"
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
