"""A ZIP archive written as a stream of chunks, never held in memory or on disk.

`zipfile` writes to any object with `write` and `flush`; without `tell` it switches to data
descriptors, so the archive can go out to the client while it is being written. Members are
stored, not deflated: slide decks are PDFs, already compressed.
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

CHUNK = 256 * 1024
UNSAFE = re.compile(r'(?:[\\/:*?"<>|]|\.{2,})+')  # separators, "..", what Windows refuses
MAX_NAME = 180


@dataclass(frozen=True)
class ZipMember:
    """One file of the archive: its name inside, how to open it, its size and date."""

    name: str
    open: Callable[[], BinaryIO]
    size: int
    modified: datetime


class _ChunkSink:
    """A write-only file for `zipfile` whose writes are collected and handed on in chunks."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def stream_zip(members: Iterable[ZipMember]) -> Iterator[bytes]:
    """Yield the bytes of a ZIP of `members`, a chunk at a time."""
    sink = _ChunkSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=zip_time(member.modified))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = member.size  # lets zipfile decide on ZIP64 before writing
            info.external_attr = 0o644 << 16
            with member.open() as source, archive.open(info, "w") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """ZIP dates start in 1980."""
    moment = max(moment, datetime(1980, 1, 1))
    return moment.timetuple()[:6]


def member_names(filenames: Iterable[str], suffix: str = ".pdf") -> list[str]:
    """Safe, unique names for the members: no folders, no `..`, no control characters;
    a repeated name gets " (2)", " (3)"... before its extension."""
    taken: set[str] = set()
    names = []
    for filename in filenames:
        name = safe_name(filename, suffix)
        stem, ext = os.path.splitext(name)
        candidate, n = name, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem} ({n}){ext}"
        taken.add(candidate.casefold())
        names.append(candidate)
    return names


def safe_name(filename: str, suffix: str = ".pdf") -> str:
    """One file name that unpacks beside the others, whatever the uploader called it."""
    name = unicodedata.normalize("NFC", filename or "")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = UNSAFE.sub("_", name).strip(" ._")
    if suffix and not name.lower().endswith(suffix):
        name = f"{name or 'presentation'}{suffix}"
    stem, ext = os.path.splitext(name)
    return stem[: MAX_NAME - len(ext)].strip(" .") + ext if len(name) > MAX_NAME else name
