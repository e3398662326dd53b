"""Page text and page images with pypdfium2 (imported here and nowhere else).

Each page is opened once: its text layer is read, then it is rendered ONCE at the preview width
and the thumbnail is derived from that same bitmap. The bitmap leaves this module as a plain
`photos.RawImage` (mode, size, stride, buffer) and `photos.save_page_images` encodes it, so PIL
stays confined to `photos.py`: pypdfium2's own `to_pil()` would import PIL behind our back and
tie this module to PIL's API.

pdfium also gives a second opinion on structure (`read_pdf_info_with_pdfium`) for files that
pypdf cannot open.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from archive.ingest.bidi import PlacedChar, has_rtl, logical_line
from archive.ingest.errors import DamagedFile, PasswordProtected, TooLarge
from archive.ingest.pdf import OutlineEntry, PdfInfo, clean_metadata_text, parse_pdf_date
from archive.ingest.photos import PageImages, RawImage, save_page_images
from archive.ingest.textnorm import normalise_text

logger = logging.getLogger(__name__)

Document = pdfium.PdfDocument  # for type hints elsewhere, without importing pypdfium2 there

MAX_PAGE_CHARS = 200_000  # a page beyond this is not prose; keep the index sane
MAX_ASPECT = 4  # a page image is at most 4x as tall as wide (receipt-like pages are clipped)
MAX_OUTLINE_ENTRIES = 500
MAX_OUTLINE_DEPTH = 6
MAX_BOXES = 500  # marks on one page image
WORD = re.compile(r"[^\W_]+")  # letters and digits, matched like the index matches words
DEVICE = 10_000  # page coordinates are mapped onto a 10,000 x 10,000 grid, then to fractions
REOPEN_GROWTH_MB = 32  # see render_pages
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class RenderedPage:
    """One page's normalised text and the names of its image files (None if not rendered)."""

    number: int
    text: str
    preview: str | None = None
    thumbnail: str | None = None


def open_pdf(path: Path | str, filename: str) -> Document:
    """Open a PDF with the empty password (the caller closes it); raise `PasswordProtected` or
    `DamagedFile`."""
    try:
        return pdfium.PdfDocument(str(path), password="")
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise PasswordProtected(
                filename, "password-protected PDF (it needs a password to open)"
            ) from exc
        raise DamagedFile(filename, f"damaged or malformed PDF (pdfium: {exc})") from exc


def check_pdfium_page_count(doc: Document, filename: str, max_pages: int) -> int:
    """Return pdfium's page count, refusing empty documents and those over the limit."""
    count = len(doc)
    if count < 1:
        raise DamagedFile(filename, "damaged or malformed PDF (it has no pages)")
    if count > max_pages:
        raise TooLarge(filename, f"too many pages ({count}; the limit is {max_pages})")
    return count


def read_pdf_info_with_pdfium(doc: Document, page_count: int) -> PdfInfo:
    """Build `PdfInfo` from pdfium when pypdf could not read the file."""
    meta = doc.get_metadata_dict()
    return PdfInfo(
        page_count=page_count,
        title=clean_metadata_text(meta.get("Title")),
        author=clean_metadata_text(meta.get("Author")),
        subject=clean_metadata_text(meta.get("Subject")),
        created=parse_pdf_date(clean_metadata_text(meta.get("CreationDate"))),
        page_labels=[page_label(doc, index) for index in range(page_count)],
        outline=read_outline(doc),
        was_encrypted=pdfium_c.FPDF_GetSecurityHandlerRevision(doc) != -1,
    )


def page_label(doc: Document, index: int) -> str:
    """Return the printed label of a page, or its 1-based number."""
    try:
        label = " ".join((doc.get_page_label(index) or "").split())
    except pdfium.PdfiumError:
        label = ""
    return label[:32] or str(index + 1)


def read_outline(doc: Document) -> list[OutlineEntry]:
    """Return the bookmarks, depth-first, capped in count and depth."""
    entries: list[OutlineEntry] = []
    try:
        for bookmark in doc.get_toc(max_depth=MAX_OUTLINE_DEPTH):
            title = clean_metadata_text(bookmark.get_title())
            dest = bookmark.get_dest()
            index = dest.get_index() if dest is not None else None
            if title:
                page = index + 1 if index is not None else None
                entries.append(OutlineEntry(title, page, bookmark.level + 1))
            if len(entries) >= MAX_OUTLINE_ENTRIES:
                break
    except pdfium.PdfiumError:
        logger.debug("pdfium could not read the outline")
    return entries


def render_pages(
    doc: Document,
    out_dir: Path | str,
    page_count: int,
    preview_width: int,
    thumb_width: int,
    reopen: Callable[[], Document] | None = None,
    with_images: bool = True,
) -> Iterator[RenderedPage]:
    """Yield each page's text and write its preview and thumbnail into `out_dir` (unless
    not `with_images`).

    pdfium keeps every page's parsed objects (a page's image streams included) until the
    document is closed: 12 pages of 12 MP photos grew a process by 80 MB, a long deck of
    photos would grow it without bound. With `reopen` (a fresh handle on the same file), the
    document is reopened whenever this process grew by REOPEN_GROWTH_MB since it was opened
    (`doc` is closed then; closing it again, as the caller's `with` does, is harmless).
    """
    current, baseline = doc, resident_mb()
    try:
        for index in range(page_count):
            if reopen is not None and resident_mb() - baseline > REOPEN_GROWTH_MB:
                current.close()
                current = reopen()
                baseline = resident_mb()
            yield render_page(
                current, index, Path(out_dir), preview_width, thumb_width, with_images
            )
    finally:
        if current is not doc:
            current.close()


def resident_mb() -> float:
    """This process's resident memory in MB (one read of /proc, about 10 µs)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE / 2**20
    except (OSError, ValueError, IndexError):  # not Linux: never reopen
        return 0.0


def render_page(
    doc: Document,
    index: int,
    out_dir: Path,
    preview_width: int,
    thumb_width: int,
    with_images: bool = True,
) -> RenderedPage:
    """Read one page's text and render its images; an unloadable page yields empty text."""
    number = index + 1
    try:
        page = doc[index]
    except pdfium.PdfiumError:
        logger.warning("pdfium could not load page %d", number)
        return RenderedPage(number, "")
    try:
        text = page_text(page)
        images = (
            render_images(page, out_dir, number, preview_width, thumb_width)
            if with_images
            else None
        )
    finally:
        page.close()
    if images is None:
        return RenderedPage(number, text)
    return RenderedPage(number, text, images.preview, images.thumbnail)


def page_text(page: pdfium.PdfPage) -> str:
    """Return the page's text layer, normalised; "" when there is none or it is unreadable."""
    try:
        textpage = page.get_textpage()
    except pdfium.PdfiumError:
        logger.warning("pdfium could not read a text layer")
        return ""
    try:
        text = textpage.get_text_range()[:MAX_PAGE_CHARS]
        if has_rtl(text):
            text = rtl_text(textpage)
        return normalise_text(text)
    finally:
        textpage.close()


def word_boxes(path: Path | str, number: int, wanted: Callable[[str], bool]) -> list:
    """Where the words of page `number` for which `wanted(word)` is true sit on the rendered
    page: boxes [left, top, right, bottom] as fractions from the top-left corner, one per
    line a word spans. For the viewer's marks on the page image.

    Computed when a page is viewed, for its matches only: boxes of every word at extraction
    cost 45 ms a page (pdfium's character boxes are slow), 3-4x the text itself. The file is
    one that extraction already read without trouble (the item is ready)."""
    doc = pdfium.PdfDocument(str(path), password="")
    try:
        page = doc[number - 1]
        try:
            textpage = page.get_textpage()
            try:
                return page_words(page, textpage, textpage.get_text_range(), wanted)
            finally:
                textpage.close()
        finally:
            page.close()
    finally:
        doc.close()


def page_words(page: pdfium.PdfPage, textpage, raw: str, wanted: Callable[[str], bool]) -> list:
    """The wanted words' boxes (see `word_boxes`). pdfium's text indices are its character
    indices; a word's box joins its first and last character's, unless they are on two
    lines (a hyphenated word), which are then boxed separately."""
    to_page = page_transform(page)
    values = [ctypes.c_double() for _ in range(4)]  # left, right, bottom, top
    refs = [ctypes.byref(v) for v in values]
    box_of = pdfium_c.FPDFText_GetCharBox

    def char_box(index: int) -> list[float] | None:
        if not box_of(textpage, index, *refs):
            return None
        left, right, bottom, top = (v.value for v in values)
        x0, y0 = to_page(left, top)
        x1, y1 = to_page(right, bottom)
        return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]

    boxes: list[list[float]] = []
    for match in WORD.finditer(raw[:MAX_PAGE_CHARS]):
        if not wanted(match.group()):
            continue
        first, last = char_box(match.start()), char_box(match.end() - 1)
        if first and last and same_line(first, last):
            lines = [union(first, last)]  # the usual case: two look-ups a word
        else:
            lines = word_lines(char_box, match.start(), match.end())
        boxes += [[round(v, 4) for v in box] for box in lines]
        if len(boxes) >= MAX_BOXES:
            break
    return boxes


def word_lines(char_box, start: int, end: int) -> list[list[float]]:
    """A word broken across lines (a hyphenated one): one box per line, char by char."""
    lines: list[list[float]] = []
    for index in range(start, end):
        box = char_box(index)
        if box is None:
            continue
        if lines and same_line(lines[-1], box):
            lines[-1] = union(lines[-1], box)
        else:
            lines.append(box)
    return lines


def union(a: list[float], b: list[float]) -> list[float]:
    return [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]


def same_line(a: list[float], b: list[float]) -> bool:
    """Whether two character boxes overlap vertically and horizontally follow each other (a
    hyphenated word continues on the next line as another box)."""
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(a[3] - a[1], b[3] - b[1]) or (a[3] - a[1] == 0)


def page_transform(page: pdfium.PdfPage):
    """A function from page coordinates to fractions of the rendered image: the affine map
    pdfium uses when rendering (crop box and /Rotate included), found from three points."""
    device_x, device_y = ctypes.c_int(), ctypes.c_int()

    def device(x: float, y: float) -> tuple[float, float]:
        pdfium_c.FPDF_PageToDevice(
            page, 0, 0, DEVICE, DEVICE, 0, x, y, ctypes.byref(device_x), ctypes.byref(device_y)
        )
        return device_x.value / DEVICE, device_y.value / DEVICE

    ox, oy = device(0, 0)
    ax, ay = device(1000, 0)
    bx, by = device(0, 1000)
    a, b = (ax - ox) / 1000, (ay - oy) / 1000
    c, d = (bx - ox) / 1000, (by - oy) / 1000
    return lambda x, y: (ox + a * x + c * y, oy + b * x + d * y)


def rtl_text(textpage: pdfium.PdfTextPage) -> str:
    """A page with right-to-left letters, line by line in logical order with its word
    spaces, rebuilt from pdfium's characters and their boxes (see `bidi`)."""
    lines: list[str] = []
    line: list[PlacedChar] = []
    for index in range(min(textpage.count_chars(), MAX_PAGE_CHARS)):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage, index) or 0x20)
        if char in "\r\n":
            if char == "\n":
                lines.append(logical_line(line))
                line = []
            continue
        left, _, right, _ = textpage.get_charbox(index, loose=True)  # the advance, not ink
        size = pdfium_c.FPDFText_GetFontSize(textpage, index)
        line.append(PlacedChar(char, left, right, size))
    lines.append(logical_line(line))
    return "\n".join(lines)


def render_images(
    page: pdfium.PdfPage, out_dir: Path, number: int, preview_width: int, thumb_width: int
) -> PageImages | None:
    """Render the page once at the preview width; save preview and thumbnail from that bitmap."""
    width, height = page.get_width(), page.get_height()
    if not (width > 0 and height > 0):
        return None
    scale = min(preview_width / width, MAX_ASPECT * preview_width / height)
    try:
        # BGRx is pdfium's native format; reversed to RGBX, Pillow wraps it without copying
        # (measured: 3.5 ms less per 1200 px page than 3-byte RGB).
        bitmap = page.render(
            scale=scale, rev_byteorder=True, prefer_bgrx=True, may_draw_forms=False
        )
    except pdfium.PdfiumError as exc:
        logger.warning("pdfium could not render page %d: %s", number, exc)
        return None
    try:
        raw = RawImage(bitmap.mode, bitmap.width, bitmap.height, bitmap.stride, bitmap.buffer)
        return save_page_images(raw, out_dir, number, min(thumb_width, bitmap.width))
    finally:
        bitmap.close()


# ---------------------------------------------------------------------------- for recognition
# Added for text recognition (archive.ingest.recognition); extraction above does not use it.


@dataclass(frozen=True)
class TextLayer:
    """One page's text layer as pdfium reads it (not normalised), and the share of the page
    that images cover (0-1), which says whether a few words are all the page shows."""

    number: int
    raw_text: str
    image_share: float


def read_text_layers(doc: Document, page_count: int) -> list[TextLayer]:
    """Every page's raw text layer and image coverage; an unloadable page has neither."""
    layers = []
    for index in range(page_count):
        try:
            page = doc[index]
        except pdfium.PdfiumError:
            layers.append(TextLayer(index + 1, "", 0.0))
            continue
        try:
            layers.append(TextLayer(index + 1, raw_page_text(page), image_share(page)))
        finally:
            page.close()
    return layers


def raw_page_text(page: pdfium.PdfPage) -> str:
    try:
        textpage = page.get_textpage()
    except pdfium.PdfiumError:
        return ""
    try:
        return textpage.get_text_range()[:MAX_PAGE_CHARS]
    finally:
        textpage.close()


MAX_IMAGE_OBJECTS = 500  # a page of thousands of tiny images is a pattern, not a scan


def image_share(page: pdfium.PdfPage) -> float:
    """How much of the page images cover (their boxes added up, clipped to the page)."""
    width, height = page.get_width(), page.get_height()
    if not (width > 0 and height > 0):
        return 0.0
    covered = 0.0
    try:
        objects = page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3)
        for count, obj in enumerate(objects):
            if count >= MAX_IMAGE_OBJECTS:
                break
            left, bottom, right, top = obj.get_bounds()
            w = max(0.0, min(right, width) - max(left, 0.0))
            h = max(0.0, min(top, height) - max(bottom, 0.0))
            covered += w * h
    except pdfium.PdfiumError:
        logger.debug("pdfium could not list a page's images")
    return min(1.0, covered / (width * height))


def render_for_ocr(doc: Document, number: int, dpi: int, max_pixels: int) -> RawImage | None:
    """Page `number` in grey at `dpi` (less if that would exceed `max_pixels`), for Tesseract;
    None when pdfium cannot load or render it."""
    try:
        page = doc[number - 1]
    except (pdfium.PdfiumError, IndexError):
        return None
    try:
        width, height = page.get_width(), page.get_height()
        if not (width > 0 and height > 0):
            return None
        scale = dpi / 72
        scale = min(scale, (max_pixels / (width * height)) ** 0.5)
        bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
    except pdfium.PdfiumError as exc:
        logger.warning("pdfium could not render page %d for recognition: %s", number, exc)
        return None
    finally:
        page.close()
    try:
        return RawImage(
            bitmap.mode, bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer)
        )
    finally:
        bitmap.close()
