"""Regenerate the demo event's files in archive/demo/files (run by developers, not at run time).

Slides are HTML printed to PDF by Debian's chromium through Playwright, so that Azerbaijani
and Cyrillic text is embedded with real fonts; photos are drawn with Pillow and carry EXIF
(date, camera, GPS, one with Orientation=6) so the demo exercises the photo pipeline.

    .venv/bin/python scripts/make_demo_files.py             # decks and photos
    .venv/bin/python scripts/make_demo_files.py --photos    # photos only (no browser)

Photos carry DateTimeOriginal (and OffsetTimeOriginal where the demo says so) within the
programme's sessions, and their camera's make, model and serial, for placement by time.
"""

from __future__ import annotations

import html
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.demo.content import DEMO_CAMERA, NOTE, PHOTOS, PRESENTATIONS  # noqa: E402

OUT = ROOT / "archive" / "demo" / "files"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

SLIDE_CSS = """
@page { size: 1280px 720px; margin: 0; }
body { margin: 0; font-family: 'DejaVu Sans', sans-serif; }
.slide { width: 1280px; height: 720px; box-sizing: border-box; padding: 70px 90px;
  page-break-after: always; position: relative; background: #f4f7fb; color: #14213d; }
.slide.first { background: #0b4f8a; color: #fff; }
h1 { font-size: 54px; margin: 120px 0 30px; } h2 { font-size: 44px; margin: 0 0 40px; }
p { font-size: 30px; line-height: 1.5; margin: 0 0 18px; }
.note { position: absolute; bottom: 24px; left: 90px; font-size: 15px; opacity: .7; }
.num { position: absolute; bottom: 24px; right: 60px; font-size: 18px; }
"""


def slides_html(deck: dict) -> str:
    parts = []
    for number, (heading, body) in enumerate(deck["slides"], start=1):
        tag = "h1" if number == 1 else "h2"
        paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.split("\n"))
        parts.append(
            f'<section class="slide{" first" if number == 1 else ""}">'
            f"<{tag}>{html.escape(heading)}</{tag}>{paragraphs}"
            f'<div class="note">{html.escape(NOTE)}</div><div class="num">{number}</div></section>'
        )
    title = html.escape(deck["title"])
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{SLIDE_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def make_pdfs() -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        for deck in PRESENTATIONS:
            page.set_content(slides_html(deck))
            page.pdf(
                path=str(OUT / deck["file"]), width="1280px", height="720px", print_background=True
            )
        browser.close()


def make_photo(spec: dict, seed: int) -> None:
    rng = random.Random(seed)
    width, height = 1600, 1067
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    top, bottom = (
        (rng.randint(40, 90), rng.randint(60, 110), rng.randint(120, 170)),
        (210, 200, 185),
    )
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom))
        )
    for _ in range(14):  # people-ish shapes
        x, w = rng.randint(0, width - 120), rng.randint(60, 110)
        base = rng.randint(700, 1000)
        colour = tuple(rng.randint(20, 200) for _ in range(3))
        draw.rectangle([x, base - 260, x + w, base], fill=colour)
        draw.ellipse([x + w // 4, base - 330, x + 3 * w // 4, base - 270], fill=(224, 187, 150))
    font = ImageFont.truetype(FONT, 48)
    draw.rectangle([0, 0, width, 90], fill=(11, 79, 138))
    draw.text((30, 18), spec["title"], font=font, fill="white")
    exif = Image.Exif()
    make, model, serial = spec.get("camera", DEMO_CAMERA)
    exif[0x010F] = make
    exif[0x0110] = model
    exif[0x0132] = spec["taken"]
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = spec["taken"]
    if spec.get("offset"):
        ifd[0x9011] = spec["offset"]  # OffsetTimeOriginal
    if serial:
        ifd[0xA431] = serial  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (40.0, 24.0, 33.5), 3: "E", 4: (49.0, 52.0, 1.2)})
    if spec["file"] == "group-photo.jpg":  # stored sideways, as phones do
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    image.save(OUT / spec["file"], "JPEG", quality=72, exif=exif, optimize=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if "--photos" not in sys.argv[1:]:
        make_pdfs()
    for seed, spec in enumerate(PHOTOS):
        make_photo(spec, seed)
    for path in sorted(OUT.iterdir()):
        print(f"{path.stat().st_size:>8}  {path.name}")


if __name__ == "__main__":
    main()
