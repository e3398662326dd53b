"""GPS positions blanked in place in every photo format the archive accepts (the cases of
the first, in-memory version of the stripping, kept against the one streamed function)."""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image

from archive.ingest.photos import LocationNotRemoved, open_without_gps

pillow_heif.register_heif_opener()

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'exif:GPSLatitude="52,31.2N" drone-dji:GpsLongitude="13.40" dc:format="image/jpeg">'
    b"<exif:GPSAltitude>34/1</exif:GPSAltitude></rdf:Description></rdf:RDF></x:xmpmeta>"
)


MIMES = {b"\xff\xd8": "image/jpeg", b"\x89P": "image/png", b"RI": "image/webp"}


@pytest.fixture(autouse=True)
def _folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def without_location(data: bytes) -> bytes:
    """The GPS-free copy of `data`, through the one function downloads, links and bundles use."""
    mime = MIMES.get(data[:2])
    if mime is None:
        mime = "image/tiff" if data[:4] in (b"II*\x00", b"MM\x00*") else "image/heic"
    with open("photo", "wb") as fh:
        fh.write(data)
    with open_without_gps("photo", mime) as copy:
        return copy.read()


def photo(fmt: str, xmp: bool = False) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0)})
    out = io.BytesIO()
    extra = {"xmp": XMP} if xmp else {}
    Image.new("RGB", (64, 48), "blue").save(out, fmt, exif=exif.tobytes(), **extra)
    return out.getvalue()


def exif_of(data: bytes) -> Image.Exif:
    return Image.open(io.BytesIO(data)).getexif()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF", "HEIF"])
def test_the_gps_directory_is_emptied_and_nothing_else_changes(fmt):
    data = photo(fmt)
    assert dict(exif_of(data).get_ifd(0x8825))
    clean = without_location(data)
    assert len(clean) == len(data)
    assert set(exif_of(clean).get_ifd(0x8825)) <= {0}  # at most GPSVersionID, no position
    assert exif_of(clean).get(0x010F) == "Canon"
    assert Image.open(io.BytesIO(clean)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_an_xmp_packet_naming_a_position_is_emptied(fmt):
    # The packet is emptied rather than edited property by property: a position can hide
    # under any namespace's name, and an empty packet cannot keep one.
    data = photo(fmt, xmp=True)
    assert b"GPSLatitude" in data
    clean = without_location(data)
    assert len(clean) == len(data)
    assert b"GPS" not in clean and b"Gps" not in clean and b"52,31.2N" not in clean
    Image.open(io.BytesIO(clean)).load()


def test_photos_without_metadata_come_back_unchanged():
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    assert without_location(out.getvalue()) == out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\xff\xff" + bytes(32),
        b"\xff\xd8\x00\x00",
        b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x25\x88"
        + b"\x04\x00\x01\x00\x00\x00\xff\xff\x00\x00"
        + bytes(40),
    ],
)
def test_metadata_that_cannot_be_read_for_certain_is_refused(data):
    with pytest.raises(LocationNotRemoved):
        without_location(data)
