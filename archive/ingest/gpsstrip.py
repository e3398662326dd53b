"""Where a photo file keeps its location, and a copy of it without: byte patches, no decoding.

Cameras and phones write the position into EXIF's GPS directory; editors copy it into XMP.
`location_patches()` finds those bytes in a JPEG (MPO and Ultra HDR included: every embedded
EXIF block), PNG, WebP, TIFF, HEIC/HEIF or GIF, and returns `Patch`es that overwrite them in
place: the GPS directory keeps only its version tag and its values are zeroed; an XMP
packet that mentions GPS becomes an empty packet (others, which may hold the orientation or
an HDR gain map's parameters, are kept). The copy has the original's length and every
other byte (orientation, camera, colour profile, pixels), so it streams from the original
at once. A file whose structure is not understood raises `NotUnderstood`: the caller must
not send the original. Pure bytes on purpose: nothing here decodes an image
(`photos.open_without_gps` adds a check with Pillow).
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import BinaryIO

from archive.ingest.bytepatch import NotUnderstood, Patch, Source, apply
from archive.ingest.heif import heif_exif_items

SCAN_CHUNK = 1024 * 1024
TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
TAG_GPS_IFD, TAG_XMP = 0x8825, 700
# A GPS directory that says nothing: only GPSVersionID 2.2.0.0 (BYTE x 4, stored inline).
EMPTY_GPS_ENTRY = (0, 1, 4, b"\x02\x02\x00\x00")
XMP_NAMESPACE = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"
APP1_ANY = re.compile(
    rb"\xff\xe1..(?:Exif\x00\x00|"
    + re.escape(XMP_NAMESPACE)
    + b"|"
    + re.escape(XMP_EXTENSION)
    + b")",
    re.DOTALL,
)
EXTENSION_HEADER = 32 + 4 + 4  # GUID, full length, offset of this part
EMPTY_PACKET_HEAD = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
EMPTY_PACKET_TAIL = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/><?xpacket end="w"?>'
GPS_MARK = b"GPS"  # exif:GPSLatitude, GPSLongitude, GPSCoordinates... in any XMP schema
XMP_START = re.compile(rb"<x:xmpmeta|<rdf:RDF")
XMP_ENDS = {b"<x:xmpmeta": b"</x:xmpmeta>", b"<rdf:RDF": b"</rdf:RDF>"}
MAX_XMP = 16 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_TEXT_KEYS = {
    b"XML:com.adobe.xmp",
    b"Raw profile type xmp",
    b"Raw profile type exif",
    b"Raw profile type APP1",
}


def location_patches(fh: BinaryIO, mime: str) -> list[Patch]:
    """The patches that remove GPS positions and XMP from a photo file of type `mime`."""
    source = Source(fh)
    readers = {
        "image/jpeg": jpeg_patches,
        "image/png": png_patches,
        "image/webp": webp_patches,
        "image/tiff": tiff_file_patches,
        "image/heic": heif_patches,
        "image/heif": heif_patches,
        "image/gif": xmp_patches,
    }
    if mime not in readers:
        raise NotUnderstood(f"no reader for {mime}")
    return readers[mime](source)


# ---------------------------------------------------------------------------- EXIF (TIFF)


def tiff_gps_patches(source: Source, base: int, size: int) -> list[Patch]:
    """Empty the GPS directory of the TIFF structure at `base` (`size` bytes long)."""
    head = source.read(base, 8)
    order = {b"II": "<", b"MM": ">"}.get(head[:2])
    if order is None or struct.unpack(order + "H", head[2:4])[0] != 42:
        raise NotUnderstood("not an EXIF (TIFF) structure")
    patches, ifd, seen = [], struct.unpack(order + "I", head[4:8])[0], set()
    for _ in range(2):  # IFD0 holds the GPS pointer; IFD1 (the thumbnail) should not
        if ifd == 0 or ifd in seen:
            break
        seen.add(ifd)
        entries, ifd = read_ifd(source, base, size, order, ifd)
        for tag, _typ, _count, value in entries:
            if tag == TAG_GPS_IFD:
                patches += empty_gps_ifd(
                    source, base, size, order, struct.unpack(order + "I", value)[0]
                )
    return patches


def read_ifd(source: Source, base: int, size: int, order: str, offset: int):
    """(entries, next IFD offset) of one directory; entries as (tag, type, count, value)."""
    if offset + 2 > size:
        raise NotUnderstood("an EXIF directory lies outside its block")
    (count,) = struct.unpack(order + "H", source.read(base + offset, 2))
    end = offset + 2 + 12 * count
    if end + 4 > size:
        raise NotUnderstood("an EXIF directory runs past its block")
    raw = source.read(base + offset + 2, 12 * count + 4)
    entries = [struct.unpack(order + "HHI4s", raw[i * 12 : i * 12 + 12]) for i in range(count)]
    return entries, struct.unpack(order + "I", raw[-4:])[0]


def empty_gps_ifd(source: Source, base: int, size: int, order: str, offset: int) -> list[Patch]:
    """Zero every GPS value and leave the directory with its version tag alone."""
    entries, _next = read_ifd(source, base, size, order, offset)
    if not entries:
        return []
    patches = []
    for _tag, typ, count, value in entries:
        length = TIFF_TYPE_SIZES.get(typ, 1) * count
        if length > 4:
            start = struct.unpack(order + "I", value)[0]
            if start + length > size:
                raise NotUnderstood("a GPS value lies outside its block")
            patches.append(Patch(base + start, bytes(length)))
    tag, typ, count, inline = EMPTY_GPS_ENTRY
    directory = struct.pack(order + "HHHI4s", 1, tag, typ, count, inline)
    directory += bytes(12 * (len(entries) - 1) + 4)  # the other entries and the next pointer
    patches.append(Patch(base + offset, directory))
    return patches


# ---------------------------------------------------------------------------- XMP


def xmp_patches(source: Source) -> list[Patch]:
    """Blank every XMP packet (`<x:xmpmeta>` or bare `<rdf:RDF>`) that mentions GPS, with
    spaces: WebP and HEIF chunks, TIFF tags and GIF extensions hold XMP whole and
    uncompressed (JPEG splits long XMP across segments: see `jpeg_patches`)."""
    patches, position = [], 0
    while (found := scan(source, XMP_START, position)) is not None:
        start, opening = found
        end_tag = XMP_ENDS[opening]
        window = source.read(start, min(MAX_XMP, source.size - start))
        end = window.find(end_tag)
        if end < 0:
            raise NotUnderstood("an XMP packet has no end")
        length = end + len(end_tag)
        if GPS_MARK in window[:length]:
            patches.append(Patch(start, b" " * length))
        position = start + length
    return patches


def empty_packet(length: int) -> bytes:
    """A valid empty XMP packet of exactly `length` bytes (whitespace pads it inside)."""
    padding = length - len(EMPTY_PACKET_HEAD) - len(EMPTY_PACKET_TAIL)
    if padding < 0:
        return b" " * length
    return EMPTY_PACKET_HEAD + b" " * padding + EMPTY_PACKET_TAIL


def scan(source: Source, pattern: re.Pattern, position: int):
    """The next (offset, match's first group or whole match) of `pattern` from `position`,
    reading in overlapping chunks so that nothing is held whole."""
    overlap = 64
    while position < source.size:
        chunk = source.read(position, min(SCAN_CHUNK + overlap, source.size - position))
        match = pattern.search(chunk)
        if match is not None:
            return position + match.start(), match.group(0)
        if position + len(chunk) >= source.size:
            return None
        position += SCAN_CHUNK
    return None


# ---------------------------------------------------------------------------- containers


def jpeg_patches(source: Source) -> list[Patch]:
    """In one pass over the file: every APP1 EXIF block (the main image's, and those of the
    further images an MPO or Ultra HDR file carries after it), and the XMP segments, which
    are emptied when any of them mentions GPS (a long packet is split across "extension"
    segments whose headers must stay)."""
    patches, segments, position = [], [], 0
    while (found := scan(source, APP1_ANY, position)) is not None:
        start, header = found
        (length,) = struct.unpack(">H", source.read(start + 2, 2))
        if header.endswith(b"Exif\x00\x00"):
            if length > 16:
                patches += tiff_gps_patches(source, start + 10, length - 8)
        else:
            namespace = XMP_NAMESPACE if header.endswith(XMP_NAMESPACE) else XMP_EXTENSION
            skip = len(namespace) + (EXTENSION_HEADER if namespace == XMP_EXTENSION else 0)
            payload_at, payload_length = start + 4 + skip, length - 2 - skip
            if payload_length > 0:
                segments.append((namespace, payload_at, source.read(payload_at, payload_length)))
        position = start + 4
    if GPS_MARK in b"".join(payload for _, _, payload in segments):
        patches += [
            Patch(at, empty_packet(len(data)) if ns == XMP_NAMESPACE else b" " * len(data))
            for ns, at, data in segments
        ]
    return patches


def png_patches(source: Source) -> list[Patch]:
    """eXIf's GPS directory, and XMP or raw-profile text chunks, each with a new CRC."""
    if source.read(0, 8) != PNG_SIGNATURE:
        raise NotUnderstood("not a PNG")
    patches, position = [], 8
    while position + 12 <= source.size:
        length, kind = struct.unpack(">I4s", source.read(position, 8))
        data_at = position + 8
        if kind == b"eXIf":
            fixes = tiff_gps_patches(source, data_at, length)
            if fixes:
                data = apply(source.read(data_at, length), fixes, data_at)
                patches += fixes + [png_crc(data_at + length, kind, data)]
        elif kind in (b"tEXt", b"zTXt", b"iTXt") and png_text_has_location(
            source, kind, data_at, length
        ):
            keyword = source.read(data_at, length).split(b"\x00", 1)[0]
            data = keyword + b"\x00" + b" " * (length - len(keyword) - 1)
            patches += [
                Patch(position + 4, b"tEXt" + data),
                png_crc(data_at + length, b"tEXt", data),
            ]
        if kind == b"IEND":
            break
        position = data_at + length + 4
    return patches


def png_text_has_location(source: Source, kind: bytes, at: int, length: int) -> bool:
    """An XMP text chunk that mentions GPS, or a raw EXIF profile (ImageMagick's hex dump
    of EXIF, which we do not parse: always emptied)."""
    keyword = source.read(at, min(length, 80)).split(b"\x00", 1)[0]
    if keyword not in PNG_TEXT_KEYS:
        return False
    if keyword != b"XML:com.adobe.xmp":
        return True
    data = source.read(at, length)[len(keyword) + 1 :]
    if kind == b"iTXt" and data[:1] == b"\x01":  # compressed: flag, method, language, key
        text = data[2:].split(b"\x00", 2)[-1]
        try:
            data = zlib.decompressobj().decompress(text, MAX_XMP)
        except zlib.error:
            return True
    elif kind == b"zTXt":
        try:
            data = zlib.decompressobj().decompress(data[1:], MAX_XMP)
        except zlib.error:
            return True
    return GPS_MARK in data


def png_crc(offset: int, kind: bytes, data: bytes) -> Patch:
    return Patch(offset, struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def webp_patches(source: Source) -> list[Patch]:
    """The EXIF chunk's GPS directory (with or without an "Exif\\0\\0" prefix) and XMP."""
    if source.read(0, 4) != b"RIFF" or source.read(8, 4) != b"WEBP":
        raise NotUnderstood("not a WebP file")
    patches, position = [], 12
    while position + 8 <= source.size:
        kind, length = struct.unpack("<4sI", source.read(position, 8))
        if kind == b"EXIF":
            skip = 6 if source.read(position + 8, min(6, length)) == b"Exif\x00\x00" else 0
            patches += tiff_gps_patches(source, position + 8 + skip, length - skip)
        position += 8 + length + (length & 1)
    return patches + xmp_patches(source)


def tiff_file_patches(source: Source) -> list[Patch]:
    return tiff_gps_patches(source, 0, source.size) + xmp_patches(source)


def heif_patches(source: Source) -> list[Patch]:
    """The Exif items of a HEIF file (found through its `meta` box), and XMP."""
    patches = []
    for start, length in heif_exif_items(source):
        (tiff_offset,) = struct.unpack(">I", source.read(start, 4))
        base = start + 4 + tiff_offset
        patches += tiff_gps_patches(source, base, start + length - base)
    return patches + xmp_patches(source)
