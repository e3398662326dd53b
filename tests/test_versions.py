"""Versions through the pipeline: a corrected deck replaces the old one in search only when
it is ready, with no moment where neither is found; failures, restores and races."""

from __future__ import annotations

import io
import threading
import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from archive import indexing, materials, pipeline, tasks
from archive.extensions import db
from archive.ingest import VersionError, accept_version, restore_version
from archive.ingest import processing as processing_module
from archive.models import AuditEntry, Item, ItemState, ItemVersion
from archive.services import current_storage
from tests.conftest import make_app
from tests.support.items import found, new_version, upload
from tests.support.samples import make_broken_pdf


@pytest.fixture
def deck(app, make_event, make_pdf):
    """A processed, indexed deck whose every page says "alpha"."""
    event = make_event()
    path = make_pdf([["alpha opening"], ["alpha findings"], ["alpha close"]], "talk.pdf")
    return upload(event, path, "talk.pdf", title="The talk")


def corrected(make_pdf, word: str = "beta", pages: int = 2, name: str = "talk-v2.pdf"):
    return make_pdf([[f"{word} page {n}"] for n in range(1, pages + 1)], name)


def test_version_one_is_recorded_for_every_item(deck):
    [v1] = deck.versions
    assert (v1.number, v1.sha256, v1.status, v1.page_count) == (1, deck.sha256, "ready", 3)
    assert deck.version_number == 1 and v1.is_current


def test_a_new_version_replaces_the_old_one_in_search_only_when_ready(deck, make_pdf):
    old_sha = deck.sha256
    version = new_version(deck, corrected(make_pdf), "talk-v2.pdf", note="typo on slide 2")
    assert (version.number, version.status, version.note) == (2, "queued", "typo on slide 2")
    assert found("alpha") == {deck.id} and found("beta") == set()
    assert deck.sha256 == old_sha and deck.status == "ready"  # untouched while queued

    assert pipeline.extract_version(version.id, "test") == "ready"
    db.session.expire_all()
    item = db.session.get(Item, deck.id)
    assert (item.version_number, item.page_count, item.original_filename) == (2, 2, "talk-v2.pdf")
    assert [p.text for p in item.pages] == ["beta page 1", "beta page 2"]
    assert item.indexed_at is None
    # The database has switched, the index not yet: the old version is still what is found.
    assert found("alpha") == {deck.id}

    pipeline.index_pending(wait=True)
    assert found("beta") == {deck.id} and found("alpha") == set()
    assert item.title == "The talk"  # the item's description is kept across versions
    v1 = item.versions[0]
    assert v1.replaced_at is not None and not v1.is_current
    assert current_storage().has_original(old_sha)  # the old file is kept


def test_no_moment_where_neither_version_is_found(deck, make_pdf, app, monkeypatch):
    """A reader searches without pause while the new version is queued, processed and
    indexed through the queue; every answer contains the item.

    The reader is sure to search at each step, whatever the machine's speed: before the
    work starts, once the database has switched to the new version but the index not yet,
    and afterwards. Between those it searches as often as it can."""
    version = new_version(deck, corrected(make_pdf), "talk-v2.pdf")
    answers, stop = [], threading.Event()

    def reader():
        with app.app_context():
            while not stop.is_set():
                answers.append(deck.id in found("alpha OR beta"))
            db.session.remove()

    def let_reader_answer(count: int = 2) -> None:
        """Wait until the reader has answered `count` more times (searches begun now)."""
        wanted, deadline = len(answers) + count + 1, time.monotonic() + 60
        while len(answers) < wanted and thread.is_alive():
            assert time.monotonic() < deadline, "the reader stopped answering"
            time.sleep(0.005)

    index_unindexed = indexing.index_unindexed

    def index_after_the_reader_has_searched() -> int:
        let_reader_answer()  # the database has the new version, the index the old one
        return index_unindexed()

    monkeypatch.setattr(indexing, "index_unindexed", index_after_the_reader_has_searched)
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        let_reader_answer()
        tasks.enqueue_version_processing(version.id)  # immediate queue: runs here
        let_reader_answer()
    finally:
        stop.set()
        thread.join(timeout=60)
    assert found("beta") == {deck.id}
    assert len(answers) >= 6 and all(answers)


def test_the_old_version_keeps_its_page_images(deck, make_pdf):
    version = new_version(deck, corrected(make_pdf), "talk-v2.pdf")
    pipeline.process_version(version.id, "test")
    storage = current_storage()
    assert storage.version_derived_names(deck.id, 1) >= {
        "page-0001-preview.jpg",
        "page-0003-thumb.webp",
    }
    current = storage.derived_names(deck.id)
    assert "page-0002-preview.jpg" in current and "page-0003-preview.jpg" not in current


def test_a_failed_version_leaves_the_item_as_it_was(deck):
    version = new_version(deck, make_broken_pdf(), "talk-v2.pdf")
    assert pipeline.process_version(version.id, "test") == "failed"
    db.session.expire_all()
    version = db.session.get(ItemVersion, version.id)
    assert version.status == "failed" and "talk-v2.pdf" in version.error
    item = db.session.get(Item, deck.id)
    assert item.version_number == 1 and item.status == "ready" and found("alpha") == {deck.id}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "item.version.failed"))
    assert entry.target_id == deck.id and "version 2" in entry.summary


def test_a_version_is_refused_with_a_reason(deck, make_pdf, make_jpeg, make_event):
    storage = current_storage()

    def attempt(content: bytes, name: str):
        return accept_version(storage, io.BytesIO(content), name, deck, None)

    def original(item) -> bytes:
        with storage.open_original(item.sha256) as fh:
            return fh.read()

    assert "already the current version" in attempt(original(deck), "again.pdf").error
    photo = attempt(make_jpeg().read_bytes(), "photo.jpg")
    assert photo.error_code == "wrong-kind"
    assert "a new version of a presentation must be a PDF, and this file is a photo" in photo.error
    html = attempt(b"<!doctype html><html><body>nope</body></html>", "x.pdf")
    assert html.error_code == "unsupported-type" and "HTML" in html.error
    other = upload(make_event("other-2024"), make_pdf([["gamma"]], "other.pdf"), "other.pdf")
    duplicate = attempt(original(other), "other.pdf")
    assert duplicate.error_code == "duplicate" and f"item {other.id}" in duplicate.error
    db.session.rollback()
    assert [v.number for v in db.session.get(Item, deck.id).versions] == [1]


def test_making_an_old_version_current_again_adds_a_version(deck, make_pdf):
    v1_sha = deck.sha256
    pipeline.process_version(new_version(deck, corrected(make_pdf), "v2.pdf").id, "test")
    item = db.session.get(Item, deck.id)
    with pytest.raises(VersionError, match="already the current version"):
        restore_version(item, 2, None)
    copy = restore_version(item, 1, None)
    db.session.commit()
    assert (copy.number, copy.restored_from, copy.sha256) == (3, 1, v1_sha)
    assert copy.note == "Version 1 made current again"
    assert pipeline.process_version(copy.id, "test") == "ready"
    db.session.expire_all()
    item = db.session.get(Item, deck.id)
    assert (item.version_number, item.sha256) == (3, v1_sha)
    assert found("alpha") == {deck.id} and found("beta") == set()
    assert current_storage().version_derived_names(deck.id, 2)  # v2 kept its images


def test_a_slower_older_version_does_not_replace_a_newer_one(deck, make_pdf):
    v2 = new_version(deck, corrected(make_pdf, "beta"), "v2.pdf")
    v3 = new_version(deck, corrected(make_pdf, "gamma", name="v3.pdf"), "v3.pdf")
    assert pipeline.process_version(v3.id, "test") == "ready"
    assert pipeline.process_version(v2.id, "test") == "ready"
    db.session.expire_all()
    item = db.session.get(Item, deck.id)
    assert item.version_number == 3 and found("gamma") == {deck.id} and found("beta") == set()
    v2 = db.session.get(ItemVersion, v2.id)
    assert v2.status == "ready" and v2.page_count == 2 and not v2.is_current
    assert current_storage().version_derived_names(deck.id, 2)


def test_reprocessing_the_old_file_during_a_switch_is_dropped(deck, make_pdf, monkeypatch):
    """The item's own extraction (a reprocess) finishes after a new version became current:
    its result is for a file that is no longer current, and is dropped."""
    version = new_version(deck, corrected(make_pdf), "v2.pdf")
    real = processing_module.run_extraction

    def extraction_overtaken_by_a_version(*args, **kwargs):
        result = real(*args, **kwargs)
        assert pipeline.extract_version(version.id, "other-worker") == "ready"
        return result

    monkeypatch.setattr(processing_module, "run_extraction", extraction_overtaken_by_a_version)
    assert pipeline.reprocess_item(deck.id)[0] == "ready"
    db.session.expire_all()
    item = db.session.get(Item, deck.id)
    assert item.version_number == 2 and [p.text for p in item.pages][0] == "beta page 1"
    assert "page-0003-preview.jpg" not in current_storage().derived_names(deck.id)


def test_deleting_an_item_removes_every_version_file(deck, make_pdf):
    pipeline.process_version(new_version(deck, corrected(make_pdf), "v2.pdf").id, "test")
    item = db.session.get(Item, deck.id)
    shas = [v.sha256 for v in item.versions]
    removed = materials.delete_items([item])
    db.session.commit()
    materials.purge(removed)
    storage = current_storage()
    assert not any(storage.has_original(sha) for sha in shas)
    assert storage.version_derived_names(deck.id, 1) is None
    assert db.session.scalars(select(ItemVersion)).all() == []


def test_abandoned_version_processing_is_queued_again(deck, make_pdf):
    version = new_version(deck, corrected(make_pdf), "v2.pdf")
    assert pipeline.claim(version.id, "elsewhere:1", ItemVersion)
    db.session.execute(
        text("UPDATE item_versions SET lease_until = '2000-01-01' WHERE id = :id"),
        {"id": version.id},
    )
    db.session.commit()
    found_work = pipeline.recover("this-host", at_start=False)
    assert found_work.versions_to_process == [version.id]
    assert db.session.get(ItemVersion, version.id).status == ItemState.QUEUED


def test_the_migration_gives_existing_items_their_version_one(tmp_path):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        db.drop_all()
        upgrade(revision="0001")
        db.session.execute(
            text(
                "INSERT INTO events (id, slug, title, city, country, venue, organisers,"
                " description, tags, created_at, updated_at) VALUES (1, 'e', 'E', '', '', '',"
                " '', '', '', '2024-01-01', '2024-01-01')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO items (id, kind, event_id, title, visibility, original_filename,"
                " sha256, size, mime, status, attempts, created_at, updated_at, page_count)"
                " VALUES (7, 'presentation', 1, 'Old', 'shared', 'old.pdf', :sha, 10,"
                " 'application/pdf', 'ready', 0, '2024-01-01', '2024-01-01', 4)"
            ),
            {"sha": "a" * 64},
        )
        db.session.commit()
        upgrade()
        item = db.session.get(Item, 7)
        [version] = item.versions
        assert (item.version_number, version.number, version.sha256) == (1, 1, "a" * 64)
        assert (version.page_count, version.status, version.original_filename) == (
            4,
            "ready",
            "old.pdf",
        )
        db.session.remove()
