"""Photos without their location: every format's GPS removed in place, checked by reading
EXIF (and XMP) back; everything else, length included, kept."""

from __future__ import annotations

import io
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, PngImagePlugin

from archive.ingest.gpsstrip import location_patches
from archive.ingest.photos import LocationNotRemoved, open_without_gps
from tests.conftest import CORPUS

pillow_heif.register_heif_opener()

GPS_IFD, MAKE, ORIENTATION = 0x8825, 0x010F, 0x0112
POSITION = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0), 6: 34.5}
XMP_WITH_GPS = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,31.2N" '
    b'exif:GPSLongitude="13,24.0E"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
XMP_ORIENTATION = XMP_WITH_GPS.replace(
    b'exif:GPSLatitude="52,31.2N" exif:GPSLongitude="13,24.0E"', b'tiff:Orientation="3"'
)
MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "HEIF": "image/heic",
}


def exif_with_position() -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE], exif[ORIENTATION] = "Canon", 6
    exif.get_ifd(GPS_IFD).update(POSITION)
    return exif


def photo(tmp_path: Path, fmt: str, **save) -> Path:
    path = tmp_path / f"photo.{fmt.lower()}"
    Image.new("RGB", (64, 48), "blue").save(path, fmt, **save)
    return path


def stripped(path: Path, mime: str) -> bytes:
    with open_without_gps(path, mime) as copy:
        return copy.read()


def read_back(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return im.getexif()


@pytest.mark.parametrize("fmt", sorted(MIME))
def test_the_position_is_removed_and_everything_else_kept(tmp_path, fmt):
    path = photo(tmp_path, fmt, exif=exif_with_position().tobytes())
    before = read_back(path.read_bytes())
    assert before.get_ifd(GPS_IFD)[2] == POSITION[2]
    data = stripped(path, MIME[fmt])
    exif = read_back(data)
    assert dict(exif.get_ifd(GPS_IFD)) == {0: b"\x02\x02\x00\x00"}  # a version, no position
    # (pillow_heif reports HEIF's orientation as 1: HEIF rotates with its own box)
    assert (exif[MAKE], exif.get(ORIENTATION)) == ("Canon", before.get(ORIENTATION))
    assert len(data) == path.stat().st_size
    with Image.open(io.BytesIO(data)) as copy, Image.open(path) as original:
        assert copy.tobytes() == original.tobytes()


def test_a_png_copy_keeps_valid_checksums(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP_WITH_GPS.decode(), zip=True)
    path = photo(tmp_path, "PNG", exif=exif_with_position().tobytes(), pnginfo=info)
    data = stripped(path, "image/png")
    with Image.open(io.BytesIO(data)) as im:
        im.verify()  # checks every chunk's CRC
    with Image.open(io.BytesIO(data)) as im:
        assert "GPS" not in str(im.info.get("XML:com.adobe.xmp", ""))
        assert not im.getexif().get_ifd(GPS_IFD).get(2)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_xmp_naming_a_position_is_emptied_and_other_xmp_kept(tmp_path, fmt):
    with_gps = stripped(photo(tmp_path, fmt, xmp=XMP_WITH_GPS), MIME[fmt])
    assert b"GPSLatitude" not in with_gps and b"52,31.2N" not in with_gps
    (tmp_path / "other").mkdir()
    other = photo(tmp_path / "other", fmt, xmp=XMP_ORIENTATION)
    assert stripped(other, MIME[fmt]) == other.read_bytes()


def test_a_photo_without_a_position_is_sent_byte_for_byte(tmp_path, make_jpeg):
    path = make_jpeg(make="Nikon", taken="2023:07:25 10:00:00")
    assert stripped(path, "image/jpeg") == path.read_bytes()


def test_a_structure_that_cannot_be_followed_is_not_sent(tmp_path):
    path = photo(tmp_path, "JPEG", exif=exif_with_position().tobytes())
    data = bytearray(path.read_bytes())
    tiff = data.index(b"Exif\x00\x00") + 6
    data[tiff + 4 : tiff + 8] = (60000).to_bytes(4, "little")  # IFD0 outside the block
    path.write_bytes(bytes(data))
    with pytest.raises(LocationNotRemoved):
        open_without_gps(path, "image/jpeg")
    with pytest.raises(LocationNotRemoved):
        open_without_gps(path, "image/x-unknown")


def test_every_frame_of_a_multi_picture_file_loses_its_position(tmp_path):
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "green")]
    path = tmp_path / "stereo.mpo"
    exif = exif_with_position().tobytes()
    frames[0].save(path, "MPO", save_all=True, append_images=frames[1:], exif=exif)
    assert path.read_bytes().count(b"Exif\x00\x00") == 2
    data = stripped(path, "image/jpeg")
    with Image.open(io.BytesIO(data)) as im:
        for frame in range(im.n_frames):
            im.seek(frame)
            assert not im.getexif().get_ifd(GPS_IFD).get(2), frame


CORPUS_PHOTOS = CORPUS / "photos"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_PHOTOS.is_dir(), reason="the shared corpus is not present")
def test_real_camera_photos_lose_their_position(tmp_path):
    """Every real photo is either sent without a readable position in any frame, or not
    sent at all; the phone and camera photos known to carry one are all sent."""
    mime = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mpo": "image/jpeg"}
    mime |= {".png": "image/png", ".webp": "image/webp", ".heic": "image/heic"}
    sent, refused = [], []
    for path in sorted((CORPUS_PHOTOS / "camera").iterdir()) + sorted(
        (CORPUS_PHOTOS / "formats").iterdir()
    ):
        if path.suffix.lower() not in mime:
            continue
        try:
            data = stripped(path, mime[path.suffix.lower()])
        except LocationNotRemoved:
            refused.append(path.name)
            continue
        sent.append(path.name)
        assert len(data) == path.stat().st_size
        assert b"GPSLatitude" not in data
        with Image.open(io.BytesIO(data)) as im:
            for frame in range(getattr(im, "n_frames", 1)):
                im.seek(frame)
                gps = im.getexif().get_ifd(GPS_IFD)
                assert 2 not in gps and 4 not in gps, (path.name, frame)
    with_gps = {"DSCN0010.jpg", "canon_hdr_NO.jpg", "iphone_hdr_YES.jpg", "32-lens_data.jpeg"}
    assert with_gps <= set(sent), refused


def test_patches_never_change_the_length(tmp_path):
    path = photo(tmp_path, "JPEG", exif=exif_with_position().tobytes(), xmp=XMP_WITH_GPS)
    with path.open("rb") as fh:
        patches = location_patches(fh, "image/jpeg")
    assert patches and all(p.offset + len(p.data) <= path.stat().st_size for p in patches)
