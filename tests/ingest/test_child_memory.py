"""Extraction children's memory: each child's peak RSS is logged when it is reaped, beside
the RSS it started with (inherited from its parent), and a long deck of full-page photos (page
labels and an outline on every page) grows a child by far less than the 300 MB target."""

import logging
import os
from pathlib import Path

from PIL import Image
from pypdf import PdfReader, PdfWriter

from archive.ingest.extract import ExtractSettings, run_extraction
from archive.ingest.sandbox import run_sandboxed, stop_children

PAGES = 120
GROWTH_BUDGET_MB = 150  # a child starts as big as its parent; this is what the file adds


def make_photo_deck(path: Path, pages: int) -> Path:
    """A PDF whose pages are each one 2400x1600 photo-like JPEG, with roman page labels
    for the front matter and a bookmark per page."""
    photos = [
        Image.merge(
            "RGB",
            [
                Image.linear_gradient("L").resize((2400, 1600)),
                Image.effect_noise((2400, 1600), 30 + n).convert("L"),
                Image.radial_gradient("L").resize((2400, 1600)),
            ],
        )  # fmt: skip
        for n in range(3)
    ]
    plain = path.with_suffix(".plain.pdf")
    photos[0].save(plain, "PDF", save_all=True, resolution=200.0,
                   append_images=[photos[n % 3] for n in range(1, pages)])  # fmt: skip
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.set_page_label(0, 3, style="/r")
    writer.set_page_label(4, pages - 1, style="/D", start=1)
    for number in range(pages):
        writer.add_outline_item(title=f"Photo {number + 1}", page_number=number)
    with open(path, "wb") as out:
        writer.write(out)
    return path


def test_a_reaped_child_logs_its_peak_rss(caplog):
    caplog.set_level(logging.INFO, logger="archive.ingest.forking")
    stop_children()  # children left by other tests log when reaped, too
    caplog.clear()
    pid = run_sandboxed(os.getpid, filename="x", timeout_s=10, memory_mb=256)
    stop_children()
    [record] = [r for r in caplog.records if hasattr(r, "child_peak_mb") and r.args[0] == pid]
    assert record.child_peak_mb > 0 and record.start_mb > 0
    assert "peak RSS" in record.getMessage()


def test_a_long_photo_deck_grows_its_child_little(tmp_path, caplog):
    path = make_photo_deck(tmp_path / "photos.pdf", PAGES)
    caplog.set_level(logging.INFO, logger="archive.ingest.forking")
    settings = ExtractSettings(timeout_s=300, memory_mb=1024)
    result = run_extraction("presentation", path, path.name, tmp_path / "out", settings)
    stop_children()
    assert result.info.page_count == PAGES
    assert [p.label for p in result.pages[:6]] == ["i", "ii", "iii", "iv", "1", "2"]
    assert len(result.info.outline) == PAGES and result.info.outline[-1].page_number == PAGES
    assert all(p.preview and p.thumbnail for p in result.pages)
    [record] = [r for r in caplog.records if hasattr(r, "child_peak_mb")]
    assert record.child_peak_mb - record.start_mb < GROWTH_BUDGET_MB, record.getMessage()
