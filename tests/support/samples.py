"""Sample files made in code: text PDFs of any length, photos in JPEG, PNG and WebP.

Used by the live-stack tests and the benchmarks, so that nothing large is committed. Every
generator is deterministic for a given seed.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

# Words that the load test searches for; every generated page uses several of them.
VOCABULARY = (
    "digital government services citizens platform survey innovation broadband "
    "cybersecurity interoperability registry identity payments mobile connectivity "
    "infrastructure transparency participation procurement cloud open data portal "
    "strategy capacity training statistics indicators regional cooperation agency "
    "evaluation framework standards privacy inclusion literacy rural access"
).split()

HELVETICA = DictionaryObject(
    {
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    }
)


def pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def add_text_page(
    writer: PdfWriter,
    lines: list[str],
    width: float = 720,
    height: float = 540,
    title_bar: bool = False,
    font_size: int = 24,
):
    """Append a landscape page showing `lines` in Helvetica (no lines: a page without text),
    optionally under a filled title bar like a slide."""
    page = writer.add_blank_page(width=width, height=height)
    font = writer._add_object(HELVETICA.clone(writer))
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    shown = " ".join(f"({pdf_escape(line)}) '" for line in lines)
    bar = f"0.2 0.3 0.6 rg 0 {height - 30} {width} 30 re f 0 g " if title_bar else ""
    top = height - (60 if title_bar else 40)
    text = f"BT /F1 {font_size} Tf {font_size + 4} TL 40 {top} Td {shown} ET"
    stream = DecodedStreamObject()
    stream.set_data((bar + text).encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    return page


def slide_lines(rng: random.Random, marker: str, number: int) -> list[str]:
    """A title and a few bullet lines from the vocabulary, tagged with `marker`."""
    lines = [f"{marker} slide {number}: {' '.join(rng.sample(VOCABULARY, 3))}"]
    for _ in range(rng.randint(4, 8)):
        lines.append("- " + " ".join(rng.choices(VOCABULARY, k=rng.randint(5, 9))))
    return lines


def make_pdf(pages: int, marker: str, seed: int = 0) -> bytes:
    """A slide deck of `pages` pages; every page names `marker` (a word unique to the file)."""
    rng = random.Random(f"{marker}:{seed}")
    writer = PdfWriter()
    for number in range(1, pages + 1):
        add_text_page(writer, slide_lines(rng, marker, number), title_bar=True, font_size=20)
    writer.add_metadata({"/Title": f"Deck {marker}", "/Author": "Load Test"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_image(
    fmt: str = "JPEG", size: tuple[int, int] = (1600, 1200), seed: int = 0, **save
) -> bytes:
    """A photo-like picture (gradients, shapes and noise) in `fmt` (JPEG, PNG or WEBP)."""
    rng = random.Random(seed)
    base = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.effect_noise(size, 30 + seed % 20),
        ],
    )
    draw = ImageDraw.Draw(base)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randint(20, max(21, size[0] // 6))
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    buffer = io.BytesIO()
    if fmt.upper() == "JPEG":
        save.setdefault("quality", 85)
    base.save(buffer, fmt, **save)
    return buffer.getvalue()


def make_broken_pdf(seed: int = 0) -> bytes:
    """Starts like a PDF (so it is accepted) but holds no readable document."""
    rng = random.Random(seed)
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(rng.randrange(256) for _ in range(4000))
