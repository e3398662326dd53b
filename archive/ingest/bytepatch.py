"""Byte patches over a file: find offsets with `Source`, read the patched copy with
`PatchedReader` (a read-only, seekable file that streams the original with the patches
applied, so a changed copy never has to be written anywhere)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO


class NotUnderstood(ValueError):
    """The file's structure could not be followed, so its location cannot be removed."""


@dataclass(frozen=True)
class Patch:
    """Bytes to write over the original at `offset` (same length: the file keeps its size)."""

    offset: int
    data: bytes


class Source:
    """Random access to a seekable file, bounds-checked."""

    def __init__(self, fh: BinaryIO):
        self.fh = fh
        fh.seek(0, 2)
        self.size = fh.tell()

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise NotUnderstood(f"a structure points outside the file (at {offset})")
        self.fh.seek(offset)
        return self.fh.read(length)


def apply(data: bytes, patches: list[Patch], offset: int = 0) -> bytes:
    """`data` (which starts at `offset` in the file) with the patches that fall in it."""
    buffer = bytearray(data)
    for patch in patches:
        start = max(patch.offset, offset)
        stop = min(patch.offset + len(patch.data), offset + len(data))
        if start < stop:
            buffer[start - offset : stop - offset] = patch.data[
                start - patch.offset : stop - patch.offset
            ]
    return bytes(buffer)


class PatchedReader(io.RawIOBase):
    """A read-only, seekable file that is the original with patches applied, read in
    chunks; closing it closes the original."""

    def __init__(self, fh: BinaryIO, patches: list[Patch]):
        super().__init__()
        self.fh = fh
        self.patches = sorted(patches, key=lambda p: p.offset)
        fh.seek(0, 2)
        self.size = fh.tell()
        self.position = 0

    def readinto(self, buffer) -> int:
        self.fh.seek(self.position)
        data = apply(self.fh.read(len(buffer)), self.patches, self.position)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self.fh.close()
        super().close()
