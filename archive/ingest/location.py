"""A copy of a photo without its GPS position, for everyone but staff.

Originals are kept byte for byte; a partner's or researcher's download gets this copy. The
position is blanked in place, never re-encoded: the EXIF GPS directory (in JPEG APP1, PNG
eXIf, WebP EXIF, TIFF, and the Exif item of HEIC/HEIF) becomes an empty directory with its
values zeroed, and GPS properties of XMP packets (`exif:GPSLatitude`, `drone-dji:GpsLongitude`
...) become spaces of the same length. Nothing moves, so every offset and chunk length stays
valid and the pixels are untouched; only PNG chunk checksums are recomputed.

Anything that cannot be read with certainty (a broken EXIF directory, a compressed PNG text
chunk holding XMP) raises `LocationError`: the caller refuses the download rather than send
a position. Standard library only.
"""

from __future__ import annotations

import re
import struct
import zlib

TIFF_HEADERS = (b"II*\x00", b"MM\x00*")
EXIF_PREFIX = b"Exif\x00\x00"
TAG_GPS_IFD, TAG_EXIF_IFD = 0x8825, 0x8769
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
MAX_IFDS = 16  # directories followed per EXIF block; real files have 2 or 3
XMP_START, XMP_END = b"<x:xmpmeta", b"</x:xmpmeta>"
# A GPS property as an element (<exif:GPSLatitude>...</exif:GPSLatitude>) or an attribute.
XMP_GPS_ELEMENT = re.compile(rb"<([\w.-]+:gps[\w.-]*)\b[^>]*?(?:/>|>.*?</\1\s*>)", re.I | re.S)
XMP_GPS_ATTRIBUTE = re.compile(rb"\s[\w.-]+:gps[\w.-]*\s*=\s*(?:\"[^\"]*\"|'[^']*')", re.I)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9


class LocationError(ValueError):
    """The photo's metadata could not be read with certainty; its position may remain."""


def without_location(data: bytes) -> bytes:
    """The photo's bytes with every GPS position blanked (unchanged if it has none)."""
    out = bytearray(data)
    for start in tiff_blocks(out):
        blank_gps(out, start)
    blank_xmp_gps(out)
    if out.startswith(PNG_SIGNATURE):
        fix_png_checksums(out)
    return bytes(out)


# ---------------------------------------------------------------------------- where EXIF is


def tiff_blocks(data: bytearray) -> list[int]:
    """Offsets of the EXIF (TIFF-structured) blocks of a JPEG, PNG, WebP, TIFF or HEIF file."""
    if data.startswith(b"\xff\xd8"):
        return jpeg_exif(data)
    if data.startswith(PNG_SIGNATURE):
        return [start for kind, start, _ in png_chunks(data) if kind == b"eXIf"]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return [skip_exif_prefix(data, s) for kind, s, _ in riff_chunks(data) if kind == b"EXIF"]
    if data[:4] in TIFF_HEADERS:
        return [0]
    return [m.end() for m in re.finditer(re.escape(EXIF_PREFIX) + b"(?=II\\*\x00|MM\x00\\*)", data)]


def jpeg_exif(data: bytearray) -> list[int]:
    """TIFF offsets of a JPEG's APP1 Exif segments; segments are read up to the image data."""
    found, pos = [], 2
    while True:
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise LocationError("the JPEG's segments cannot be followed")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (JPEG_SOS, JPEG_EOI):
            return found
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        body = pos + 4
        if marker == 0xE1 and data[body : body + 6] == EXIF_PREFIX:
            found.append(body + 6)
        pos += 2 + length


def png_chunks(data: bytearray) -> list[tuple[bytes, int, int]]:
    """(type, data offset, data length) of every chunk of a PNG file."""
    chunks, pos = [], len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = bytes(data[pos + 4 : pos + 8])
        if pos + 12 + length > len(data):
            raise LocationError("a PNG chunk runs past the end of the file")
        chunks.append((kind, pos + 8, length))
        pos += 12 + length
        if kind == b"IEND":
            break
    return chunks


def riff_chunks(data: bytearray) -> list[tuple[bytes, int, int]]:
    """(type, data offset, data length) of the top-level chunks of a WebP file."""
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        kind = bytes(data[pos : pos + 4])
        length = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks.append((kind, pos + 8, length))
        pos += 8 + length + (length & 1)
    return chunks


def skip_exif_prefix(data: bytearray, start: int) -> int:
    return start + 6 if data[start : start + 6] == EXIF_PREFIX else start


# ---------------------------------------------------------------------------- blanking


def blank_gps(data: bytearray, base: int) -> None:
    """Empty every GPS directory of the TIFF structure at `base`, zeroing its values."""
    if bytes(data[base : base + 4]) not in TIFF_HEADERS:
        raise LocationError("an EXIF block does not start with a TIFF header")
    order = "<" if data[base : base + 2] == b"II" else ">"
    first = read(data, base + 4, order + "I")
    todo, seen = [first], set()
    while todo:
        offset = todo.pop()
        if offset == 0 or offset in seen:
            continue
        if len(seen) >= MAX_IFDS:
            raise LocationError("an EXIF block has too many directories")
        seen.add(offset)
        for tag, value, _entry in ifd_entries(data, base, offset, order):
            if tag == TAG_GPS_IFD:
                empty_ifd(data, base, value, order)
            elif tag == TAG_EXIF_IFD:
                todo.append(value)
        count = read(data, base + offset, order + "H")
        todo.append(read(data, base + offset + 2 + 12 * count, order + "I"))


def ifd_entries(data: bytearray, base: int, offset: int, order: str):
    """(tag, first LONG of the value field, entry offset) of each entry of a directory."""
    count = read(data, base + offset, order + "H")
    for n in range(count):
        entry = base + offset + 2 + 12 * n
        tag = read(data, entry, order + "H")
        yield tag, read(data, entry + 8, order + "I"), entry


def empty_ifd(data: bytearray, base: int, offset: int, order: str) -> None:
    """Zero a directory's out-of-line values and entries, and make its entry count 0."""
    count = read(data, base + offset, order + "H")
    for _tag, value, entry in ifd_entries(data, base, offset, order):
        kind, number = read(data, entry + 2, order + "H"), read(data, entry + 4, order + "I")
        size = TYPE_SIZES.get(kind, 1) * number
        if size > 4:
            start = base + value
            if start + size > len(data):
                raise LocationError("a GPS value lies outside its EXIF block")
            data[start : start + size] = bytes(size)
    table = base + offset + 2
    data[table : table + 12 * count] = bytes(12 * count)
    data[base + offset : base + offset + 2] = struct.pack(order + "H", 0)


def read(data: bytearray, offset: int, fmt: str) -> int:
    size = struct.calcsize(fmt)
    if offset < 0 or offset + size > len(data):
        raise LocationError("an EXIF directory points outside the file")
    return struct.unpack(fmt, data[offset : offset + size])[0]


def blank_xmp_gps(data: bytearray) -> None:
    """Replace GPS properties inside every XMP packet with spaces of the same length."""
    pos = 0
    while (start := data.find(XMP_START, pos)) >= 0:
        end = data.find(XMP_END, start)
        if end < 0:
            raise LocationError("an XMP packet has no end")
        packet = bytes(data[start:end])
        for pattern in (XMP_GPS_ELEMENT, XMP_GPS_ATTRIBUTE):
            packet = pattern.sub(lambda m: b" " * len(m.group(0)), packet)
        data[start:end] = packet
        pos = end + len(XMP_END)
    if data.startswith(PNG_SIGNATURE):
        refuse_hidden_png_metadata(data)


def refuse_hidden_png_metadata(data: bytearray) -> None:
    """XMP in a compressed PNG text chunk, or EXIF written as hex text ("Raw profile type
    exif", as ImageMagick does), cannot be blanked in place: refuse rather than guess."""
    for kind, start, length in png_chunks(data):
        if kind not in (b"tEXt", b"zTXt", b"iTXt"):
            continue
        keyword, _, rest = bytes(data[start : start + length]).partition(b"\x00")
        compressed = kind == b"zTXt" or (kind == b"iTXt" and rest[:1] == b"\x01")
        if keyword.startswith(b"Raw profile type") or (compressed and b"xmp" in keyword.lower()):
            raise LocationError(f"PNG metadata in a {kind.decode()} chunk cannot be cleaned")


def fix_png_checksums(data: bytearray) -> None:
    """Recompute every PNG chunk's CRC after in-place changes."""
    for _, start, length in png_chunks(data):
        crc = zlib.crc32(data[start - 4 : start + length]) & 0xFFFFFFFF
        data[start + length : start + length + 4] = struct.pack(">I", crc)
