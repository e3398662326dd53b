"""Backup and restore: one tar file holding the database, the originals and the secret key.

Derived files and the search index are caches, so a backup leaves them out and a restore
rebuilds them. Members, in this order::

    manifest.json              first: format, versions, counts, SHA-256 of every member
    database/archive.sqlite3   SQLite: a consistent copy from SQLite's online backup API
    database/<table>.jsonl     other databases (or --portable): one JSON object per row,
                               all tables read in one repeatable-read transaction
    instance/secret_key        the instance folder's key, when the instance has one
    originals/<sha256>         exactly the originals the copied database refers to

The database copy is taken first and decides which originals belong in the backup, so
uploads that arrive meanwhile are simply not part of it. Each original is hashed before it
is written (a damaged one is left out and reported) and again as it is written. A restore
reads the archive twice: once to verify every member against the manifest and every
original against its name, before anything is touched, and once to install it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import (
    Date,
    DateTime,
    LargeBinary,
    MetaData,
    Numeric,
    Time,
    create_engine,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import column, table

import archive
from archive import indexing, integrity
from archive.extensions import db
from archive.fulltext import FulltextError
from archive.fulltext.whoosh import SCHEMA_VERSION
from archive.ingest.processing import process_item
from archive.models import Event, Item, User
from archive.models.common import utcnow
from archive.services import current_storage

logger = logging.getLogger(__name__)

FORMAT = "workshop-archive-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/archive.sqlite3"
SECRET_MEMBER = "instance/secret_key"  # noqa: S105 (a member name, not a secret)
SECRET_FILE = "secret_key"  # noqa: S105 (a file name)
MEMBER_NAME = re.compile(
    r"^(manifest\.json|database/archive\.sqlite3|database/[a-z_][a-z0-9_]{0,62}\.jsonl"
    r"|instance/secret_key|originals/[0-9a-f]{64})$"
)
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
CHUNK = 1024 * 1024
INSERT_BATCH = 500
SUFFIXES = {".tar": "", ".tar.gz": "gz", ".tgz": "gz"}

# A progress stage: called with a label and a total, it gives `advance(n)` for the block.
Stage = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def no_progress(_label: str, _total: int) -> Iterator[Callable[[int], None]]:
    yield lambda _n: None


class BackupError(Exception):
    """A backup could not be written; the message names the path and the reason."""


class RestoreError(Exception):
    """A restore was refused or failed; the message says why and what to do."""


@dataclass
class BackupReport:
    path: str
    database_format: str
    items: int = 0
    originals: int = 0
    bytes: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    users: int = 0
    events: int = 0
    items: int = 0
    originals: int = 0
    secret_key: str = ""
    reprocessed: int = 0
    indexed: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Snapshot:
    """The database copy inside the backup's work folder, and what it refers to."""

    format: str  # "sqlite" or "jsonl"
    files: list[tuple[str, Path]]  # (member name, file)
    originals: dict[str, int]  # sha256 -> item id
    counts: dict[str, int]
    revision: str | None


# ---------------------------------------------------------------------------- backup


def backup_archive(
    path: str | os.PathLike[str],
    force: bool = False,
    portable: bool = False,
    stage: Stage = no_progress,
) -> BackupReport:
    """Write a consistent backup to `path` (.tar, .tar.gz or .tgz) while the service runs."""
    target = Path(path)
    compression = archive_compression(target)
    if target.exists() and not force:
        raise BackupError(f"{target} already exists; add --force to replace it")
    if target.is_dir() or not target.parent.is_dir():
        raise BackupError(f"{target}: not a file name in an existing folder")
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        snapshot = snapshot_database(work, portable)
        report = BackupReport(str(target), snapshot.format, items=snapshot.counts["items"])
        originals = verify_originals(snapshot, report, stage)
        partial = work / "partial"
        write_archive(partial, compression, snapshot, originals, report, stage)
        os.replace(partial, target)
        _fsync_dir(target.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.bytes = target.stat().st_size
    logger.info("backup written to %s: %d originals", target, report.originals)
    return report


def archive_compression(target: Path) -> str:
    for suffix, compression in SUFFIXES.items():
        if target.name.endswith(suffix):
            return compression
    raise BackupError(f"{target}: the backup file name must end in .tar, .tar.gz or .tgz")


def snapshot_database(work: Path, portable: bool) -> Snapshot:
    """Copy the database at one instant: SQLite's backup API, or one repeatable read."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        connection = db.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        with connection, connection.begin():
            return dump_tables(connection, work)
    copy = work / "archive.sqlite3"
    copy_sqlite(Path(url.database), copy)
    engine = create_engine(f"sqlite:///{copy}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if portable:
                return dump_tables(connection, work)
            snapshot = Snapshot("sqlite", [(SQLITE_MEMBER, copy)], *read_facts(connection))
    finally:
        engine.dispose()  # closes the last connection, so SQLite folds its WAL into the file
    return snapshot


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: one step under one read transaction, so concurrent writers
    neither block it nor leave it half-updated."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def dump_tables(connection: Connection, work: Path) -> Snapshot:
    """Every table as JSON lines, read in the caller's transaction."""
    meta = MetaData()
    meta.reflect(bind=connection)
    files = []
    for tbl in meta.sorted_tables:
        if tbl.name == "alembic_version":
            continue  # the manifest records the revision
        file = work / f"{tbl.name}.jsonl"
        query = select(tbl).order_by(*tbl.primary_key.columns).execution_options(yield_per=1000)
        with file.open("w", encoding="utf-8") as out:
            for row in connection.execute(query).mappings():
                out.write(json.dumps(dict(row), default=to_json, ensure_ascii=False) + "\n")
        files.append((f"database/{tbl.name}.jsonl", file))
    return Snapshot("jsonl", files, *read_facts(connection))


def read_facts(connection: Connection) -> tuple[dict[str, int], dict[str, int], str | None]:
    """(originals referred to, row counts, Alembic revision) of a database, any version."""
    items = table("items", column("id"), column("sha256"))
    rows = connection.execute(select(items.c.id, items.c.sha256))
    originals = {sha: item_id for item_id, sha in rows}
    counts = {
        name: connection.scalar(select(func.count()).select_from(table(name)))
        for name in ("users", "events", "items")
    }
    revision = None
    if inspect(connection).has_table("alembic_version"):
        version = table("alembic_version", column("version_num"))
        revision = connection.scalar(select(version.c.version_num))
    return originals, counts, revision


def to_json(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


def verify_originals(snapshot: Snapshot, report: BackupReport, stage: Stage) -> dict[str, int]:
    """The originals to copy (sha -> size): present, and with bytes that match their name."""
    storage = current_storage()
    good = {}
    with stage("Verifying originals", len(snapshot.originals)) as advance:
        for sha, item_id in sorted(snapshot.originals.items()):
            advance(1)
            if not storage.has_original(sha):
                report.errors.append(f"item {item_id}: original {sha} is missing; not backed up")
            elif storage.hash_original(sha) != sha:
                report.errors.append(f"item {item_id}: original {sha} is damaged; not backed up")
            else:
                with storage.open_original(sha) as fh:
                    good[sha] = os.fstat(fh.fileno()).st_size
    return good


def write_archive(partial, compression, snapshot, originals, report, stage) -> None:
    """Manifest first, then the database, the secret key and the originals."""
    members = {name: _file_facts(file) for name, file in snapshot.files}
    key_file = Path(current_app.instance_path) / SECRET_FILE
    if key_file.is_file():
        members[SECRET_MEMBER] = _file_facts(key_file)
    members.update(
        {f"originals/{sha}": {"sha256": sha, "size": size} for sha, size in originals.items()}
    )
    manifest = build_manifest(snapshot, originals, members, report.errors)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # holds the key
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode=f"w:{compression}" if compression else "w") as tar:
            add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
            for name, file in snapshot.files:
                add_file(tar, name, file)
            if SECRET_MEMBER in members:
                add_file(tar, SECRET_MEMBER, key_file)
            add_originals(tar, originals, stage)
        raw.flush()
        os.fsync(raw.fileno())
    report.originals = len(originals)


def build_manifest(snapshot: Snapshot, originals, members, errors) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": utcnow().isoformat(timespec="seconds") + "Z",
        "app_version": archive.__version__,
        "index_schema_version": SCHEMA_VERSION,
        "alembic_revision": snapshot.revision,
        "database": {"format": snapshot.format, "dialect": db.engine.url.get_backend_name()},
        "counts": snapshot.counts,
        "originals": [{"sha256": sha, "size": size} for sha, size in sorted(originals.items())],
        "members": members,
        "errors": errors,
    }


def add_originals(tar: tarfile.TarFile, originals: dict[str, int], stage: Stage) -> None:
    storage = current_storage()
    with stage("Writing originals", len(originals)) as advance:
        for sha, size in sorted(originals.items()):
            with storage.open_original(sha) as fh:
                reader = HashingReader(fh)
                tar.addfile(_member(f"originals/{sha}", size, 0o644), reader)
            if reader.hexdigest() != sha:
                raise BackupError(f"original {sha} changed while it was being copied")
            advance(1)


def add_file(tar: tarfile.TarFile, name: str, file: Path) -> None:
    with file.open("rb") as fh:
        tar.addfile(_member(name, os.fstat(fh.fileno()).st_size, 0o600), fh)


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_member(name, len(data), 0o600), io.BytesIO(data))


def _member(name: str, size: int, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, int(utcnow().timestamp())
    return info


class HashingReader:
    """A file wrapper that hashes what is read through it."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


# ---------------------------------------------------------------------------- restore


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
    rebuild_index(report, stage)
    count_rows(report)
    return report


def install(source: Path, manifest: dict, report: RestoreReport, stage: Stage) -> None:
    """Database, schema upgrade, originals and key: the steps that change the instance."""
    restore_database(source, manifest)
    upgrade_schema(manifest["alembic_revision"])
    report.originals = restore_originals(source, manifest, stage)
    report.secret_key = restore_secret_key(source, manifest)
    mark_lost_originals(report)
    requeue_claimed()


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


def verify_archive(source: Path, stage: Stage) -> dict:
    """Check every member's name, type and SHA-256 against the manifest; returns it."""
    with open_tar(source) as tar:
        first = tar.next()
        if first is None:
            raise RestoreError(f"{source} is empty: not a Workshop Archive backup")
        check_member(source, first)
        manifest = read_manifest(source, tar, first)
        seen = {MANIFEST}
        total = sum(m.get("size", 0) for m in manifest["members"].values())
        with stage("Verifying backup", total) as advance:
            for info in tar:
                if info is first:
                    continue
                check_member(source, info)
                if info.name in seen:
                    raise RestoreError(f"{source}: member {info.name!r} appears twice")
                seen.add(info.name)
                check_digest(source, info.name, _member_sha256(tar, info, advance), manifest)
    missing = sorted(set(manifest["members"]) - seen)
    if missing:
        raise RestoreError(f"{source} lacks {', '.join(missing[:5])}, listed in its manifest")
    return manifest


def check_member(source: Path, info: tarfile.TarInfo) -> None:
    """Only regular files with the names a backup uses: nothing that could escape (absolute
    paths, "..", links, devices) even though members are never extracted by name."""
    if not MEMBER_NAME.match(info.name) or not info.isreg():
        raise RestoreError(
            f"{source}: member {info.name!r} is not part of a Workshop Archive backup "
            "(unexpected name or type); nothing was restored"
        )


def read_manifest(source: Path, tar: tarfile.TarFile, info: tarfile.TarInfo) -> dict:
    if info.name != MANIFEST or info.size > MAX_MANIFEST_BYTES:
        raise RestoreError(f"{source}: {MANIFEST} must come first; not a Workshop Archive backup")
    try:
        manifest = json.loads(tar.extractfile(info).read())
    except ValueError as exc:
        raise RestoreError(f"{source}: {MANIFEST} is unreadable ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreError(f"{source}: not a Workshop Archive backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise RestoreError(
            f"{source}: backup format {manifest.get('format_version')} is not the format this "
            f"version reads ({FORMAT_VERSION})"
        )
    return manifest


def check_digest(source: Path, name: str, digest: str, manifest: dict) -> None:
    if name.startswith("originals/") and digest != name.removeprefix("originals/"):
        raise RestoreError(
            f"{source}: {name} does not match its SHA-256 (the file was changed or damaged); "
            "nothing was restored"
        )
    if manifest["members"].get(name, {}).get("sha256") != digest:
        raise RestoreError(
            f"{source}: {name} does not match the SHA-256 in the manifest (changed or "
            "damaged); nothing was restored"
        )


def check_compatible(manifest: dict, source: Path) -> None:
    """Refuse before changing anything: a database kind or revision this code cannot take."""
    kind = manifest["database"]["format"]
    if kind == "sqlite" and db.engine.url.get_backend_name() != "sqlite":
        raise RestoreError(
            f"{source} holds an SQLite database file, but this instance uses "
            f"{db.engine.url.get_backend_name()}; make the backup with --portable"
        )
    revision = manifest["alembic_revision"]
    if revision is not None:
        try:
            ScriptDirectory.from_config(alembic_config()).get_revision(revision)
        except CommandError as exc:
            raise RestoreError(
                f"{source} was made by a newer version (database revision {revision}); "
                "restore it with that version or later"
            ) from exc


def restore_database(source: Path, manifest: dict) -> None:
    db.session.remove()
    if manifest["database"]["format"] == "sqlite":
        replace_sqlite_file(source, manifest["members"][SQLITE_MEMBER]["sha256"])
    else:
        load_tables(source, manifest)


def replace_sqlite_file(source: Path, expected: str) -> None:
    """Swap in the backup's file while this process holds no connection to the old one."""
    target = Path(db.engine.url.database)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.restore-")
    try:
        with os.fdopen(fd, "wb") as out:
            for _, member in scan_members(source, {SQLITE_MEMBER}):
                reader = HashingReader(member)
                shutil.copyfileobj(reader, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        if reader.hexdigest() != expected:
            raise RestoreError(f"{source}: {SQLITE_MEMBER} changed since it was verified")
        db.engine.dispose()
        for suffix in ("-wal", "-shm", "-journal"):  # the empty database's, never to be replayed
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def load_tables(source: Path, manifest: dict) -> None:
    """Recreate the backup's schema revision, then load every table's rows in one
    transaction, in the archive's order (the tables were dumped parents first)."""
    with db.engine.begin() as connection:
        old = MetaData()
        old.reflect(bind=connection)
        old.drop_all(bind=connection)
    revision = manifest["alembic_revision"]
    if revision is None:
        db.create_all()
    else:
        alembic_command.upgrade(alembic_config(), revision)
    dumps = {name for name in manifest["members"] if name.endswith(".jsonl")}
    with db.engine.begin() as connection:
        meta = MetaData()
        meta.reflect(bind=connection)
        tables = {f"database/{name}.jsonl": tbl for name, tbl in meta.tables.items()}
        unknown = sorted(dumps - set(tables))
        if unknown:
            raise RestoreError(f"the backup has tables this schema lacks: {', '.join(unknown)}")
        for name, rows in scan_members(source, dumps):
            insert_rows(connection, tables[name], rows)
        if connection.dialect.name == "postgresql":
            reset_sequences(connection, meta)


def insert_rows(connection: Connection, tbl, lines: BinaryIO) -> None:
    batch = []
    for line in lines:
        row = json.loads(line)
        batch.append({key: from_json(tbl.c[key].type, value) for key, value in row.items()})
        if len(batch) >= INSERT_BATCH:
            connection.execute(tbl.insert(), batch)
            batch = []
    if batch:
        connection.execute(tbl.insert(), batch)


def from_json(column_type, value):
    """A JSON value back into what the column takes (dates, times, bytes, decimals)."""
    if value is None or not isinstance(value, str):
        return value
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, Time):
        return time.fromisoformat(value)
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column_type, Numeric):
        return Decimal(value)
    return value


def reset_sequences(connection: Connection, meta: MetaData) -> None:
    """PostgreSQL: rows came with their ids, so move each id sequence past the largest."""
    for tbl in meta.sorted_tables:
        if "id" not in tbl.c or tbl.c.id.autoincrement is False:
            continue
        largest = select(func.max(tbl.c.id)).scalar_subquery()
        sequence = func.pg_get_serial_sequence(tbl.name, "id")
        connection.execute(select(func.setval(sequence, func.coalesce(largest, 1))))


def upgrade_schema(revision: str | None) -> None:
    """`flask db upgrade` semantics: an older backup works on newer code. A database made
    by `create_all` has no revision; it is stamped if it matches this version's tables."""
    db.session.remove()
    config = alembic_config()
    if revision is None:
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        if diff:
            raise RestoreError(
                "the backup's database has no migration revision and its tables differ from "
                "this version's; restore it with the version that made it"
            )
        alembic_command.stamp(config, "head")
    else:
        alembic_command.upgrade(config, "head")


def alembic_config():
    return current_app.extensions["migrate"].migrate.get_config()


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
    fd, tmp = tempfile.mkstemp(dir=key_file.parent, prefix=".secret_key.")
    with os.fdopen(fd, "wb") as out:  # mkstemp creates it with mode 600
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, key_file)
    current_app.config["SECRET_KEY"] = key.decode().strip()
    return f"secret key restored into {key_file}; sign-ins made before the backup stay valid"


def mark_lost_originals(report: RestoreReport) -> None:
    """Items whose original was not in the backup are failed, as `check --repair` does."""
    storage = current_storage()
    rows = db.session.execute(select(Item.id, Item.sha256).where(Item.status != "failed")).all()
    for item_id, sha in rows:
        if not storage.has_original(sha):
            integrity.mark_lost(item_id, "original-missing")
            report.errors.append(f"item {item_id}: original {sha} is not in the backup")


def requeue_claimed() -> None:
    """Items a backup caught mid-processing belong to no worker here."""
    db.session.execute(
        update(Item)
        .where(Item.status == "processing")
        .values(status="queued", claimed_by=None, lease_until=None)
    )
    db.session.commit()


def reprocess_all(report: RestoreReport, stage: Stage) -> None:
    """Make every item's derived files again (and finish items queued at backup time)."""
    db.session.execute(
        update(Item)
        .where(Item.status == "ready")
        .values(status="queued", attempts=0)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    ids = db.session.scalars(select(Item.id).where(Item.status == "queued").order_by(Item.id)).all()
    worker = f"restore:{os.getpid()}"
    with stage("Making derived files", len(ids)) as advance:
        for item_id in ids:
            status = process_item(item_id, worker, index=False)
            if status != "ready":
                error = db.session.scalar(select(Item.error).where(Item.id == item_id))
                report.errors.append(f"item {item_id}: reprocessing {status}: {error}")
            report.reprocessed += 1
            advance(1)
            db.session.expunge_all()


def rebuild_index(report: RestoreReport, stage: Stage) -> None:
    """The index is rebuilt from the restored rows, so the archive is searchable at once."""
    with stage("Indexing", indexing.count_ready_items()) as advance:
        done = {"n": 0}

        def progress(n: int) -> None:
            advance(n - done["n"])
            done["n"] = n

        try:
            result = indexing.rebuild(progress)
        except FulltextError as exc:
            report.errors.append(f"search index not rebuilt: {exc}")
            return
    report.indexed = result.items
    report.errors += [f"item {i}: left out of the index: {why}" for i, why in result.failed]


def count_rows(report: RestoreReport) -> None:
    for attr, model in (("users", User), ("events", Event), ("items", Item)):
        setattr(report, attr, db.session.scalar(select(func.count()).select_from(model)))


# ---------------------------------------------------------------------------- helpers


@contextmanager
def open_tar(source: Path) -> Iterator[tarfile.TarFile]:
    """The backup as a tar file; errors reading it (not writing elsewhere) become one line."""
    try:
        tar = tarfile.open(source, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise RestoreError(f"{source} is not a readable backup: {exc}") from exc
    try:
        with tar:
            yield tar
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise RestoreError(f"{source} is not a readable backup: {exc}") from exc


def scan_members(source: Path, names: set[str]) -> Iterator[tuple[str, BinaryIO]]:
    """The named members in archive order, reading no further than the last of them
    (looking one up by name would make tarfile read, and unzip, the whole archive)."""
    wanted = set(names)
    with open_tar(source) as tar:
        for info in tar:
            if not wanted:
                return
            if info.name in wanted:
                wanted.discard(info.name)
                with tar.extractfile(info) as member:
                    yield info.name, member


def _member_sha256(tar: tarfile.TarFile, info: tarfile.TarInfo, advance) -> str:
    digest = hashlib.sha256()
    with tar.extractfile(info) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            advance(len(chunk))
    return digest.hexdigest()


def _file_facts(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "size": path.stat().st_size}


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
