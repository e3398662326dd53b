"""Scanned decks and photos of slides made in code from real text PDFs.

A scan: every page rendered to an image with pdfium and wrapped back into a PDF that has no
text layer (Pillow writes one JPEG per page). A photo of a slide: the rendered slide set
into a dim room with perspective, blur and sensor noise. Deterministic for a given seed.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter
from pypdf import PdfReader, PdfWriter

from tests.support.samples import make_image

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "archive" / "demo" / "files"
ENGLISH_DECK = DEMO / "un-egov-survey-2022-findings.pdf"
RUSSIAN_DECK = DEMO / "elektronnoe-pravitelstvo-itu.pdf"
AZERBAIJANI_DECK = DEMO / "asan-xidmet-tecrubesi.pdf"


def render_pages(source: Path, dpi: int = 150) -> list[Image.Image]:
    """Every page of `source` as an RGB image at `dpi`."""
    doc = pdfium.PdfDocument(str(source))
    try:
        return [doc[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(doc))]
    finally:
        doc.close()


def page_texts(source: Path) -> list[str]:
    """The text layer of every page of `source` (the words a scan of it should give back)."""
    doc = pdfium.PdfDocument(str(source))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def scan_pdf(source: Path, out: Path, dpi: int = 150, seed: int = 0) -> Path:
    """An image-only PDF of `source`: pages rendered, slightly noisy, saved as JPEG pages."""
    rng = random.Random(seed)
    pages = [add_noise(page, rng, 12) for page in render_pages(source, dpi)]
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out


def mixed_pdf(text_source: Path, scan_source: Path, out: Path) -> Path:
    """The pages of a text PDF followed by the pages of an image-only PDF."""
    writer = PdfWriter()
    for source in (text_source, scan_source):
        for page in PdfReader(source).pages:
            writer.add_page(page)
    with open(out, "wb") as fh:
        writer.write(fh)
    return out


def add_noise(im: Image.Image, rng: random.Random, amount: int) -> Image.Image:
    """Gaussian sensor noise (sigma `amount`) drawn from `rng`. Not Pillow's effect_noise:
    it draws from C's rand(), whose state depends on all the process did before, so a scan
    made late in a long test run differed from one made in a fresh process."""
    draw = np.random.default_rng(rng.getrandbits(64))
    grey = draw.normal(128, amount, (im.height, im.width)).clip(0, 255).astype(np.uint8)
    noise = Image.fromarray(grey, "L").convert("RGB")
    return Image.blend(im, noise, 0.08 + rng.random() * 0.02)


def slide_photo(source: Path, page: int, out: Path, seed: int = 0) -> Path:
    """A photo-like JPEG of slide `page` (1-based) projected on a wall, seen at an angle."""
    rng = random.Random(seed)
    slide = render_pages(source, dpi=110)[page - 1]
    room = Image.new("RGB", (2000, 1500), (52, 47, 44))
    ImageDraw.Draw(room).rectangle((0, 1150, 2000, 1500), fill=(30, 28, 35))  # heads, desks
    w, h = slide.size
    target = 1600 / w
    slide = slide.resize((int(w * target), int(h * target)))
    w, h = slide.size
    skew = rng.randint(40, 80)
    # Perspective: the right edge of the screen is farther away, so shorter.
    coeffs = perspective_coefficients(
        [(0, 0), (w, skew), (w, h - skew), (0, h)], [(0, 0), (w, 0), (w, h), (0, h)]
    )
    tilted = slide.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).polygon([(0, 0), (w, skew), (w, h - skew), (0, h)], fill=255)
    room.paste(tilted, (200, 120), mask)
    room = room.filter(ImageFilter.GaussianBlur(1.0))
    room = add_noise(room, rng, 40)
    room.save(out, "JPEG", quality=85)
    return out


def perspective_coefficients(target: list[tuple], source: list[tuple]) -> list[float]:
    """The 8 coefficients Pillow's PERSPECTIVE transform needs to map `target` onto `source`."""
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=float)
    b = np.array([c for point in source for c in point], dtype=float)
    return np.linalg.solve(a, b).tolist()


def crowd_photo(out: Path, seed: int = 0) -> Path:
    """A photo-like picture with no text: gradients, blobs and noise."""
    out.write_bytes(make_image("JPEG", (1600, 1200), seed=seed))
    return out


def jpeg_bytes(im: Image.Image) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
