"""One run at a time across every process that shares the archive: the run locks.

With PostgreSQL (several machines may share the database) a run lock is a session-level
advisory lock on a connection of its own, held for the run: PostgreSQL drops it when the
holder's connection ends, so a worker killed mid-run, on any machine, leaves nothing
locked. With SQLite (one machine) it is an flock on a file in the instance folder, which the
kernel drops when its holder dies.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from archive.extensions import db
from archive.fileio import LockTimeout, try_lock, wait_for_lock

NAMESPACE = 0x57415243  # "WARC": keeps these keys apart from other users of advisory locks


def lock_key(name: str) -> int:
    """The advisory lock id of a named run lock (stable across processes and versions)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def shared_database() -> bool:
    """Whether the database is a server that processes on other machines may share."""
    return db.engine.dialect.name == "postgresql"


@contextmanager
def run_lock(name: str, wait: bool, timeout: float = 0) -> Iterator[bool]:
    """Hold the lock called `name` for the block; yields whether it was taken (always True
    when `wait`, which raises LockTimeout after `timeout` seconds)."""
    if shared_database():
        with _advisory(name, wait, timeout) as taken:
            yield taken
        return
    path = Path(current_app.instance_path) / f"{name}.lock"
    if wait:
        with wait_for_lock(path, timeout=timeout):
            yield True
    else:
        with try_lock(path) as taken:
            yield taken


@contextmanager
def _advisory(name: str, wait: bool, timeout: float) -> Iterator[bool]:
    ids = {"ns": NAMESPACE, "key": lock_key(name)}
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if wait:
            conn.execute(text(f"SET lock_timeout = {int(timeout * 1000)}"))
            try:
                conn.execute(
                    text("SELECT pg_advisory_lock(:ns, :key)"),
                    ids,
                )
            except OperationalError as exc:
                raise LockTimeout(f"{name}: still locked after {timeout:.0f} s") from exc
            taken = True
        else:
            taken = conn.scalar(
                text("SELECT pg_try_advisory_lock(:ns, :key)"),
                ids,
            )
        try:
            yield bool(taken)
        finally:
            if taken:
                conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :key)"),
                    ids,
                )
