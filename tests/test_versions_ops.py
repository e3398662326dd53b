"""Backup, restore and `flask check` include every version of an item: earlier versions'
originals are kept, backed up and restored, their page images rebuilt and checked."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, update

from archive import pipeline
from archive.catalogue import EventDetails, create_event
from archive.extensions import db
from archive.models import Item, ItemState, ItemVersion
from archive.services import current_storage
from tests.conftest import make_app
from tests.support.items import found, new_version
from tests.test_backup import empty_instance, run
from tests.test_integrity import (
    age_path,
    assert_found_then_repaired,
    check,
    ingest,
    original_path,
    settle,
)

DECK = "un-egov-survey-2022-findings.pdf"


@pytest.fixture
def replaced(app, make_event, make_pdf):
    """A deck replaced by a corrected version (version 2 current, version 1 kept)."""
    deck_id = ingest(make_event(), DECK, title="Survey findings")
    corrected = make_pdf([["Corrected survey findings"], ["Annex"]], "survey-v2.pdf")
    version = new_version(db.session.get(Item, deck_id), corrected, "survey-v2.pdf", "typos")
    assert pipeline.process_version(version.id, "test") == "ready"
    settle()
    item = db.session.get(Item, deck_id)
    return {"item": deck_id, "v1": item.versions[0], "v2": item.versions[1]}


def test_a_healthy_archive_with_versions_passes(runner, replaced):
    result = check(runner)
    assert result.exit_code == 0, result.output
    assert "No problems found." in result.output
    assert current_storage().has_original(replaced["v1"].sha256)  # not an orphan


def test_a_missing_earlier_original_fails_that_version_only(runner, replaced):
    original_path(replaced["v1"].sha256).unlink()
    output = assert_found_then_repaired(runner, "Versions whose original is missing (lost!)")
    assert f"version {replaced['v1'].id}: marked failed" in output
    version = db.session.get(ItemVersion, replaced["v1"].id)
    assert version.status == "failed" and version.error_code == "original-missing"
    item = db.session.get(Item, replaced["item"])
    assert item.status == "ready" and found("corrected") == {item.id}


def test_missing_images_of_an_earlier_version_are_made_again(runner, replaced):
    item_id = replaced["item"]
    folder = current_storage().versions / str(item_id) / "1"
    (folder / "page-0002-preview.jpg").unlink()
    assert_found_then_repaired(runner, "Earlier versions with missing derived files")
    assert (folder / "page-0002-preview.jpg").is_file()


def test_an_orphan_version_folder_is_removed(runner, replaced):
    stray = current_storage().versions / str(replaced["item"]) / "7"
    stray.mkdir()
    (stray / "thumb.webp").write_bytes(b"RIFF")
    age_path(stray)
    assert_found_then_repaired(runner, "Derived folders of versions that are not earlier")
    assert not stray.exists()


def test_a_version_stuck_in_processing_is_queued_again(runner, replaced, make_pdf):
    item = db.session.get(Item, replaced["item"])
    version = new_version(item, make_pdf([["Third take"]], "v3.pdf"), "v3.pdf")
    db.session.execute(
        update(ItemVersion)
        .where(ItemVersion.id == version.id)
        .values(status=ItemState.PROCESSING, claimed_by="gone:1", lease_until=None)
    )
    db.session.execute(
        update(ItemVersion)
        .where(ItemVersion.id == version.id)
        .values(lease_until=ItemVersion.created_at)
    )
    db.session.commit()
    output = assert_found_then_repaired(runner, "Versions stuck in processing")
    assert f"version {version.id}: re-queued" in output
    assert db.session.get(Item, replaced["item"]).version_number == 3  # processed inline


@pytest.fixture
def migrated(tmp_path, make_pdf):
    """A migrated instance whose deck has two versions and a third still queued."""
    app = make_app(tmp_path / "source")
    with app.app_context():
        db.drop_all()
        upgrade()
        event = create_event("baku-2023", EventDetails(title="e-Government workshop"))
        db.session.commit()
        deck_id = ingest(event, DECK, title="Survey findings")
        item = db.session.get(Item, deck_id)
        v2 = new_version(item, make_pdf([["Corrected survey"]], "v2.pdf"), "v2.pdf", "typos")
        pipeline.process_version(v2.id, "test")
        new_version(db.session.get(Item, deck_id), make_pdf([["Final survey"]], "v3.pdf"), "v3.pdf")
        shas = list(db.session.scalars(select(ItemVersion.sha256).order_by(ItemVersion.number)))
        db.session.remove()
    return app, deck_id, shas


@pytest.mark.parametrize("options", [(), ("--portable",)])
def test_backup_and_restore_keep_every_version(tmp_path, migrated, options):
    source, deck_id, shas = migrated
    backup = tmp_path / "archive.tar"
    result = run(source, "backup", str(backup), *options)
    assert result.exit_code == 0, result.output
    target = empty_instance(tmp_path)
    with target.app_context():
        db.drop_all()
    restored = run(target, "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    with target.app_context():
        storage = current_storage()
        assert all(storage.has_original(sha) for sha in shas)
        item = db.session.get(Item, deck_id)
        # Version 3 was queued at backup time: the restore processed it, so it is current.
        assert [(v.number, v.status) for v in item.versions] == [
            (1, "ready"),
            (2, "ready"),
            (3, "ready"),
        ]
        assert item.version_number == 3 and found("final") == {deck_id}
        assert item.versions[1].note == "typos"
        assert storage.version_derived_names(deck_id, 1)
        assert storage.version_derived_names(deck_id, 2)
        settle()
        checked = target.test_cli_runner().invoke(args=["check"])
        assert checked.exit_code == 0, checked.output
        db.session.remove()
