"""Fixture factories for ingest tests: tiny PDFs (pypdf) and photos (Pillow) made in code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

HELVETICA = DictionaryObject(
    {
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    }
)


def pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def add_text_page(writer: PdfWriter, lines: list[str], width: float = 720, height: float = 540):
    """Append a page showing `lines` in Helvetica (an empty list gives a page without text)."""
    page = writer.add_blank_page(width=width, height=height)
    font = writer._add_object(HELVETICA.clone(writer))
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    shown = " ".join(f"({pdf_escape(line)}) '" for line in lines)
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 24 Tf 28 TL 40 {height - 40} Td {shown} ET".encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    return page


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory writing a PDF whose pages show the given lines of text."""

    def make(
        pages: list[list[str]],
        name: str = "deck.pdf",
        user_password: str | None = None,
        metadata: dict[str, str] | None = None,
        outline: list[tuple[str, int]] | None = None,
    ) -> Path:
        writer = PdfWriter()
        for lines in pages:
            add_text_page(writer, lines)
        for title, page_index in outline or []:
            writer.add_outline_item(title=title, page_number=page_index)
        if metadata:
            writer.add_metadata(metadata)
        if user_password is not None:
            writer.encrypt(user_password, owner_password="owner-secret", algorithm="RC4-128")
        path = tmp_path / name
        with open(path, "wb") as fh:
            writer.write(fh)
        return path

    return make


def asymmetric_image(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """An image whose top-left corner is red and the rest blue, so orientation is visible."""
    im = Image.new("RGB", size, "blue")
    ImageDraw.Draw(im).rectangle((0, 0, size[0] // 4, size[1] // 4), fill="red")
    return im.convert(mode)


@pytest.fixture
def make_jpeg(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory writing a JPEG with optional EXIF orientation, camera, date and GPS."""

    def make(
        size: tuple[int, int] = (200, 100),
        name: str = "photo.jpg",
        orientation: int | None = None,
        make: str | None = None,
        model: str | None = None,
        taken: str | None = None,
        gps: bool = False,
        mode: str = "RGB",
    ) -> Path:
        exif = Image.Exif()
        if orientation:
            exif[0x0112] = orientation
        if make:
            exif[0x010F] = make
        if model:
            exif[0x0110] = model
        if taken:
            exif.get_ifd(0x8769)[0x9003] = taken
        if gps:
            exif.get_ifd(0x8825).update(
                {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0)}
            )
        path = tmp_path / name
        asymmetric_image(size, mode).save(path, "JPEG", exif=exif.tobytes(), quality=90)
        return path

    return make


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "derived"
    path.mkdir()
    return path
