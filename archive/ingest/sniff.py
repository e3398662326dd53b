"""Decide a file's type from its first bytes, never from its name or the client's claim.

Accepted: PDF (presentations); JPEG (including MPO), PNG, WebP, HEIC/HEIF, GIF and TIFF
(photos). GIF and TIFF are accepted because Pillow decodes both (first frame or page) and every
decode runs in the sandbox under pixel, time and memory limits; the archive only ever serves
derived JPEG/WebP images, so browsers never need to display them. Everything else is rejected
with a message saying what the content looks like, so that an uploader who sent a PPTX, an
HTML error page or an executable learns what went wrong.
"""

from __future__ import annotations

import codecs
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

from archive.ingest.errors import UnsupportedType
from archive.vocabulary import ItemKind

logger = logging.getLogger(__name__)

HEAD_BYTES = 4096
PDF_JUNK_WINDOW = 1024  # readers accept junk before %PDF- within the first KiB

HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
HEIF_BRANDS = {b"mif1", b"msf1"}
VIDEO_BRANDS = {b"isom", b"iso2", b"mp41", b"mp42", b"qt  ", b"M4V ", b"3gp4", b"3gp5", b"avc1"}


@dataclass(frozen=True)
class Sniffed:
    """What the content is: `kind` routes the pipeline, `mime`/`extension` are for serving."""

    kind: ItemKind
    mime: str
    extension: str


PDF = Sniffed(ItemKind.PRESENTATION, "application/pdf", "pdf")
JPEG = Sniffed(ItemKind.PHOTO, "image/jpeg", "jpg")
PNG = Sniffed(ItemKind.PHOTO, "image/png", "png")
WEBP = Sniffed(ItemKind.PHOTO, "image/webp", "webp")
HEIC = Sniffed(ItemKind.PHOTO, "image/heic", "heic")
HEIF = Sniffed(ItemKind.PHOTO, "image/heif", "heif")
GIF = Sniffed(ItemKind.PHOTO, "image/gif", "gif")
TIFF = Sniffed(ItemKind.PHOTO, "image/tiff", "tif")

# The file name extensions that say each accepted type, the usual one first: a download is
# named with one of these, whatever the uploader's file was called.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF.mime: ("pdf",),
    JPEG.mime: ("jpg", "jpeg", "jpe", "jfif"),
    PNG.mime: ("png",),
    WEBP.mime: ("webp",),
    HEIC.mime: ("heic", "heif"),
    HEIF.mime: ("heif", "heic"),
    GIF.mime: ("gif",),
    TIFF.mime: ("tif", "tiff"),
}

# (prefix, description) of formats we recognise only to name them in the rejection.
REJECTED_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable (ELF)"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"\xce\xfa\xed\xfe", "a macOS executable"),
    (b"\xca\xfe\xba\xbe", "a macOS executable or Java class file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Microsoft Office 97-2003 document (DOC/PPT/XLS)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"%!PS", "a PostScript file"),
    (b"{\\rtf", "an RTF document"),
    (b"\x00\x00\x01\x00", "a Windows icon (ICO)"),
    (b"BM", "a BMP image"),
    (b"8BPS", "a Photoshop document (PSD)"),
)

ZIP_MEMBERS: tuple[tuple[str, str], ...] = (
    ("ppt/", "a PowerPoint presentation (PPTX); export it to PDF"),
    ("word/", "a Word document (DOCX); export it to PDF"),
    ("xl/", "an Excel workbook (XLSX)"),
)

ODF_TYPES: tuple[tuple[bytes, str], ...] = (
    (b"opendocument.presentation", "an OpenDocument presentation (ODP); export it to PDF"),
    (b"opendocument.text", "an OpenDocument text (ODT); export it to PDF"),
    (b"opendocument.spreadsheet", "an OpenDocument spreadsheet (ODS)"),
)


def sniff_file(path: Path | str, filename: str) -> Sniffed:
    """Return what the file's bytes say it is, or raise `UnsupportedType` naming what it looks
    like."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    found = sniff_bytes(head)
    if found is not None:
        return found
    description = describe_rejected(head, Path(path))
    logger.info("rejected %s: content is %s", filename, description)
    raise UnsupportedType(filename, f"not a PDF or a supported photo: the content is {description}")


def sniff_bytes(head: bytes) -> Sniffed | None:
    """Return the accepted type the first bytes announce, or None."""
    if b"%PDF-" in head[:PDF_JUNK_WINDOW]:
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    return sniff_heif(head)


def sniff_heif(head: bytes) -> Sniffed | None:
    """Return HEIC/HEIF for an ISO media file whose ftyp brands name a HEIF image."""
    brands = ftyp_brands(head)
    if brands & HEIC_BRANDS:
        return HEIC
    if brands & HEIF_BRANDS and not brands & {b"avif", b"avis"}:
        return HEIF
    return None


def ftyp_brands(head: bytes) -> set[bytes]:
    """Return the major and compatible brands of an ISO base media `ftyp` box, or an empty
    set."""
    if head[4:8] != b"ftyp":
        return set()
    size = min(int.from_bytes(head[:4], "big"), len(head))
    if size < 16:
        return set()
    brands = {head[8:12]}
    brands.update(head[i : i + 4] for i in range(16, size - 3, 4))
    return brands


def describe_rejected(head: bytes, path: Path) -> str:
    """Say in a few words what an unsupported file looks like."""
    if not head:
        return "empty (0 bytes)"
    for prefix, description in REJECTED_PREFIXES:
        if head.startswith(prefix):
            return description
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return describe_zip(head, path)
    brands = ftyp_brands(head)
    if brands & {b"avif", b"avis"}:
        return "an AVIF image"
    if brands & VIDEO_BRANDS:
        return "a video (MP4/QuickTime)"
    return describe_text(head)


def describe_zip(head: bytes, path: Path) -> str:
    """Name the office format inside a ZIP container, or just say ZIP."""
    for marker, description in ODF_TYPES:
        if marker in head[:200]:
            return description
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()[:2000]
    except (zipfile.BadZipFile, OSError, ValueError):
        return "a ZIP archive"
    for prefix, description in ZIP_MEMBERS:
        if any(name.startswith(prefix) for name in names):
            return description
    return "a ZIP archive"


def describe_text(head: bytes) -> str:
    """Tell HTML, SVG, XML and plain text apart from unrecognised binary data."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in text:
        return "an HTML page"
    if b"<svg" in text:
        return "an SVG image"
    if text.startswith(b"<?xml"):
        return "an XML document"
    try:
        # incremental: the head may end inside a multi-byte character
        decoded = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "unrecognised binary data"
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in decoded)
    if printable >= 0.95 * len(decoded):
        return "plain text"
    return "unrecognised binary data"
