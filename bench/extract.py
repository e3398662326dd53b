"""Benchmark the extraction layer on one core: page text, page images, photo thumbnails, memory.

    python bench/extract.py FOLDER [--photo BIG.jpg] [--deck DECK.pdf]

Each figure is the median of --rounds rounds (the machine is shared: single runs vary by 25%).
Runs over the PDFs and photos found under FOLDER (recursively) and prints pages/s for text,
page images/s (one preview + one thumbnail per page), ms per photo for both derivatives, the
same for a 24-megapixel JPEG (generated if --photo is not given), the peak memory of a full
extraction of a 1,000-page PDF (built with pypdf from --deck or the first PDF found), and, when
/usr/bin/pdftotext exists, its pages/s on the same PDFs for reference.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402
from pypdf import PdfReader, PdfWriter  # noqa: E402

from archive.ingest.errors import IngestError  # noqa: E402
from archive.ingest.extract import ExtractSettings, extract_presentation  # noqa: E402
from archive.ingest.language import preload  # noqa: E402
from archive.ingest.photos import process_photo  # noqa: E402
from archive.ingest.render import open_pdf, page_text, render_images  # noqa: E402
from archive.ingest.sniff import sniff_file  # noqa: E402

PDFTOTEXT = Path("/usr/bin/pdftotext")
SETTINGS = ExtractSettings()
CLOCK = {"cpu": True}  # set from --clock in main()


def now() -> float:
    """This process's CPU seconds (default) or wall-clock seconds."""
    return time.process_time() if CLOCK["cpu"] else time.perf_counter()


def children_now() -> float:
    """CPU seconds of finished child processes (default) or wall-clock seconds."""
    if not CLOCK["cpu"]:
        return time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    args = parse_args()
    CLOCK["cpu"] = args.clock == "cpu"
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the targets say
    pdfs, photos = find_files(args.folder)
    print(f"{args.folder}: {len(pdfs)} PDFs, {len(photos)} photos; one core, {args.clock} time")
    preload()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if pdfs:
            bench_text(pdfs, args.rounds)
            bench_page_images(pdfs, work, args.rounds)
            bench_pdftotext(pdfs, args.rounds)
        if photos:
            bench_photos(photos, work)
        bench_big_photo(args.photo or make_big_jpeg(work), work)
        deck = args.deck or max(pdfs, key=lambda path: path.stat().st_size, default=None)
        if deck:
            bench_thousand_pages(deck, work)
    print(f"peak RSS of this process: {peak_rss_mb(resource.RUSAGE_SELF):.0f} MB")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder with PDFs and/or photos")
    parser.add_argument("--photo", type=Path, help="a large JPEG (default: a generated 24 MP)")
    parser.add_argument("--deck", type=Path, help="PDF to repeat into a 1,000-page document")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (median)")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu (default) is steady on a shared machine; wall includes waiting for the core",
    )
    return parser.parse_args()


def find_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """Sort the folder's files into PDFs and photos by content."""
    pdfs, photos = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            kind = sniff_file(path, path.name).kind
        except IngestError:
            continue
        (pdfs if kind == "presentation" else photos).append(path)
    return pdfs, photos


def bench_text(pdfs: list[Path], rounds: int) -> None:
    """pdfium text layer plus normalisation, every page of every PDF."""

    def one_page(doc: Any, index: int, work: Path) -> None:
        page = doc[index]
        page_text(page)
        page.close()

    pages, seconds = median_round(pdfs, one_page, None, rounds)
    print(f"text (pypdfium2 + normalise_text): {pages} pages, {pages / seconds:.0f} pages/s")


def median_round(
    pdfs: list[Path],
    per_page: Callable[[Any, int, Path | None], None],
    work: Path | None,
    rounds: int,
) -> tuple[int, float]:
    """Run `per_page` over every page of every PDF `rounds` times; return (pages, median s)."""
    timings, pages = [], 0
    for _ in range(rounds):
        pages, seconds = 0, 0.0
        for path in pdfs:
            try:
                with open_pdf(path, path.name) as doc:
                    started = now()
                    for index in range(len(doc)):
                        per_page(doc, index, work)
                    seconds += now() - started
                    pages += len(doc)
            except IngestError:
                continue
        timings.append(seconds)
    return pages, statistics.median(timings)


def bench_page_images(pdfs: list[Path], work: Path, rounds: int) -> None:
    """One render per page at the preview width, JPEG preview and WebP thumbnail from it."""

    def one_page(doc: Any, index: int, work: Path) -> None:
        page = doc[index]
        render_images(page, work, index + 1, SETTINGS.preview_width, SETTINGS.thumb_width)
        page.close()

    pages, seconds = median_round(pdfs, one_page, work, rounds)
    print(
        f"page images ({SETTINGS.preview_width} px JPEG preview + {SETTINGS.thumb_width} px "
        f"WebP thumbnail from one render): {pages / seconds:.0f} pages/s = "
        f"{2 * pages / seconds:.0f} image files/s ({1000 * seconds / pages:.1f} ms/page)"
    )


def bench_pdftotext(pdfs: list[Path], rounds: int) -> None:
    """poppler's pdftotext, one process per file, as a reference."""
    if not PDFTOTEXT.exists():
        print("pdftotext: not installed, skipped")
        return
    counts = {}
    for path in pdfs:
        try:
            with open_pdf(path, path.name) as doc:
                counts[path] = len(doc)
        except IngestError:
            continue
    timings = []
    for _ in range(rounds):
        started = children_now()
        for path in counts:
            command = [str(PDFTOTEXT), "-q", "-enc", "UTF-8", str(path), "-"]
            subprocess.run(command, capture_output=True, timeout=60, check=False)
        timings.append(children_now() - started)
    rate = sum(counts.values()) / statistics.median(timings)
    print(f"pdftotext (reference, a process per file): {rate:.0f} pages/s")


def bench_photos(photos: list[Path], work: Path) -> None:
    """Both derivatives of every photo in the folder."""
    timings = {}
    for path in photos:
        started = now()
        try:
            process_photo(
                path,
                path.name,
                work,
                SETTINGS.photo_grid_px,
                SETTINGS.photo_lightbox_px,
                SETTINGS.max_pixels,
            )
        except IngestError:
            continue
        timings[path.name] = 1000 * (now() - started)
    slowest = max(timings, key=timings.__getitem__)
    print(
        f"photos ({SETTINGS.photo_lightbox_px} px JPEG + {SETTINGS.photo_grid_px} px WebP): "
        f"{len(timings)} photos, median {statistics.median(timings.values()):.1f} ms, "
        f"slowest {timings[slowest]:.0f} ms ({slowest})"
    )


def make_big_jpeg(work: Path) -> Path:
    """Write a 6000x4000 (24 MP) JPEG with photo-like detail and EXIF orientation 6."""
    size = (6000, 4000)
    base = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.effect_noise(size, 40),
        ],
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    path = work / "synthetic-24mp.jpg"
    base.save(path, "JPEG", quality=90, exif=exif.tobytes())
    return path


def bench_big_photo(path: Path, work: Path, rounds: int = 5) -> None:
    """Median time for both derivatives of one large JPEG."""
    with Image.open(path) as im:
        megapixels = im.width * im.height / 1e6
    timings = []
    for _ in range(rounds):
        started = now()
        process_photo(
            path, path.name, work, SETTINGS.photo_grid_px, SETTINGS.photo_lightbox_px, 10**9
        )
        timings.append(1000 * (now() - started))
    print(
        f"{megapixels:.0f} MP JPEG ({path.name}), both derivatives: "
        f"median {statistics.median(timings):.0f} ms of {rounds}"
    )


def bench_thousand_pages(deck: Path, work: Path, target: int = 1000) -> None:
    """Full extraction of a 1,000-page PDF in a forked child; report its time and peak RSS."""
    big = work / "thousand.pdf"
    reader = PdfReader(deck)
    writer = PdfWriter()
    for index in range(target):
        writer.add_page(reader.pages[index % len(reader.pages)])
    with open(big, "wb") as fh:
        writer.write(fh)
    out = work / "thousand"
    out.mkdir()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            extract_presentation(big, big.name, out, SETTINGS)
        finally:
            os._exit(0)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    print(
        f"1,000-page PDF ({deck.name} repeated, {big.stat().st_size / 1e6:.0f} MB): full "
        f"extraction (text, images, language) {cpu:.1f} s CPU / {wall:.1f} s wall "
        f"({target / cpu:.0f} pages per CPU second), peak RSS {usage.ru_maxrss / 1024:.0f} MB, "
        f"exit status {os.waitstatus_to_exitcode(status)}"
    )
    shutil.rmtree(out)


def peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
