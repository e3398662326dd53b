"""Type is decided by content: accepted formats, and rejections that say what the file is."""

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from archive.ingest.errors import UnsupportedType
from archive.ingest.sniff import sniff_file


def image_file(tmp_path: Path, fmt: str, name: str, **options) -> Path:
    path = tmp_path / name
    Image.new("RGB", (8, 8), "green").save(path, fmt, **options)
    return path


@pytest.mark.parametrize(
    ("fmt", "mime", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
        ("TIFF", "image/tiff", "tif"),
        ("HEIF", "image/heic", "heic"),
    ],
)
def test_photos_are_recognised_by_content_not_name(tmp_path, fmt, mime, extension):
    import archive.ingest.photos  # noqa: F401 - registers the HEIF writer used here

    sniffed = sniff_file(image_file(tmp_path, fmt, "upload.bin"), "upload.bin")
    assert (sniffed.kind, sniffed.mime, sniffed.extension) == ("photo", mime, extension)


def test_pdf_with_junk_before_the_header_is_a_pdf(tmp_path, make_pdf):
    path = make_pdf([["Hello"]])
    path.write_bytes(b"\x00" * 300 + b"garbage\n" + path.read_bytes())
    assert sniff_file(path, "deck.pdf").kind == "presentation"


def test_pdf_header_beyond_the_first_kilobyte_is_not_a_pdf(tmp_path, make_pdf):
    path = make_pdf([["Hello"]])
    path.write_bytes(b" " * 2000 + path.read_bytes())
    with pytest.raises(UnsupportedType):
        sniff_file(path, "deck.pdf")


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"<!DOCTYPE html><html><body>Error 404</body></html>", "deck.pdf", "HTML page"),
        (b"\xef\xbb\xbf  <html lang=en>", "deck.pdf", "HTML page"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "photo.jpg", "Windows executable"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 32, "photo.jpg", "Linux executable"),
        (b"", "deck.pdf", "empty"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "a.svg", "SVG"),
        (b"Just some notes from the workshop.\n", "notes.pdf", "plain text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "talk.ppt", "97-2003"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 16, "deck.pdf", "gzip"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "clip.jpg", "video"),
        (bytes(range(256)) * 4, "blob.pdf", "unrecognised binary"),
    ],
)
def test_rejections_name_what_the_content_looks_like(tmp_path, content, name, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnsupportedType) as caught:
        sniff_file(path, name)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"{name}: ")
    assert caught.value.code == "unsupported-type"


@pytest.mark.parametrize(
    ("member", "expected"), [("ppt/presentation.xml", "PowerPoint"), ("word/document.xml", "Word")]
)
def test_office_zip_files_are_named(tmp_path, member, expected):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<x/>")
    path = tmp_path / "talk.pdf"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnsupportedType, match=expected):
        sniff_file(path, "talk.pdf")


def test_plain_zip_is_named(tmp_path):
    path = tmp_path / "photos.jpg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "x")
    with pytest.raises(UnsupportedType, match="ZIP archive"):
        sniff_file(path, "photos.jpg")
