"""The only module that knows the layout of the upload folder.

    originals/ab/cd/<sha256>   every original, once per content, never named by the user
    derived/<item id>/<name>   thumbnails and page images of an item's current version;
                               rebuilt from the originals
    versions/<item id>/<n>/<name>   the same for earlier versions of the item (staff view
                               them), moved here when a newer version becomes current
    tmp/                       partial writes, renamed into place only when complete
    quarantine/<sha256>        originals whose bytes no longer match their name, moved
                               aside by `flask check --repair` for inspection

Originals are written to `tmp/`, fsynced and renamed, so a crash never leaves a half-written
file under a name that is served. Names from users never reach a path: originals are named
by their hash and derived files by item id and a name checked against `DERIVED_NAME`.
A networked store (S3-compatible) would implement the same methods.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from archive.fileio import replace_durably

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
DERIVED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}\.(webp|jpg|png)$")

# The names of derived files, by size: extractors write them, views serve them and checks
# look for them, all through these, so the layout is spelled out here alone.
PHOTO_FILES = {"grid": "grid.webp", "lightbox": "lightbox.jpg"}
PAGE_FILES = {"preview": "preview.jpg", "thumb": "thumb.webp"}


def photo_file(size: str) -> str:
    """Name of a photo's derived image of `size` ("grid" or "lightbox"); KeyError otherwise."""
    return PHOTO_FILES[size]


def page_file(number: int, size: str) -> str:
    """Name of a page's derived image of `size` ("preview" or "thumb"); KeyError otherwise."""
    return f"page-{number:04d}-{PAGE_FILES[size]}"


def mime_of_derived(name: str) -> str:
    """The content type of a derived file, from the extensions `DERIVED_NAME` allows."""
    types = {
        "webp": "image/webp",
        "jpg": "image/jpeg",
        "png": "image/png",
        "json": "application/json",
    }
    return types[name.rsplit(".", 1)[1]]


class StorageError(Exception):
    """The upload folder cannot be used (missing, unwritable, or a name is not allowed)."""


class TooBig(StorageError):
    """A stream exceeded the size allowed for one file."""


@dataclass(frozen=True)
class StoredOriginal:
    sha256: str
    size: int
    created: bool  # False when the same content was already stored


@dataclass(frozen=True)
class TempEntry:
    """A file or folder left in tmp/ (a partial upload, a staging folder)."""

    name: str
    age_s: float


class LocalStorage:
    """Originals and derived files in a folder on the local disk."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.originals = self.root / "originals"
        self.derived = self.root / "derived"
        self.versions = self.root / "versions"
        self.tmp = self.root / "tmp"
        self.quarantine = self.root / "quarantine"

    def ensure_layout(self) -> None:
        """Create the folders and prove they are writable, naming the path when not."""
        for folder in (self.originals, self.derived, self.versions, self.tmp):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
                    pass
            except OSError as exc:
                raise StorageError(f"cannot write to {folder}: {exc.strerror or exc}") from exc

    # originals

    def store_original(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredOriginal:
        """Copy a stream into the store by content; storing the same bytes twice is a no-op."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooBig(f"larger than the limit of {max_bytes // (1024 * 1024)} MB")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self._original_path(sha)
            if target.exists():
                return StoredOriginal(sha, size, created=False)
            target.parent.mkdir(parents=True, exist_ok=True)
            replace_durably(tmp_name, target)
            return StoredOriginal(sha, size, created=True)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def has_original(self, sha256: str) -> bool:
        return self._original_path(sha256).is_file()

    def open_original(self, sha256: str) -> BinaryIO:
        return self._original_path(sha256).open("rb")

    @contextmanager
    def original_file(self, sha256: str) -> Iterator[Path]:
        """A local path to the original for extractors that need one (a remote store would
        download to a temporary file here)."""
        path = self._original_path(sha256)
        if not path.is_file():
            raise StorageError(f"original {sha256} is missing from {self.originals}")
        yield path

    def delete_original(self, sha256: str) -> None:
        self._original_path(sha256).unlink(missing_ok=True)

    def iter_originals(self) -> Iterator[str]:
        """Every stored original's hash (for integrity checks and backups); files with other
        names, or in the wrong folder, are not originals and are skipped."""
        for path in sorted(self.originals.glob("*/*/*")):
            name = path.name
            if SHA256_RE.match(name) and path == self.originals / name[:2] / name[2:4] / name:
                yield name

    def original_age_s(self, sha256: str) -> float:
        """Seconds since the original was written (to leave fresh uploads alone)."""
        return time.time() - self._original_path(sha256).stat().st_mtime

    def quarantine_original(self, sha256: str) -> str:
        """Move a damaged original out of the store (kept for inspection); returns where to."""
        self.quarantine.mkdir(parents=True, exist_ok=True)
        target = self.quarantine / sha256
        os.replace(self._original_path(sha256), target)
        return str(target)

    def hash_original(self, sha256: str) -> str:
        """Recompute the SHA-256 of a stored original."""
        digest = hashlib.sha256()
        with self.open_original(sha256) as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def _original_path(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise StorageError(f"not a SHA-256 name: {sha256!r}")
        return self.originals / sha256[:2] / sha256[2:4] / sha256

    # derived files

    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        """A private folder under tmp/ for one item's derived files; removed afterwards."""
        path = Path(tempfile.mkdtemp(dir=self.tmp, prefix="derived-"))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def publish_derived(self, item_id: int, staged: Path) -> None:
        """Replace an item's derived files with the staged ones, all at once."""
        self._publish(self._derived_dir(item_id), staged)

    def _publish(self, target: Path, staged: Path) -> None:
        for child in staged.iterdir():
            if not DERIVED_NAME.match(child.name):
                raise StorageError(f"derived file name not allowed: {child.name!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=self.tmp, prefix="old-")) / "d"
            os.replace(target, old)
        os.replace(staged, target)
        if old is not None:
            shutil.rmtree(old.parent, ignore_errors=True)

    def derived_file(self, item_id: int, name: str) -> Path | None:
        """Path of one derived file, or None when it does not exist or the name is not ours."""
        if not DERIVED_NAME.match(name):
            return None
        path = self._derived_dir(item_id) / name
        return path if path.is_file() else None

    def delete_derived(self, item_id: int) -> None:
        """Remove the derived files of an item's current version."""
        shutil.rmtree(self._derived_dir(item_id), ignore_errors=True)

    def delete_all_derived(self, item_id: int) -> None:
        """Remove every derived file of a deleted item, those of earlier versions included."""
        self.delete_derived(item_id)
        shutil.rmtree(self.versions / str(int(item_id)), ignore_errors=True)

    def iter_derived_item_ids(self) -> Iterator[int]:
        for path in self.derived.iterdir():
            if path.is_dir() and path.name.isdigit():
                yield int(path.name)

    def derived_names(self, item_id: int) -> set[str] | None:
        """Names of an item's derived files, or None when it has no derived folder at all."""
        try:
            return {p.name for p in self._derived_dir(item_id).iterdir() if p.is_file()}
        except (FileNotFoundError, NotADirectoryError):
            return None

    # derived files of earlier versions

    def retire_derived(self, item_id: int, number: int) -> None:
        """Keep the current derived files as those of version `number`, which a newer
        version is about to replace (a rename: nothing is copied)."""
        source = self._derived_dir(item_id)
        if source.is_dir():
            target = self._version_dir(item_id, number)
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)

    def reinstate_derived(self, item_id: int, number: int) -> None:
        """Undo `retire_derived`: version `number`'s files become the current ones again."""
        source = self._version_dir(item_id, number)
        if source.is_dir():
            self.delete_derived(item_id)
            os.replace(source, self._derived_dir(item_id))

    def publish_version_derived(self, item_id: int, number: int, staged: Path) -> None:
        """Replace the derived files of an earlier version with the staged ones."""
        self._publish(self._version_dir(item_id, number), staged)

    def version_derived_file(self, item_id: int, number: int, name: str) -> Path | None:
        """Path of one derived file of an earlier version, or None (missing, or not our name)."""
        if not DERIVED_NAME.match(name):
            return None
        path = self._version_dir(item_id, number) / name
        return path if path.is_file() else None

    def version_derived_names(self, item_id: int, number: int) -> set[str] | None:
        """Names of an earlier version's derived files, or None when it has no folder."""
        try:
            return {p.name for p in self._version_dir(item_id, number).iterdir() if p.is_file()}
        except (FileNotFoundError, NotADirectoryError):
            return None

    def delete_version_derived(self, item_id: int, number: int) -> None:
        shutil.rmtree(self._version_dir(item_id, number), ignore_errors=True)

    def iter_version_folders(self) -> Iterator[tuple[int, int]]:
        """(item id, version number) of every earlier version's derived folder."""
        for item_dir in sorted(self.versions.glob("*")):
            if item_dir.is_dir() and item_dir.name.isdigit():
                for folder in sorted(item_dir.iterdir()):
                    if folder.is_dir() and folder.name.isdigit():
                        yield int(item_dir.name), int(folder.name)

    def _version_dir(self, item_id: int, number: int) -> Path:
        return self.versions / str(int(item_id)) / str(int(number))

    # temporary files

    def stale_temp_entries(self, older_than_s: float) -> list[TempEntry]:
        """Entries of tmp/ untouched for longer than `older_than_s` (left by a crash)."""
        now = time.time()
        entries = []
        for path in sorted(self.tmp.iterdir()):
            try:
                age = now - _newest_mtime(path)
            except FileNotFoundError:  # finished and removed while we looked
                continue
            if age > older_than_s:
                entries.append(TempEntry(path.name, age))
        return entries

    def remove_temp(self, name: str) -> None:
        """Remove one entry of tmp/ by name (a file or a whole staging folder)."""
        if "/" in name or name in ("", ".", ".."):
            raise StorageError(f"not a name in {self.tmp}: {name!r}")
        path = self.tmp / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)

    def remove_stale_temp(self, older_than_s: float) -> list[str]:
        """Delete what killed processes left in tmp/ (partial uploads, staging folders) once
        it is older than any live write or extraction can be; return the names removed."""
        removed = []
        for entry in self.stale_temp_entries(older_than_s):
            try:
                self.remove_temp(entry.name)
            except OSError as exc:
                logger.warning("could not remove %s from %s: %s", entry.name, self.tmp, exc)
                continue
            removed.append(entry.name)
        return removed

    def _derived_dir(self, item_id: int) -> Path:
        return self.derived / str(int(item_id))

    def usage_bytes(self) -> dict[str, int]:
        """Bytes used by originals and by derived files."""
        return {
            "originals": _folder_size(self.originals),
            "derived": _folder_size(self.derived) + _folder_size(self.versions),
        }


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _newest_mtime(path: Path) -> float:
    """A folder counts as touched when anything inside it was (a long extraction writes
    page images into its staging folder one by one)."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for child in path.rglob("*"):
            try:
                newest = max(newest, child.lstat().st_mtime)
            except FileNotFoundError:
                continue
    return newest
