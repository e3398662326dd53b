"""The per-file extraction pipelines, and `run_extraction`, which runs them in the sandbox.

Which library decides what (the "second opinion" rule):
- pypdf's page count is the archive's page count whenever pypdf can open the file; pages that
  pdfium cannot load or does not have are kept, with empty text and no images.
- If pypdf fails but pdfium opens the file, pdfium supplies the structure and the page count.
- If pdfium fails but pypdf opens the file, the text comes from pypdf and pages get no images.
- If both fail, the clearer error wins: password-protected if either says so, else pypdf's
  reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.ingest.errors import IngestError, PasswordProtected, TooLarge
from archive.ingest.language import detect_languages
from archive.ingest.pdf import PdfInfo, extract_texts_with_pypdf, read_pdf_info
from archive.ingest.photos import PhotoInfo, process_photo
from archive.ingest.render import (
    Document,
    RenderedPage,
    check_pdfium_page_count,
    open_pdf,
    read_pdf_info_with_pdfium,
    render_pages,
)
from archive.ingest.sandbox import run_sandboxed
from archive.vocabulary import ItemKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractSettings:
    """Sizes and limits for one extraction; `memory_mb` is headroom over the size of the
    process the child is forked from (the fork server, or the worker for `run_once`)."""

    preview_width: int = 1200
    thumb_width: int = 240
    photo_grid_px: int = 400
    photo_lightbox_px: int = 1600
    max_pixels: int = 100_000_000
    max_pages: int = 2000
    timeout_s: float = 120.0
    memory_mb: int = 1024
    page_images: bool = True  # False: text and structure only (benchmarks of text + index)


@dataclass(frozen=True)
class PageExtract:
    """One page: 1-based number, printed label, normalised text, language, image file names."""

    number: int
    label: str
    text: str
    language: str | None
    preview: str | None = None
    thumbnail: str | None = None


@dataclass(frozen=True)
class PresentationExtract:
    """A PDF's structure and pages; `has_text` is False for scans without a text layer."""

    info: PdfInfo
    pages: list[PageExtract]
    has_text: bool


def run_extraction(
    kind: str, path: Path | str, filename: str, out_dir: Path | str, settings: ExtractSettings
) -> PresentationExtract | PhotoInfo:
    """Extract one sniffed file in a time- and memory-limited child process."""
    pipelines = {ItemKind.PRESENTATION: extract_presentation, ItemKind.PHOTO: extract_photo}
    if kind not in pipelines:
        raise ValueError(f"unknown kind {kind!r}")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return run_sandboxed(
        pipelines[kind],
        Path(path),
        filename,
        Path(out_dir),
        settings,
        filename=filename,
        timeout_s=settings.timeout_s,
        memory_mb=settings.memory_mb,
    )


def extract_photo(
    path: Path | str, filename: str, out_dir: Path | str, settings: ExtractSettings
) -> PhotoInfo:
    """Write a photo's grid and lightbox images and return its facts."""
    return process_photo(
        path,
        filename,
        out_dir,
        settings.photo_grid_px,
        settings.photo_lightbox_px,
        settings.max_pixels,
    )


def extract_presentation(
    path: Path | str, filename: str, out_dir: Path | str, settings: ExtractSettings
) -> PresentationExtract:
    """Read a PDF's structure, page texts and page images, with pypdf and pdfium checking
    each other."""
    info, pypdf_error = read_info_with_pypdf(path, filename, settings.max_pages)
    try:
        doc = open_pdf(path, filename)
    except IngestError as pdfium_error:
        if info is None:
            raise preferred_error(pypdf_error, pdfium_error) from None
        logger.warning(
            "pdfium could not open %s (%s); using pypdf's text", filename, pdfium_error.reason
        )
        texts = extract_texts_with_pypdf(path, filename, settings.max_pages)
        return assemble(info, [RenderedPage(n, text) for n, text in enumerate(texts, start=1)])
    with doc:
        reopen = lambda: open_pdf(path, filename)  # noqa: E731 - see render.render_pages
        return extract_with_pdfium(doc, info, filename, Path(out_dir), settings, reopen)


def read_info_with_pypdf(
    path: Path | str, filename: str, max_pages: int
) -> tuple[PdfInfo | None, IngestError | None]:
    """Return pypdf's view of the file, or the error that pdfium may still overrule."""
    try:
        return read_pdf_info(path, filename, max_pages), None
    except TooLarge:
        raise
    except IngestError as exc:
        logger.info("pypdf could not read %s (%s); asking pdfium", filename, exc.reason)
        return None, exc


def preferred_error(pypdf_error: IngestError | None, pdfium_error: IngestError) -> IngestError:
    """Pick the clearer of two failures: a password wins, then pypdf's reason."""
    for error in (pypdf_error, pdfium_error):
        if isinstance(error, PasswordProtected):
            return error
    return pypdf_error or pdfium_error


def extract_with_pdfium(
    doc: Document,
    info: PdfInfo | None,
    filename: str,
    out_dir: Path,
    settings: ExtractSettings,
    reopen: Callable[[], Document] | None = None,
) -> PresentationExtract:
    """Render pages with pdfium; pypdf's page count (when known) stays authoritative."""
    count = check_pdfium_page_count(doc, filename, settings.max_pages)
    if info is None:
        info = read_pdf_info_with_pdfium(doc, count)
    elif count != info.page_count:
        logger.warning("%s: pypdf counts %d pages, pdfium %d", filename, info.page_count, count)
    rendered = render_pages(
        doc,
        out_dir,
        min(count, info.page_count),
        settings.preview_width,
        settings.thumb_width,
        reopen,
        with_images=settings.page_images,
    )
    return assemble(info, list(rendered))


def assemble(info: PdfInfo, rendered: list[RenderedPage]) -> PresentationExtract:
    """Combine structure and rendered pages into one page list of `info.page_count` pages."""
    by_number = {page.number: page for page in rendered}
    pages = [
        by_number.get(number) or RenderedPage(number, "")
        for number in range(1, info.page_count + 1)
    ]
    languages = detect_languages([page.text for page in pages])
    extracts = [
        page_extract(info, page, language) for page, language in zip(pages, languages, strict=True)
    ]
    return PresentationExtract(info, extracts, has_text=any(page.text for page in extracts))


def page_extract(info: PdfInfo, page: RenderedPage, language: str | None) -> PageExtract:
    """Label the page and give it its language where the model is sure; the parent decides
    the rest with the deck's and the event's language (`processing.settle_languages`)."""
    labels = info.page_labels
    label = labels[page.number - 1] if page.number <= len(labels) else str(page.number)
    return PageExtract(
        number=page.number,
        label=label,
        text=page.text,
        language=language,
        preview=page.preview,
        thumbnail=page.thumbnail,
    )
