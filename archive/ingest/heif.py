"""Where a HEIF/HEIC file keeps its EXIF: the items of type `Exif` in its `meta` box
(`iinf` names the items, `iloc` says where their bytes are)."""

from __future__ import annotations

import struct

from archive.ingest.bytepatch import NotUnderstood, Source


def heif_exif_items(source: Source) -> list[tuple[int, int]]:
    """(offset, length) in the file of every item of type Exif."""
    meta = next((box for box in boxes(source, 0, source.size) if box[0] == b"meta"), None)
    if meta is None:
        return []
    children = {kind: (start, end) for kind, start, end in boxes(source, meta[1] + 4, meta[2])}
    if b"iinf" not in children or b"iloc" not in children:
        return []
    exif_ids = heif_exif_ids(source, *children[b"iinf"])
    idat = children.get(b"idat", (0, 0))[0]
    return [
        loc
        for item_id, loc in heif_locations(source, *children[b"iloc"], idat)
        if item_id in exif_ids
    ]


def boxes(source: Source, start: int, end: int):
    """(type, payload start, box end) of the boxes between `start` and `end`."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", source.read(position, 8))
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", source.read(position + 8, 8))
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise NotUnderstood(f"a HEIF box ({kind!r}) runs past its parent")
        yield kind, position + header, position + size
        position += size


def heif_exif_ids(source: Source, start: int, end: int) -> set[int]:
    version = source.read(start, 1)[0]
    count_size = 2 if version == 0 else 4
    ids = set()
    for kind, payload, _end in boxes(source, start + 4 + count_size, end):
        if kind != b"infe" or source.read(payload, 1)[0] < 2:
            continue
        id_size = 2 if source.read(payload, 1)[0] == 2 else 4
        item_id = int.from_bytes(source.read(payload + 4, id_size), "big")
        if source.read(payload + 4 + id_size + 2, 4) == b"Exif":
            ids.add(item_id)
    return ids


def heif_locations(source: Source, start: int, end: int, idat: int):
    """(item id, (offset, length)) from an `iloc` box, for single-extent items."""
    reader = FieldReader(source, start, end)
    version = reader.int(1)
    reader.int(3)
    offset_size, length_size = divmod(reader.int(1), 16)
    base_size, index_size = divmod(reader.int(1), 16)
    for _ in range(reader.int(2 if version < 2 else 4)):
        item_id = reader.int(2 if version < 2 else 4)
        method = reader.int(2) & 0xF if version in (1, 2) else 0
        reader.int(2)
        base = reader.int(base_size)
        extents = []
        for _ in range(reader.int(2)):
            if version in (1, 2) and index_size:
                reader.int(index_size)
            extents.append((reader.int(offset_size), reader.int(length_size)))
        if len(extents) == 1 and method in (0, 1):
            extent_offset, length = extents[0]
            yield item_id, ((idat if method == 1 else 0) + base + extent_offset, length)
        elif method == 0 and len(extents) > 1:
            raise NotUnderstood("a HEIF item is split into several extents")


class FieldReader:
    """Big-endian integers of any byte width, read one after another."""

    def __init__(self, source: Source, start: int, end: int):
        self.source, self.position, self.end = source, start, end

    def int(self, width: int) -> int:
        if self.position + width > self.end:
            raise NotUnderstood("a HEIF box is shorter than its fields")
        value = int.from_bytes(self.source.read(self.position, width), "big") if width else 0
        self.position += width
        return value
