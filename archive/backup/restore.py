"""Restoring a backup into an empty instance: verify, install, then rebuild the caches.

The archive is read twice: once to verify every member against the manifest and every
original against its name, before anything is touched, and once to install it (database,
schema upgrade, originals, secret key). Derived files and the search index are caches, so
they are made again from the restored rows and originals rather than carried in the backup.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from alembic.util import CommandError
from flask import current_app
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import table

from archive import indexing, integrity, pipeline
from archive.backup.database import check_compatible, restore_database, upgrade_schema
from archive.backup.format import (
    SECRET_FILE,
    SECRET_MEMBER,
    RestoreError,
    Stage,
    no_progress,
    open_tar,
    scan_members,
    verify_archive,
)
from archive.extensions import db
from archive.fileio import atomic_write
from archive.fulltext import FulltextError
from archive.models import Event, Item, ItemState, ItemVersion, User
from archive.services import current_storage


@dataclass
class RestoreReport:
    """What `restore_archive` restored and rebuilt, and what went wrong after the install."""

    users: int = 0
    events: int = 0
    items: int = 0
    originals: int = 0
    secret_key: str = ""
    reprocessed: int = 0
    indexed: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def restore_archive(
    path: str | os.PathLike[str], derived: bool = True, stage: Stage = no_progress
) -> RestoreReport:
    """Restore a backup into an empty instance, then rebuild derived files and the index.

    Refuses (RestoreError, nothing changed) a non-empty instance and an archive that fails
    verification. Later problems are collected in the report's `errors`."""
    source = Path(path)
    if not source.is_file():
        raise RestoreError(f"{source}: no such backup file")
    refuse_unless_empty()
    manifest = verify_archive(source, stage)
    check_compatible(manifest, source)
    report = RestoreReport(warnings=list(manifest["errors"]))
    try:
        install(source, manifest, report, stage)
    except (RestoreError, CommandError, SQLAlchemyError, OSError) as exc:
        raise RestoreError(
            f"restore stopped: {exc}. The instance is now partly restored: empty its database "
            "and upload folder before trying again."
        ) from exc
    if derived:
        reprocess_all(report, stage)
    else:
        rebuild_index(report, stage)
    count_rows(report)
    return report


def refuse_unless_empty() -> None:
    """A restore replaces the database: only an instance with nothing in it may take one."""
    found = []
    inspector = inspect(db.engine)
    for name in inspector.get_table_names():
        if name == "alembic_version":
            continue
        rows = db.session.scalar(select(func.count()).select_from(table(name)))
        if rows:
            found.append(f"{rows} row(s) in {name}")
    if next(current_storage().iter_originals(), None) is not None:
        found.append("originals in the upload folder")
    db.session.remove()
    if found:
        raise RestoreError(
            "this instance is not empty (" + ", ".join(found) + "); restore only into a new "
            "instance: point ARCHIVE_DATABASE_URL and ARCHIVE_UPLOAD_DIR at empty places"
        )


# ---------------------------------------------------------------------------- install


def install(source: Path, manifest: dict, report: RestoreReport, stage: Stage) -> None:
    """Database, schema upgrade, originals and key: the steps that change the instance."""
    restore_database(source, manifest)
    upgrade_schema(manifest["alembic_revision"])
    report.originals = restore_originals(source, manifest, stage)
    report.secret_key = restore_secret_key(source, manifest)
    mark_lost_originals(report)
    requeue_claimed()


def restore_originals(source: Path, manifest: dict, stage: Stage) -> int:
    """Through storage, so every original is written atomically and hashed once more."""
    storage = current_storage()
    count = 0
    with (
        open_tar(source) as tar,
        stage("Restoring originals", len(manifest["originals"])) as advance,
    ):
        for info in tar:
            if not info.name.startswith("originals/"):
                continue
            stored = storage.store_original(tar.extractfile(info))
            if stored.sha256 != info.name.removeprefix("originals/"):
                storage.delete_original(stored.sha256)
                raise RestoreError(f"{source}: {info.name} changed while it was being restored")
            count += 1
            advance(1)
    return count


def restore_secret_key(source: Path, manifest: dict) -> str:
    """Only when this instance's key is its own generated file, never over a configured one."""
    key_file = Path(current_app.instance_path) / SECRET_FILE
    if SECRET_MEMBER not in manifest["members"]:
        return "the backup holds no secret key (set ARCHIVE_SECRET_KEY as before)"
    current = current_app.config.get("SECRET_KEY")
    if not (key_file.is_file() and key_file.read_text().strip() == current):
        return "secret key not restored: this instance's key is configured (ARCHIVE_SECRET_KEY)"
    key = b"".join(member.read() for _, member in scan_members(source, {SECRET_MEMBER}))
    atomic_write(key_file, key, 0o600)  # the key: readable by this account alone
    current_app.config["SECRET_KEY"] = key.decode().strip()
    return f"secret key restored into {key_file}; sign-ins made before the backup stay valid"


def mark_lost_originals(report: RestoreReport) -> None:
    """Items and earlier versions whose original was not in the backup are failed, as
    `check --repair` does."""
    storage = current_storage()
    rows = db.session.execute(
        select(Item.id, Item.sha256).where(Item.status != ItemState.FAILED)
    ).all()
    for item_id, sha in rows:
        if not storage.has_original(sha):
            integrity.mark_lost(item_id, "original-missing")
            report.errors.append(f"item {item_id}: original {sha} is not in the backup")
    earlier = select(ItemVersion).where(ItemVersion.status != ItemState.FAILED)
    for version in db.session.scalars(earlier).all():
        if not version.is_current and not storage.has_original(version.sha256):
            integrity.mark_version_lost(version.id, "original-missing")
            report.errors.append(
                f"item {version.item_id} version {version.number}: original "
                f"{version.sha256} is not in the backup"
            )


def requeue_claimed() -> None:
    """Items and versions a backup caught mid-processing belong to no worker here."""
    for model in (Item, ItemVersion):
        db.session.execute(
            update(model)
            .where(model.status == ItemState.PROCESSING)
            .values(status=ItemState.QUEUED, claimed_by=None, lease_until=None)
        )
    db.session.commit()


# ---------------------------------------------------------------------------- caches


def reprocess_all(report: RestoreReport, stage: Stage) -> None:
    """Make every item's derived files again and index it, as the pipeline does any upload
    (and finish items queued at backup time)."""
    db.session.execute(
        update(Item)
        .where(Item.status == ItemState.READY)
        .values(status=ItemState.QUEUED, attempts=0)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    ids = db.session.scalars(
        select(Item.id).where(Item.status == ItemState.QUEUED).order_by(Item.id)
    ).all()
    with stage("Making derived files and indexing", len(ids)) as advance:

        def done(item_id: int, status: str | None) -> None:
            if status != ItemState.READY:
                error = db.session.scalar(select(Item.error).where(Item.id == item_id))
                report.errors.append(f"item {item_id}: reprocessing {status}: {error}")
            report.reprocessed += 1
            advance(1)

        pipeline.process_items(ids, f"restore:{os.getpid()}", progress=done)
    restore_versions(report, stage)
    indexed = Item.status == ItemState.READY, Item.indexed_at.is_not(None)
    report.indexed = db.session.scalar(select(func.count()).select_from(Item).where(*indexed))


def restore_versions(report: RestoreReport, stage: Stage) -> None:
    """The page images of earlier versions (staff view them), and versions that were still
    being processed when the backup was made (they become current when ready)."""
    queued = select(ItemVersion.id).where(ItemVersion.status == ItemState.QUEUED)
    ids = sorted(set(pipeline.earlier_versions()) | set(db.session.scalars(queued)))
    with stage("Making earlier versions' files", len(ids)) as advance:
        results = pipeline.reprocess_versions(ids, f"restore:{os.getpid()}")
        advance(len(results))
    for version_id, status in results:
        if status != ItemState.READY:
            error = db.session.scalar(select(ItemVersion.error).where(ItemVersion.id == version_id))
            report.errors.append(f"version {version_id}: reprocessing {status}: {error}")


def rebuild_index(report: RestoreReport, stage: Stage) -> None:
    """Without reprocessing, the index is rebuilt from the restored rows (pages keep their
    text in the database), so the archive is searchable at once."""
    with stage("Indexing", indexing.count_ready_items()) as advance:
        done = {"n": 0}

        def progress(n: int) -> None:
            advance(n - done["n"])
            done["n"] = n

        try:
            result = pipeline.rebuild_index(progress)
        except FulltextError as exc:
            report.errors.append(f"search index not rebuilt: {exc}")
            return
    report.indexed = result.items
    report.errors += [f"item {i}: left out of the index: {why}" for i, why in result.failed]


def count_rows(report: RestoreReport) -> None:
    """The restored instance's row counts, for the summary."""
    for attr, model in (("users", User), ("events", Event), ("items", Item)):
        setattr(report, attr, db.session.scalar(select(func.count()).select_from(model)))
