"""The backup file's format: member names, the manifest, and reading and writing tar members.

A backup is one tar file (plain or gzip). Members, in this order::

    manifest.json              first: format, versions, counts, SHA-256 of every member
    database/archive.sqlite3   SQLite: a consistent copy from SQLite's online backup API
    database/<table>.jsonl     other databases (or --portable): one JSON object per row,
                               all tables read in one repeatable-read transaction
    instance/secret_key        the instance folder's key, when the instance has one
    originals/<sha256>         exactly the originals the copied database refers to

A reader trusts nothing in the file: `verify_archive` accepts only these names, regular
files, and bytes that match the manifest, before a restore touches anything. The errors and
the progress-stage type live here because every step of backup and restore uses them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archive.extensions import db
from archive.models.common import utcnow
from archive.services import current_index
from archive.version import __version__

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
SUFFIXES = {".tar": "", ".tar.gz": "gz", ".tgz": "gz"}

# A progress stage: called with a label and a total, it gives `advance(n)` for the block.
Stage = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def no_progress(_label: str, _total: int) -> Iterator[Callable[[int], None]]:
    """A stage that shows nothing, for callers without a progress bar."""
    yield lambda _n: None


class BackupError(Exception):
    """A backup could not be written; the message names the path and the reason."""


class RestoreError(Exception):
    """A restore was refused or failed; the message says why and what to do."""


@dataclass
class Snapshot:
    """The database copy inside the backup's work folder, and what it refers to."""

    format: str  # "sqlite" or "jsonl"
    files: list[tuple[str, Path]]  # (member name, file)
    originals: dict[str, int]  # sha256 -> item id
    counts: dict[str, int]
    revision: str | None


# ---------------------------------------------------------------------------- writing


def archive_compression(target: Path) -> str:
    """The tarfile compression that the backup file name asks for ("" or "gz")."""
    for suffix, compression in SUFFIXES.items():
        if target.name.endswith(suffix):
            return compression
    raise BackupError(f"{target}: the backup file name must end in .tar, .tar.gz or .tgz")


def build_manifest(snapshot: Snapshot, originals, members, errors) -> dict:
    """The first member: what the backup holds, with a SHA-256 for every other member."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": utcnow().isoformat(timespec="seconds") + "Z",
        "app_version": __version__,
        "index_schema_version": current_index().stats().schema_version,
        "alembic_revision": snapshot.revision,
        "database": {"format": snapshot.format, "dialect": db.engine.url.get_backend_name()},
        "counts": snapshot.counts,
        "originals": [{"sha256": sha, "size": size} for sha, size in sorted(originals.items())],
        "members": members,
        "errors": errors,
    }


def add_file(tar: tarfile.TarFile, name: str, file: Path) -> None:
    """A file as a member readable by its owner alone (database and key hold secrets)."""
    with file.open("rb") as fh:
        tar.addfile(member_info(name, os.fstat(fh.fileno()).st_size, 0o600), fh)


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """Bytes as a member readable by its owner alone."""
    tar.addfile(member_info(name, len(data), 0o600), io.BytesIO(data))


def member_info(name: str, size: int, mode: int) -> tarfile.TarInfo:
    """The header of a regular-file member, stamped with the time of writing."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, int(utcnow().timestamp())
    return info


def file_facts(path: Path) -> dict:
    """The manifest entry of a file: its SHA-256 and size."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "size": path.stat().st_size}


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


# ---------------------------------------------------------------------------- reading


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


def _member_sha256(tar: tarfile.TarFile, info: tarfile.TarInfo, advance) -> str:
    digest = hashlib.sha256()
    with tar.extractfile(info) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            advance(len(chunk))
    return digest.hexdigest()
