"""PDF structure with pypdf: page count, metadata, page labels, outline and encryption.

pypdf is imported here and nowhere else. pypdf's page count is the archive's page count
whenever pypdf can open the file (see `archive.ingest.extract`). Every pypdf failure becomes a
typed `IngestError`, so callers never see a pypdf exception. pypdf's warnings are silenced with
`warnings.catch_warnings`, which is process-wide: run this inside the sandbox child (as
`run_extraction` does), not from several threads of one process at once.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from archive.ingest.errors import DamagedFile, PasswordProtected, TooLarge, describe_error
from archive.ingest.textnorm import normalise_text

logger = logging.getLogger(__name__)
# pypdf logs a warning for every repair it makes; on uploaded files those are expected noise.
# The application's logging configuration may lower this again.
logging.getLogger("pypdf").setLevel(logging.ERROR)

MAX_OUTLINE_ENTRIES = 500
MAX_OUTLINE_DEPTH = 6
MAX_META_CHARS = 500
MAX_LABEL_CHARS = 32
PDF_DATE_RE = re.compile(
    r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?\s*(?:([Zz])|([+-])(\d\d)'?(\d\d)?'?)?"
)


@dataclass(frozen=True)
class OutlineEntry:
    """One bookmark: its title, the 1-based page it points to (None if unresolved), depth 1+."""

    title: str
    page_number: int | None
    level: int


@dataclass(frozen=True)
class PdfInfo:
    """Document-level facts; `created` is timezone-aware when the PDF states an offset."""

    page_count: int
    title: str | None = None
    author: str | None = None
    subject: str | None = None
    created: datetime | None = None
    page_labels: list[str] = field(default_factory=list)
    outline: list[OutlineEntry] = field(default_factory=list)
    was_encrypted: bool = False


def read_pdf_info(path: Path | str, filename: str, max_pages: int | None = None) -> PdfInfo:
    """Read a PDF's structure, trying the empty password on encrypted files."""
    with pypdf_errors(filename), open(path, "rb") as stream:
        # From the open file, not the path: given a path, pypdf reads the whole file into
        # memory first (a 200 MB deck of photos took 200 MB of the sandbox's memory).
        reader = PdfReader(stream, strict=False)
        was_encrypted = open_encrypted(reader, filename)
        page_count = len(reader.pages)
        check_page_count(page_count, max_pages, filename)
        meta = read_metadata(reader)
        return PdfInfo(
            page_count=page_count,
            title=clean_metadata_text(meta.get("/Title")),
            author=clean_metadata_text(meta.get("/Author")),
            subject=clean_metadata_text(meta.get("/Subject")),
            created=parse_pdf_date(clean_metadata_text(meta.get("/CreationDate"))),
            page_labels=read_page_labels(reader, page_count),
            outline=read_outline(reader),
            was_encrypted=was_encrypted,
        )


def extract_texts_with_pypdf(
    path: Path | str, filename: str, max_pages: int | None = None
) -> list[str]:
    """Return each page's normalised text; the fallback when pdfium cannot open the file."""
    with pypdf_errors(filename), open(path, "rb") as stream:
        reader = PdfReader(stream, strict=False)  # from the file: see read_pdf_info
        open_encrypted(reader, filename)
        check_page_count(len(reader.pages), max_pages, filename)
        return [normalise_text(page_text(page)) for page in reader.pages]


def page_text(page: Any) -> str:
    """Return one page's text, or "" when pypdf cannot read that page."""
    try:
        return page.extract_text() or ""
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad page must not lose the others
        logger.debug("pypdf could not extract a page: %s", type(exc).__name__)
        return ""


@contextmanager
def pypdf_errors(filename: str) -> Iterator[None]:
    """Turn any pypdf failure into `DamagedFile` and silence pypdf's warnings."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except (DamagedFile, PasswordProtected, TooLarge, MemoryError):
        raise
    except DependencyError as exc:
        raise DamagedFile(filename, f"cannot decrypt this PDF here ({exc})") from exc
    # pypdf raises far more than PyPdfError on hostile input (ValueError, KeyError, TypeError,
    # RecursionError, ...); all of them mean the same thing to the uploader.
    except Exception as exc:
        raise DamagedFile(filename, f"damaged or malformed PDF ({describe_error(exc)})") from exc


def open_encrypted(reader: PdfReader, filename: str) -> bool:
    """Decrypt with the empty password if needed; return whether the file was encrypted."""
    if not reader.is_encrypted:
        return False
    if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise PasswordProtected(filename, "password-protected PDF (it needs a password to open)")
    return True


def check_page_count(page_count: int, max_pages: int | None, filename: str) -> None:
    """Raise `TooLarge` for documents with more pages than the archive accepts."""
    if page_count < 1:
        raise DamagedFile(filename, "damaged or malformed PDF (it has no pages)")
    if max_pages is not None and page_count > max_pages:
        raise TooLarge(filename, f"too many pages ({page_count}; the limit is {max_pages})")


def read_metadata(reader: PdfReader) -> dict[str, Any]:
    """Return the /Info dictionary as a plain dict, or {} when it is missing or unreadable."""
    try:
        meta = reader.metadata
        return {key: meta.get(key) for key in meta} if meta else {}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return {}


def clean_metadata_text(value: Any) -> str | None:
    """Decode a metadata string (UTF-16 with or without BOM, UTF-8, PDFDoc) to clean text."""
    if isinstance(value, bytes):
        text = decode_pdf_bytes(bytes(value))
    elif isinstance(value, str):
        text = repair_utf16_text(str(value))
    else:
        return None
    text = " ".join(normalise_text(text.replace("\x00", "")).split())
    return text[:MAX_META_CHARS] or None


def decode_pdf_bytes(raw: bytes) -> str:
    """Decode a byte string pypdf could not: BOM-marked UTF-16/UTF-8, then UTF-8, then Latin-1."""
    if raw[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return raw.decode("utf-16", errors="replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def repair_utf16_text(text: str) -> str:
    """Re-decode UTF-16 that was read as single bytes (a visible BOM or NULs between letters)."""
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return text
    if raw[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return raw.decode("utf-16", errors="replace")
    if len(raw) >= 4 and raw[0::2].count(0) >= len(raw) // 2 - 1:
        return raw.decode("utf-16-be", errors="replace")
    if len(raw) >= 4 and raw[1::2].count(0) >= len(raw) // 2 - 1:
        return raw.decode("utf-16-le", errors="replace")
    return text


def parse_pdf_date(text: str | None) -> datetime | None:
    """Parse a PDF date ("D:20240131120000+01'00'"), tolerating missing parts; None if invalid."""
    match = PDF_DATE_RE.match(text or "")
    if not match:
        return None
    *parts, zulu, sign, tz_h, tz_m = match.groups()
    defaults = (None, 1, 1, 0, 0, 0)
    try:
        created = datetime(
            *(int(part or default) for part, default in zip(parts, defaults, strict=True))
        )
        offset = timedelta(hours=int(tz_h or 0), minutes=int(tz_m or 0))
        if sign:
            created = created.replace(tzinfo=timezone(offset if sign == "+" else -offset))
    except ValueError:
        return None
    if zulu:
        created = created.replace(tzinfo=UTC)
    return created if 1900 <= created.year <= 2200 else None


def read_page_labels(reader: PdfReader, page_count: int) -> list[str]:
    """Return the printed page labels ("i", "ii", "1", ...), or plain numbers if unreadable."""
    try:
        labels = [str(label)[:MAX_LABEL_CHARS] for label in reader.page_labels]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        labels = []
    if len(labels) != page_count:
        return [str(number) for number in range(1, page_count + 1)]
    return [" ".join(label.split()) or str(i) for i, label in enumerate(labels, start=1)]


def read_outline(reader: PdfReader) -> list[OutlineEntry]:
    """Return the bookmarks, depth-first, capped in count and depth; [] when unreadable."""
    try:
        entries: list[OutlineEntry] = []
        walk_outline(reader, reader.outline, 1, entries)
        return entries
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return []


def walk_outline(reader: PdfReader, items: list[Any], level: int, out: list[OutlineEntry]) -> None:
    """Append outline items to `out`; nested lists are the children of the item before them."""
    for item in items:
        if len(out) >= MAX_OUTLINE_ENTRIES:
            return
        if isinstance(item, list):
            if level < MAX_OUTLINE_DEPTH:
                walk_outline(reader, item, level + 1, out)
            continue
        title = clean_metadata_text(getattr(item, "title", None))
        if title:
            out.append(OutlineEntry(title, destination_page(reader, item), level))


def destination_page(reader: PdfReader, item: Any) -> int | None:
    """Return the 1-based page an outline item points to, or None."""
    try:
        index = reader.get_destination_page_number(item)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return index + 1 if isinstance(index, int) and index >= 0 else None
