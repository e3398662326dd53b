"""Text recognition of one item, step by step, each step in the extraction sandbox.

    plan_deck()         which pages of a ready deck to recognise (`textquality` verdicts on
                        pdfium's raw text layers and image coverage)
    recognise_page()    one page rendered in grey at the OCR resolution, read by Tesseract
    recognise_photo()   a photo screened at a small size first; read in full only when the
                        screening found words, so a crowd photo costs one small pass

`run_*` wrap them in `run_sandboxed`: the same reusable child per worker thread as
extraction, with a time limit per page and the extraction memory ceiling. These are pure
functions on paths; `archive.ingest.ocrstate` records their results in the database and
`archive.pipeline` decides when they run.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path

from archive.ingest.errors import DamagedFile
from archive.ingest.ocr import Recognition, Tesseract, installed, recognise_image
from archive.ingest.photos import photo_for_ocr, save_grey_image
from archive.ingest.render import open_pdf, read_text_layers, render_for_ocr
from archive.ingest.sandbox import run_sandboxed
from archive.ingest.textquality import assess_pages
from archive.ingest.wordlists import word_list

# Photos: the screening pass reads a small copy; SCREEN_WORDS confident words of 3+ letters
# there (a slide, a banner, a poster) earn the full pass at FULL_PX.
SCREEN_PX = 1024
FULL_PX = 2400
SCREEN_WORDS = 3
SANDBOX_MARGIN_S = 15  # over Tesseract's own limit: loading, rendering, writing the image
DICTIONARY_LANGUAGES = ("eng", "rus", "aze")  # the archive's languages, always consulted


@dataclass(frozen=True)
class OcrSettings:
    """How to recognise one item: Tesseract and its languages, resolution and limits."""

    tesseract: Tesseract
    dpi: int
    memory_mb: int
    max_pixels: int
    words_cache: str  # folder for the word lists (`wordlists`)
    language_codes: tuple[str, ...] = ()  # the item's and event's ISO codes, if known


@dataclass(frozen=True)
class PagePlan:
    """A page to recognise, why (`OcrReason`), and which test decided."""

    number: int
    reason: str
    test: str


# ---------------------------------------------------------------------------- in the sandbox


def run_plan_deck(path: Path, filename: str, texts: list[str], settings: OcrSettings,
                  timeout_s: float) -> list[PagePlan]:  # fmt: skip
    limits = {"filename": filename, "timeout_s": timeout_s, "memory_mb": settings.memory_mb}
    return run_sandboxed(plan_deck, path, filename, texts, settings, **limits)


def run_recognise_page(
    path: Path, filename: str, number: int, settings: OcrSettings
) -> Recognition:
    limits = {"filename": filename, "timeout_s": sandbox_timeout(settings)}
    return run_sandboxed(recognise_page, path, filename, number, settings, **limits,
                         memory_mb=settings.memory_mb)  # fmt: skip


def run_recognise_photo(path: Path, filename: str, settings: OcrSettings) -> Recognition | None:
    limits = {"filename": filename, "timeout_s": 2 * sandbox_timeout(settings)}
    return run_sandboxed(recognise_photo, path, filename, settings, **limits,
                         memory_mb=settings.memory_mb)  # fmt: skip


def sandbox_timeout(settings: OcrSettings) -> float:
    return settings.tesseract.timeout_s + SANDBOX_MARGIN_S


# ---------------------------------------------------------------------------- the steps


def plan_deck(path: Path, filename: str, texts: list[str], settings: OcrSettings) -> list[PagePlan]:
    """The pages whose text layer is empty, thin or unreadable; `texts` are the normalised
    texts extraction stored, one per page."""
    with open_pdf(path, filename) as doc:
        layers = read_text_layers(doc, min(len(doc), len(texts)))
    facts = [(layer.raw_text, texts[layer.number - 1], layer.image_share) for layer in layers]
    verdicts = assess_pages(facts, settings.language_codes, dictionary(settings))
    plans = [
        PagePlan(layer.number, verdict.reason, verdict.test)
        for layer, verdict in zip(layers, verdicts, strict=True)
        if verdict.reason
    ]
    # Pages pdfium does not have (pypdf counted more) have no text: recognise nothing there.
    return plans


def dictionary(settings: OcrSettings) -> frozenset[str]:
    """The word lists of the archive's languages and the item's, as one set."""
    names = set(DICTIONARY_LANGUAGES) | set(settings.tesseract.languages.split("+"))
    return merged_words(settings.tesseract.program, tuple(sorted(names)), settings.words_cache)


@functools.cache
def merged_words(program: str, names: tuple[str, ...], cache: str) -> frozenset[str]:
    tessdata, available = installed(program)
    lists = [word_list(tessdata, name, cache) for name in names if name in available]
    return frozenset().union(*lists)


def recognise_page(path: Path, filename: str, number: int, settings: OcrSettings) -> Recognition:
    """Render page `number` at the OCR resolution and read it."""
    with open_pdf(path, filename) as doc:
        raw = render_for_ocr(doc, number, settings.dpi, settings.max_pixels)
    if raw is None:
        raise DamagedFile(filename, f"page {number} could not be rendered for text recognition")
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        image = Path(tmp) / "page.pgm"
        save_grey_image(raw, image)
        return recognise_image(image, settings.tesseract, filename, dpi=settings.dpi)


def recognise_photo(path: Path, filename: str, settings: OcrSettings) -> Recognition | None:
    """The photo's text, or None when the screening pass finds too few words to look for."""
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        image = Path(tmp) / "photo.pgm"
        photo_for_ocr(path, filename, image, SCREEN_PX, settings.max_pixels)
        screened = recognise_image(image, settings.tesseract, filename, sparse=True)
        if confident_words(screened) < SCREEN_WORDS:
            return None
        photo_for_ocr(path, filename, image, FULL_PX, settings.max_pixels)
        return recognise_image(image, settings.tesseract, filename, sparse=True)


def confident_words(recognition: Recognition) -> int:
    """Words of 3+ letters read with confidence (noise gives short or unsure ones)."""
    unsure = set(recognition.unsure)
    return sum(
        1
        for word in recognition.text.split()
        if word not in unsure and sum(ch.isalpha() for ch in word) >= 3
    )
