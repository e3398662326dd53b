"""The database side of backup and restore: a copy taken at one instant, and its load.

A backup copies SQLite with its online backup API (a real database file), and any other
database (or SQLite with --portable) as JSON lines, every table read in one repeatable-read
transaction, so the copy is consistent while uploads go on. A restore swaps in the SQLite
file or recreates the backup's schema revision and loads the rows with their types, then
upgrades the schema to this version's, so that an older backup works on newer code.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import tempfile
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
)
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import column, table

from archive.backup.format import (
    CHUNK,
    SQLITE_MEMBER,
    HashingReader,
    RestoreError,
    Snapshot,
    scan_members,
)
from archive.extensions import db
from archive.fileio import replace_durably

INSERT_BATCH = 500


# ---------------------------------------------------------------------------- dump


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
    """(originals referred to by any item or version, row counts, Alembic revision) of a
    database of any schema version."""
    items = table("items", column("id"), column("sha256"))
    rows = connection.execute(select(items.c.id, items.c.sha256))
    originals = {sha: item_id for item_id, sha in rows}
    if inspect(connection).has_table("item_versions"):  # every version's file, not only current
        versions = table("item_versions", column("item_id"), column("sha256"))
        for item_id, sha in connection.execute(select(versions.c.item_id, versions.c.sha256)):
            originals.setdefault(sha, item_id)
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
    """A column value JSON cannot hold, as text: dates and times, decimals, bytes (base64)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


# ---------------------------------------------------------------------------- load


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
    """The backup's database in place of this one: the SQLite file, or the rows loaded."""
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
        replace_durably(tmp, target)
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
    """One table's JSON lines, inserted in batches with values converted to column types."""
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
    """This app's Alembic configuration, as Flask-Migrate builds it for `flask db`."""
    return current_app.extensions["migrate"].migrate.get_config()
