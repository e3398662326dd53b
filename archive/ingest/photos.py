"""Photos and page bitmaps with Pillow: read EXIF facts, write small metadata-free derivatives.

PIL (and pillow_heif) are imported here and nowhere else; the PDF renderer hands its bitmaps
over as `RawImage` so that it never needs PIL itself.

Formats (measured on a 24 MP JPEG and on rendered slide pages, one core): large derivatives
(photo lightbox, page preview) are JPEG because WebP costs 5-7x more encoding time at those
sizes; small ones (photo grid, page thumbnail) are WebP, about a third smaller than JPEG for
~1 ms, because a grid page shows dozens of them. JPEG has no alpha, so transparent images are
flattened onto white for it.

Pillow's warnings are filtered with `warnings.catch_warnings`, which is process-wide: run this
inside the sandbox child (as `run_extraction` does), not from several threads at once.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from archive.ingest.bytepatch import NotUnderstood, Patch, PatchedReader
from archive.ingest.errors import DamagedFile, IngestError, TooLarge, describe_error
from archive.ingest.gpsstrip import location_patches
from archive.storage import page_file, photo_file

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()
# Import every Pillow plugin now, in the worker: lazily importing the WebP writer inside a
# memory-limited sandbox child can fail and surface as a baffling KeyError('WEBP').
Image.init()
# One decoder thread: every extra thread reserves stack and a malloc arena, which counts
# against the sandbox's address-space ceiling.
pillow_heif.options.DECODE_THREADS = 1

GRID_NAME = photo_file("grid")
LIGHTBOX_NAME = photo_file("lightbox")
JPEG_OPTIONS: dict[str, Any] = {"quality": 85}
WEBP_OPTIONS: dict[str, Any] = {"quality": 80, "method": 2}  # method 4: 2x slower, 4% smaller
MAX_EXIF_TEXT = 100
JPEG_FORMATS = {"JPEG", "MPO"}
NEAREST_ONLY_MODES = {"1", "P", "PA"}  # Pillow resizes these with NEAREST: convert first

TAG_MAKE, TAG_MODEL, TAG_DATETIME = 0x010F, 0x0110, 0x0132
TAG_ARTIST, TAG_COPYRIGHT = 0x013B, 0x8298
# What precedes a name in a Copyright tag: ©, (c), the word, a year, "by".
COPYRIGHT_RE = re.compile(r"^(?:\s*(?:©|\(c\)|copyright\b|\d{4}(?:-\d{4})?|by\b)[\s,.:]*)+", re.I)
IFD_EXIF, IFD_GPS = 0x8769, 0x8825
TAG_DATETIME_ORIGINAL, TAG_OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
TAG_BODY_SERIAL, TAG_CAMERA_SERIAL = 0xA431, 0xC62F  # Exif IFD; IFD0 (DNG, older cameras)
GPS_LATITUDE, GPS_LONGITUDE = 2, 4
EXIF_DATE_RE = re.compile(r"(\d{4}):(\d\d):(\d\d)[ T](\d\d):(\d\d):(\d\d)")
OFFSET_RE = re.compile(r"([+-])(\d\d):(\d\d)")
SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class PhotoInfo:
    """What a photo shows: size after EXIF orientation, source format, camera facts, and the
    names of the derived images written to the output folder."""

    width: int
    height: int
    format: str
    taken_at: datetime | None = None  # aware when EXIF gave the UTC offset, else naive
    camera_make: str | None = None
    camera_model: str | None = None
    has_gps: bool = False
    photographer: str | None = None
    camera_serial: str | None = None
    grid: str = GRID_NAME
    lightbox: str = LIGHTBOX_NAME


class LocationNotRemoved(Exception):
    """A photo's GPS position could not be removed with certainty: do not send the original."""


@dataclass(frozen=True)
class RawImage:
    """Uncompressed pixels from another library (`mode` is a PIL raw mode such as "RGB")."""

    mode: str
    width: int
    height: int
    stride: int
    pixels: Any  # any object supporting the buffer protocol


@dataclass(frozen=True)
class PageImages:
    """File names (inside the output folder) of one page's preview and thumbnail."""

    preview: str
    thumbnail: str


@dataclass(frozen=True)
class ExifFacts:
    taken_at: datetime | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    has_gps: bool = False
    photographer: str | None = None
    camera_serial: str | None = None


def process_photo(
    path: Path | str,
    filename: str,
    out_dir: Path | str,
    grid_px: int,
    lightbox_px: int,
    max_pixels: int,
) -> PhotoInfo:
    """Write grid and lightbox derivatives (no metadata) of a photo and return its facts."""
    out = Path(out_dir)
    with pillow_errors(filename), open_image(path, filename, max_pixels) as im:
        source_format = im.format or "unknown"
        facts = read_exif_facts(im)
        full_size = im.size
        small, swapped = shrink_and_orient(im, lightbox_px)
    with pillow_errors(filename):
        small = to_display_colours(small)
        save_jpeg(small, out / LIGHTBOX_NAME)
        save_webp(fit_within(small, grid_px), out / GRID_NAME)
    width, height = reversed(full_size) if swapped else full_size
    return PhotoInfo(width, height, source_format, **asdict(facts))


@contextmanager
def open_image(path: Path | str, filename: str, max_pixels: int) -> Iterator[Image.Image]:
    """Open an image lazily and refuse it before decoding if it has too many pixels."""
    with Image.open(path) as im:
        width, height = im.size
        if width * height > max_pixels:
            raise TooLarge(
                filename, f"image too large ({width}x{height} pixels; the limit is {max_pixels:,})"
            )
        yield im


@contextmanager
def pillow_errors(filename: str) -> Iterator[None]:
    """Turn Pillow's many failure types into `TooLarge` or `DamagedFile`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" and friends: not our user's
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (IngestError, MemoryError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge(filename, f"decompression bomb ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise DamagedFile(filename, "damaged image (no image reader recognises it)") from exc
    except ValueError as exc:
        if "too large" in str(exc).lower():  # PNG text-chunk bombs raise ValueError
            raise TooLarge(filename, f"decompression bomb ({exc})") from exc
        raise DamagedFile(filename, f"damaged image ({describe_error(exc)})") from exc
    # Decoders raise OSError (truncated), SyntaxError, EOFError, struct.error, IndexError...
    except Exception as exc:
        raise DamagedFile(filename, f"damaged image ({describe_error(exc)})") from exc


def shrink_and_orient(im: Image.Image, box_px: int) -> tuple[Image.Image, bool]:
    """Decode once at the reduced size a `box_px` image needs, shrink to `box_px`, then apply
    EXIF orientation to the shrunk image (in that order: measured 2.8x faster and 3x less
    memory than orienting first). Returns (image, swapped)."""
    im = decode_for(im, box_px)
    size = fitted_size(im.size, box_px)
    # One resize from the draft: thumbnail() re-drafts and copies first, and a bilinear
    # filter (antialiased when shrinking) is enough for a factor below 2 (measured on a 24 MP
    # JPEG decoded at half size: thumbnail 75 ms, bicubic 49 ms, bilinear 30 ms).
    small = im.resize(size, Image.Resampling.BILINEAR) if size != im.size else im
    oriented = apply_orientation(small)
    return oriented, oriented.size != small.size


def decode_for(im: Image.Image, box_px: int) -> Image.Image:
    """Decode now: a JPEG at the smallest DCT scale (1/2, 1/4, 1/8) still covering `box_px`,
    others whole; palette and bilevel images come back in a mode that resizes smoothly."""
    if im.format in JPEG_FORMATS:
        im.draft(None, (box_px, box_px))
    im.load()
    if im.mode in NEAREST_ONLY_MODES:
        im = im.convert("RGBA" if has_transparency(im) else "RGB")
    return im


def fitted_size(size: tuple[int, int], box_px: int) -> tuple[int, int]:
    """`size` scaled to fit a `box_px` square, never enlarged, aspect kept."""
    width, height = size
    scale = min(1.0, box_px / width, box_px / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def has_transparency(im: Image.Image) -> bool:
    """True when the image has an alpha channel or a transparent palette entry."""
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info


def apply_orientation(im: Image.Image) -> Image.Image:
    """Rotate/flip by EXIF (or XMP) orientation; a broken orientation tag is ignored."""
    try:
        return ImageOps.exif_transpose(im) or im
    except Exception as exc:  # noqa: BLE001 - broken EXIF must not fail a decodable photo
        logger.debug("ignoring unreadable orientation: %s", describe_error(exc))
        return im


def to_display_colours(im: Image.Image) -> Image.Image:
    """Convert to sRGB RGB (or RGBA if transparent), using an embedded ICC profile if any."""
    target = "RGBA" if has_transparency(im) else "RGB"
    icc = im.info.get("icc_profile")
    converted = convert_with_profile(im, icc, target) if icc else None
    if converted is None:
        converted = convert_plain(im, target)
    converted.info = {}  # no EXIF, XMP, ICC or comments in what we publish
    return converted


def convert_with_profile(im: Image.Image, icc: bytes, target: str) -> Image.Image | None:
    """Apply the embedded profile to reach sRGB; None if the profile is sRGB or unusable."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return None
        if im.mode not in ("RGB", "RGBA", "CMYK", "L"):
            return None
        return ImageCms.profileToProfile(im, profile, SRGB, outputMode=target)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        logger.debug("ignoring unusable ICC profile: %s", describe_error(exc))
        return None


def convert_plain(im: Image.Image, target: str) -> Image.Image:
    """Convert any Pillow mode to RGB/RGBA, scaling 16-bit and float data instead of clipping."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        im = im.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif im.mode == "F":
        im = im.convert("L")
    return im if im.mode == target else im.convert(target)


def fit_within(im: Image.Image, box_px: int) -> Image.Image:
    """A copy shrunk to fit a `box_px` square (never enlarged): box-averaged to about the
    size, then resampled to it (16 ms -> 3 ms for the grid image from a 1600 px one)."""
    size = fitted_size(im.size, box_px)
    if size == im.size:
        return im.copy()
    factor = min(im.width // size[0], im.height // size[1])
    reduced = im.reduce(factor) if factor > 1 else im
    if reduced.size == size:
        return reduced
    return reduced.resize(size, Image.Resampling.BICUBIC)


def save_jpeg(im: Image.Image, path: Path) -> None:
    """Write a metadata-free JPEG, flattening transparency onto white."""
    if im.mode != "RGB":
        background = Image.new("RGB", im.size, "white")
        background.paste(im, mask=im.getchannel("A") if "A" in im.getbands() else None)
        im = background
    im.save(path, "JPEG", **JPEG_OPTIONS)


def save_webp(im: Image.Image, path: Path) -> None:
    """Write a metadata-free WebP."""
    im.save(path, "WEBP", **WEBP_OPTIONS)


def read_exif_facts(im: Image.Image) -> ExifFacts:
    """Read date, camera and GPS presence; each unreadable field is simply left empty."""
    try:
        exif = im.getexif()
    except Exception as exc:  # noqa: BLE001 - broken EXIF must not fail a decodable photo
        logger.debug("ignoring unreadable EXIF: %s", describe_error(exc))
        return ExifFacts()
    return ExifFacts(
        taken_at=exif_field(read_taken_at, exif),
        camera_make=exif_field(lambda e: exif_text(e.get(TAG_MAKE)), exif),
        camera_model=exif_field(lambda e: exif_text(e.get(TAG_MODEL)), exif),
        has_gps=bool(exif_field(read_has_gps, exif)),
        photographer=exif_field(read_photographer, exif),
        camera_serial=exif_field(read_serial, exif),
    )


def read_photographer(exif: Image.Exif) -> str | None:
    """The Artist tag, else the name in the Copyright tag ("© 2023 Ann Lee" -> "Ann Lee")."""
    artist = exif_text(exif.get(TAG_ARTIST))
    if artist:
        return artist
    holder = COPYRIGHT_RE.sub("", exif_text(exif.get(TAG_COPYRIGHT)) or "").strip(" .,;")
    return holder or None


def read_photo_facts(path: Path | str, filename: str) -> ExifFacts:
    """EXIF facts alone, without decoding pixels: for photos stored before a fact was kept."""
    with pillow_errors(filename), Image.open(path) as im:
        return read_exif_facts(im)


def exif_field(reader: Any, exif: Image.Exif) -> Any:
    """Run one field reader; a malformed field yields None instead of an error."""
    try:
        return reader(exif)
    except Exception as exc:  # noqa: BLE001 - one bad tag must not lose the others
        logger.debug("ignoring unreadable EXIF field: %s", describe_error(exc))
        return None


def read_taken_at(exif: Image.Exif) -> datetime | None:
    """Return DateTimeOriginal (with OffsetTimeOriginal if given), else DateTime."""
    sub = exif.get_ifd(IFD_EXIF)
    taken = parse_exif_date(exif_text(sub.get(TAG_DATETIME_ORIGINAL)))
    if taken is None:
        return parse_exif_date(exif_text(exif.get(TAG_DATETIME)))
    offset = OFFSET_RE.fullmatch(exif_text(sub.get(TAG_OFFSET_TIME_ORIGINAL)) or "")
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return taken.replace(tzinfo=timezone(-delta if sign == "-" else delta))
    return taken


def read_serial(exif: Image.Exif) -> str | None:
    """The camera body's serial number, which tells two cameras of one model apart."""
    serial = exif.get_ifd(IFD_EXIF).get(TAG_BODY_SERIAL) or exif.get(TAG_CAMERA_SERIAL)
    return exif_text(serial)


def parse_exif_date(text: str | None) -> datetime | None:
    """Parse "YYYY:MM:DD HH:MM:SS"; None for blanks and impossible dates like 0000:00:00."""
    match = EXIF_DATE_RE.match(text or "")
    if not match:
        return None
    try:
        return datetime(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def open_without_gps(path: Path | str, mime: str) -> PatchedReader:
    """The original photo as a read-only file without its GPS position (nor XMP naming one),
    every other byte kept, streamed from the original. `LocationNotRemoved` when that
    cannot be made sure of."""
    patches = location_free_patches(path, mime)
    return PatchedReader(open(path, "rb"), patches)  # the reader owns the file and closes it


def location_free_patches(path: Path | str, mime: str) -> list[Patch]:
    """The patches (see `gpsstrip`) that remove a photo's position, checked by reading the
    patched copy back with Pillow; `LocationNotRemoved` when any doubt remains. Kept by
    callers that open the copy later (a ZIP names and sizes its members first)."""
    with open(path, "rb") as fh:
        try:
            patches = location_patches(fh, mime)
        except NotUnderstood as exc:
            raise LocationNotRemoved(f"{Path(path).name}: {exc}") from exc
        if (doubt := remaining_location(PatchedReader(fh, patches))) is not None:
            raise LocationNotRemoved(f"{Path(path).name}: {doubt}")
    return patches


def remaining_location(copy: PatchedReader) -> str | None:
    """Why the copy may still give a position away (Pillow reads its EXIF as most viewers
    do), or None; a copy whose metadata cannot be read back is not trusted either."""
    try:  # buffered: Pillow reads headers a few bytes at a time
        with Image.open(io.BufferedReader(copy)) as im:
            return "the GPS position is still readable" if read_has_gps(im.getexif()) else None
    except Exception as exc:  # noqa: BLE001 - any doubt means the original is not sent
        return f"its metadata could not be read back ({describe_error(exc)})"
    finally:
        copy.seek(0)


def read_has_gps(exif: Image.Exif) -> bool:
    """True when the GPS IFD holds a position (an empty GPS IFD is common and means no)."""
    gps = exif.get_ifd(IFD_GPS)
    return GPS_LATITUDE in gps and GPS_LONGITUDE in gps


def exif_text(value: Any) -> str | None:
    """Return an EXIF ASCII value as clean text (no NULs, trimmed, capped), or None."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
    return text[:MAX_EXIF_TEXT] or None


def save_page_images(
    raw: RawImage, out_dir: Path | str, number: int, thumb_width: int
) -> PageImages:
    """Encode a rendered page as a JPEG preview and a WebP thumbnail derived from the same
    pixels."""
    out = Path(out_dir)
    size, mode = (raw.width, raw.height), "RGBX" if len(raw.mode) == 4 else "RGB"
    page = Image.frombuffer(mode, size, raw.pixels, "raw", raw.mode, raw.stride, 1)
    names = PageImages(page_file(number, "preview"), page_file(number, "thumb"))
    page.save(out / names.preview, "JPEG", **JPEG_OPTIONS)
    save_webp(shrink_to_width(page, thumb_width), out / names.thumbnail)
    return names


def shrink_to_width(im: Image.Image, width: int) -> Image.Image:
    """Shrink by box-averaging to about the width, then resample to it exactly (4x faster than
    a Lanczos resize of the whole bitmap, and as sharp at thumbnail size)."""
    height = max(1, round(im.height * width / im.width))
    factor = im.width // width
    reduced = im.reduce(factor) if factor > 1 else im
    if reduced.size == (width, height):
        return reduced
    return reduced.resize((width, height), Image.Resampling.BICUBIC)


# ---------------------------------------------------------------------------- for recognition


def save_grey_image(raw: RawImage, path: Path | str) -> None:
    """Write a grey bitmap (from the PDF renderer) as PGM, which Tesseract reads as is."""
    im = Image.frombuffer(raw.mode, (raw.width, raw.height), raw.pixels, "raw", raw.mode,
                          raw.stride, 1)  # fmt: skip
    im.convert("L").save(path, "PPM")


def photo_for_ocr(
    path: Path | str, filename: str, out_path: Path | str, box_px: int, max_pixels: int
) -> tuple[int, int]:
    """Write the photo upright, in grey, within `box_px` as PGM for Tesseract; its size."""
    with pillow_errors(filename), open_image(path, filename, max_pixels) as im:
        small, _ = shrink_and_orient(im, box_px)
        grey = to_display_colours(small).convert("L")
        grey.save(out_path, "PPM")
        return grey.size
