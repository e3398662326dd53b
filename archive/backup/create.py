"""Making a backup while the service runs: copy the database, check the originals, write.

The database copy is taken first and decides which originals belong in the backup, so
uploads that arrive meanwhile are simply not part of it. Each original is hashed before it
is written (a damaged one is left out and reported) and again as it is written. The file is
written beside its target under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from archive.backup.database import snapshot_database
from archive.backup.format import (
    MANIFEST,
    SECRET_FILE,
    SECRET_MEMBER,
    BackupError,
    HashingReader,
    Snapshot,
    Stage,
    add_bytes,
    add_file,
    archive_compression,
    build_manifest,
    file_facts,
    member_info,
    no_progress,
)
from archive.fileio import replace_durably
from archive.services import current_storage

logger = logging.getLogger(__name__)


@dataclass
class BackupReport:
    """What `backup_archive` wrote, and the originals it had to leave out (`errors`)."""

    path: str
    database_format: str
    items: int = 0
    originals: int = 0
    bytes: int = 0
    errors: list[str] = field(default_factory=list)


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
        replace_durably(partial, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.bytes = target.stat().st_size
    logger.info("backup written to %s: %d originals", target, report.originals)
    return report


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
    members = {name: file_facts(file) for name, file in snapshot.files}
    key_file = Path(current_app.instance_path) / SECRET_FILE
    if key_file.is_file():
        members[SECRET_MEMBER] = file_facts(key_file)
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


def add_originals(tar: tarfile.TarFile, originals: dict[str, int], stage: Stage) -> None:
    storage = current_storage()
    with stage("Writing originals", len(originals)) as advance:
        for sha, size in sorted(originals.items()):
            with storage.open_original(sha) as fh:
                reader = HashingReader(fh)
                tar.addfile(member_info(f"originals/{sha}", size, 0o644), reader)
            if reader.hexdigest() != sha:
                raise BackupError(f"original {sha} changed while it was being copied")
            advance(1)
