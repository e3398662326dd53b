"""Photo derivatives: orientation, metadata stripping, colour modes, limits and damage."""

import io
import struct
import zlib
from datetime import datetime

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from archive.ingest.errors import DamagedFile, TooLarge
from archive.ingest.photos import process_photo

GRID, LIGHTBOX, MAX_PIXELS = 64, 160, 50_000_000


def process(path, out_dir, max_pixels=MAX_PIXELS):
    return process_photo(path, path.name, out_dir, GRID, LIGHTBOX, max_pixels)


def derived(out_dir, name):
    with Image.open(out_dir / name) as im:
        im.load()
        return im


def test_orientation_is_applied_and_reported(make_jpeg, out_dir):
    info = process(make_jpeg(size=(200, 100), orientation=6), out_dir)
    assert (info.width, info.height) == (100, 200)
    lightbox, grid = derived(out_dir, info.lightbox), derived(out_dir, info.grid)
    assert lightbox.size == (80, 160)
    assert grid.size == (32, 64)
    # Orientation 6 means "rotate 90° clockwise to view": the red top-left corner of the
    # stored pixels ends up top-right.
    red = lightbox.convert("RGB").getpixel((lightbox.width - 3, 3))
    assert red[0] > 200 and red[2] < 60


def test_exif_facts_are_read(make_jpeg, out_dir):
    path = make_jpeg(make="Canon\x00", model="EOS R5", taken="2024:05:01 10:30:00", gps=True)
    info = process(path, out_dir)
    assert (info.camera_make, info.camera_model) == ("Canon", "EOS R5")
    assert info.taken_at == datetime(2024, 5, 1, 10, 30)
    assert info.has_gps is True
    assert info.format == "JPEG"


def test_derived_images_carry_no_metadata(make_jpeg, out_dir):
    path = make_jpeg(make="Canon", taken="2024:05:01 10:30:00", gps=True, orientation=3)
    info = process(path, out_dir)
    for name in (info.lightbox, info.grid):
        with Image.open(out_dir / name) as im:
            assert not im.getexif()
            assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(im.info)
        raw = (out_dir / name).read_bytes()
        assert b"Exif" not in raw and b"Canon" not in raw


def test_missing_or_empty_exif_gives_empty_facts(make_jpeg, out_dir):
    info = process(make_jpeg(), out_dir)
    assert (info.taken_at, info.camera_make, info.has_gps) == (None, None, False)


def test_broken_exif_does_not_fail_a_decodable_photo(tmp_path, out_dir):
    path = tmp_path / "bad-exif.jpg"
    garbage_exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x09\x01\x0f\x00\x02\xff\xff"
    Image.new("RGB", (120, 80), "green").save(path, "JPEG", exif=garbage_exif)
    info = process(path, out_dir)
    assert (info.width, info.height) == (120, 80)
    assert derived(out_dir, info.lightbox).size == (120, 80)


def test_cmyk_is_converted_to_rgb(make_jpeg, out_dir):
    info = process(make_jpeg(mode="CMYK"), out_dir)
    assert derived(out_dir, info.lightbox).mode == "RGB"


def test_transparency_survives_in_the_grid_image(tmp_path, out_dir):
    path = tmp_path / "logo.png"
    Image.new("RGBA", (100, 100), (255, 0, 0, 0)).save(path)
    info = process(path, out_dir)
    assert derived(out_dir, info.grid).mode == "RGBA"
    assert derived(out_dir, info.lightbox).getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=3)


def test_animated_gif_uses_the_first_frame(tmp_path, out_dir):
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "blue", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    info = process(path, out_dir)
    assert derived(out_dir, info.lightbox).convert("RGB").getpixel((20, 20))[0] > 200


def test_heic_is_read(tmp_path, out_dir):
    path = tmp_path / "phone.heic"
    Image.new("RGB", (64, 48), "white").save(path, "HEIF")
    info = process(path, out_dir)
    assert (info.format, info.width, info.height) == ("HEIF", 64, 48)


def test_pixel_limit_is_enforced_before_decoding(make_jpeg, out_dir):
    with pytest.raises(TooLarge, match=r"photo.jpg: image too large \(200x100 pixels"):
        process(make_jpeg(), out_dir, max_pixels=10_000)


def gif_declaring(width: int, height: int) -> bytes:
    """A valid 1x1 GIF whose screen and image descriptor claim `width` x `height` pixels."""
    buffer = io.BytesIO()
    Image.new("P", (1, 1)).save(buffer, "GIF")
    data = bytearray(buffer.getvalue())
    data[6:10] = struct.pack("<HH", width, height)
    descriptor = data.index(b"\x2c")
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def test_decompression_bomb_is_too_large(tmp_path, out_dir):
    path = tmp_path / "bomb.gif"
    path.write_bytes(gif_declaring(65535, 65535))
    with pytest.raises(TooLarge, match="bomb.gif: decompression bomb"):
        process(path, out_dir, max_pixels=10**12)


def test_png_text_bomb_is_too_large(tmp_path, out_dir):
    path = tmp_path / "text-bomb.png"
    text = PngImagePlugin.PngInfo()
    text.add_text("comment", "x" * (PngImagePlugin.MAX_TEXT_CHUNK + 1), zip=True)
    Image.new("RGB", (8, 8)).save(path, pnginfo=text)
    assert path.stat().st_size < 20_000  # it really is a bomb: tiny file, huge text
    with pytest.raises(TooLarge, match="text-bomb.png: decompression bomb"):
        process(path, out_dir)


def test_truncated_jpeg_is_damaged(make_jpeg, out_dir):
    path = make_jpeg(size=(400, 300))
    path.write_bytes(path.read_bytes()[:1500])
    with pytest.raises(DamagedFile, match=r"photo.jpg: damaged image \(.*truncated"):
        process(path, out_dir)


def test_garbage_png_is_damaged(tmp_path, out_dir):
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + zlib.compress(b"nonsense") * 3)
    with pytest.raises(DamagedFile):
        process(path, out_dir)


def test_embedded_icc_profile_is_not_published(tmp_path, out_dir):
    path = tmp_path / "srgb.jpg"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (50, 40), "orange").save(path, icc_profile=srgb)
    info = process(path, out_dir)
    for name in (info.lightbox, info.grid):
        with Image.open(out_dir / name) as im:
            assert "icc_profile" not in im.info


def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path, out_dir):
    path = tmp_path / "scan16.png"
    Image.new("I;16", (40, 40), 32768).save(path)
    info = process(path, out_dir)
    grey = derived(out_dir, info.lightbox).getpixel((20, 20))
    assert grey == pytest.approx((128, 128, 128), abs=3)
