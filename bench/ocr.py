"""Text recognition: speed on one core, words recovered on rasterised real slides, the time a
scanned deck takes to become searchable, and whether OCR delays text decks in the queue.

    .venv/bin/python bench/ocr.py [--corpus ../shared/corpus] [--sample 4] [--dpi 300]
                                   [--sweep 150,200,300] [--deck-pages 40] [--skip-queue]

1. Pages/s on one core: the archive's path (pdfium renders the page in grey at the OCR
   resolution, Tesseract reads it; OMP_THREAD_LIMIT=1), next to the reference pipeline
   `pdftoppm -gray -r DPI` + `tesseract` on the same pages in the same run.
2. Words recovered: every SAMPLE-th page of real slide decks with a text layer is rendered
   to an image and read; the share of the text layer's words (a multiset, lowercased and
   folded as search compares them, 2+ letters) found again in the recognised text, per
   language. `--sweep` repeats it at other
   resolutions; each extra language's cost is measured on the English pages.
3. A DECK_PAGES-page scanned deck (pages of the corpus slides rendered and wrapped back into
   an image-only PDF): seconds from upload to ready (searchable by its title), and to every
   page recognised and indexed (searchable by a phrase of its last page).
4. The queue (SQLite, one worker thread, as a default `flask worker`): the time a text deck
   takes from upload to searchable while the scanned deck is being recognised, next to the
   same upload with the queue idle.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["OMP_THREAD_LIMIT"] = "1"

import pypdfium2 as pdfium  # noqa: E402
from PIL import Image  # noqa: E402

from archive import ingest, pipeline, tasks  # noqa: E402
from archive.catalogue import EventDetails, create_event  # noqa: E402
from archive.extensions import db  # noqa: E402
from archive.fulltext import AccessScope, SearchRequest  # noqa: E402
from archive.fulltext.analysis import fold  # noqa: E402
from archive.ingest.ocr import Tesseract, recognise_image  # noqa: E402
from archive.ingest.photos import save_grey_image  # noqa: E402
from archive.ingest.render import open_pdf, render_for_ocr  # noqa: E402
from archive.ingest.textnorm import normalise_text  # noqa: E402
from archive.models import Item, OcrState  # noqa: E402
from archive.services import current_index, current_storage  # noqa: E402
from tests.conftest import make_app  # noqa: E402
from tests.support.samples import make_pdf  # noqa: E402

WORD_RE = re.compile(r"[^\W\d_]{2,}")
MAX_PIXELS = 100_000_000


def words(text: str) -> Counter:
    """Words as search compares them: lowercased and folded (ё = е, ə = e...), 2+ letters."""
    return Counter(fold(w.lower()) for w in WORD_RE.findall(normalise_text(text)))


def recovered(layer: Counter, found: Counter) -> tuple[int, int]:
    """(words of the layer found again, words of the layer)."""
    return sum(min(n, found[w]) for w, n in layer.items()), sum(layer.values())


def sample_pages(corpus: Path, sample: int) -> dict[str, list[tuple[Path, int, str]]]:
    """(file, page, text layer) per language: the corpus slides (English), the demo decks
    (Russian, Azerbaijani, English) and the corpus's Russian text pages."""
    demo = ROOT / "archive" / "demo" / "files"
    sources = {
        "en": sorted((corpus / "pdfs" / "slides").glob("*.pdf"))
        + [
            demo / "un-egov-survey-2022-findings.pdf",
            demo / "cooperation-for-digital-government.pdf",
        ],
        "ru": [demo / "elektronnoe-pravitelstvo-itu.pdf"],
        # Not slides: small print on A4 forms, reported apart.
        "ru-forms": [corpus / "pdfs" / "nonlatin" / n for n in ("issue2840.pdf", "bug1473809.pdf")],
        "az": [demo / "asan-xidmet-tecrubesi.pdf"],
    }
    chosen: dict[str, list] = {}
    for language, files in sources.items():
        for path in files:
            if not path.is_file():
                continue
            doc = pdfium.PdfDocument(str(path))
            step = sample if language == "en" and "slides" in str(path) else 1
            for index in range(0, len(doc), step):
                text = doc[index].get_textpage().get_text_range()
                if len(WORD_RE.findall(text)) >= 1:
                    chosen.setdefault(language, []).append((path, index + 1, text))
            doc.close()
    return chosen


def archive_read(path: Path, number: int, dpi: int, languages: str, tmp: Path):
    """The archive's path for one page: (recognised text, render seconds, OCR seconds)."""
    started = time.perf_counter()
    with open_pdf(path, path.name) as doc:
        raw = render_for_ocr(doc, number, dpi, MAX_PIXELS)
    image = tmp / "page.pgm"
    save_grey_image(raw, image)
    rendered = time.perf_counter()
    result = recognise_image(image, Tesseract("tesseract", languages, 120), path.name, dpi=dpi)
    return result.text, rendered - started, time.perf_counter() - rendered


def reference_read(path: Path, number: int, dpi: int, languages: str, tmp: Path) -> float:
    """pdftoppm + tesseract on the same page: seconds."""
    started = time.perf_counter()
    prefix = tmp / "ref"
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(dpi), "-f", str(number), "-l", str(number),
         "-singlefile", str(path), str(prefix)],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["tesseract", f"{prefix}.pgm", "stdout", "-l", languages, "--dpi", str(dpi)],
        check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def measure_recovery(pages, dpi: int, languages: dict[str, str], with_reference: bool) -> None:
    print(f"\n== {dpi} dpi ==")
    with tempfile.TemporaryDirectory() as tmp:
        for language, chosen in pages.items():
            got = total = 0
            render_s = ocr_s = reference_s = 0.0
            for path, number, layer in chosen:
                text, r, o = archive_read(path, number, dpi, languages[language], Path(tmp))
                hit, count = recovered(words(layer), words(text))
                got, total = got + hit, total + count
                render_s, ocr_s = render_s + r, ocr_s + o
                if with_reference:
                    reference_s += reference_read(path, number, dpi, languages[language], Path(tmp))
            n = len(chosen)
            line = (
                f"{language} ({languages[language]}): {n} pages, words recovered "
                f"{got}/{total} = {100 * got / max(total, 1):.1f}%; archive "
                f"{n / (render_s + ocr_s):.2f} pages/s (render {1000 * render_s / n:.0f} ms, "
                f"Tesseract {1000 * ocr_s / n:.0f} ms per page)"
            )
            if with_reference:
                line += f"; reference pdftoppm+tesseract {n / reference_s:.2f} pages/s"
            print(line)


def measure_languages(pages, dpi: int) -> None:
    """Each extra language's cost on the same English pages."""
    print(f"\n== cost of each extra language (English pages, {dpi} dpi) ==")
    chosen = pages["en"][:20]
    with tempfile.TemporaryDirectory() as tmp:
        for languages in ("eng", "eng+rus", "eng+rus+aze"):
            seconds = got = total = 0
            for path, number, layer in chosen:
                text, _, ocr = archive_read(path, number, dpi, languages, Path(tmp))
                hit, count = recovered(words(layer), words(text))
                seconds, got, total = seconds + ocr, got + hit, total + count
            print(
                f"{languages:12} {1000 * seconds / len(chosen):6.0f} ms per page, "
                f"recovered {100 * got / total:.1f}%"
            )


def scanned_deck(corpus: Path, pages: int, out: Path, dpi: int = 150) -> tuple[Path, str]:
    """An image-only PDF of `pages` corpus slide pages, and a phrase of its last page."""
    images, last_text = [], ""
    for path in sorted((corpus / "pdfs" / "slides").glob("*.pdf")):
        doc = pdfium.PdfDocument(str(path))
        for index in range(len(doc)):
            if len(images) == pages:
                break
            page = doc[index]
            images.append(page.render(scale=dpi / 72).to_pil().convert("RGB"))
            last_text = page.get_textpage().get_text_range()
        doc.close()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    phrase = " ".join(WORD_RE.findall(last_text)[:3])
    return out, phrase


def time_scanned_deck(corpus: Path, pages: int, dpi: int) -> None:
    """Upload to ready, and to searchable by the last page's words, through the pipeline."""

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), OCR="auto", OCR_DPI=dpi)
        with app.app_context():
            event = make_event()
            deck, phrase = scanned_deck(corpus, pages, Path(tmp) / "scan.pdf")
            started = time.perf_counter()
            item = accept(current_storage(), deck, event)
            pipeline.process_item(item.id, "bench:1")
            ready = time.perf_counter() - started
            pipeline.recognise_item(item.id, "bench:1")
            pipeline.index_pending(wait=True)
            searchable = time.perf_counter() - started
            scope = AccessScope(include_staff_only=True)
            found = current_index().search(SearchRequest(f'"{phrase}"', scope=scope))
            hit = [(g.item_id, g.best.page) for g in found.groups]
            print(
                f"\n== a {pages}-page scanned deck, {dpi} dpi ==\nready (title searchable) after "
                f"{ready:.1f} s; every page recognised and indexed after {searchable:.1f} s "
                f"({pages / (searchable - ready):.2f} pages/s); '{phrase}' found at {hit}"
            )


def make_event():

    event = create_event("bench-ocr", EventDetails(title="OCR bench"))
    db.session.commit()
    return event


def accept(storage, path: Path, event):

    with path.open("rb") as stream:
        outcome = ingest.accept_file(storage, stream, path.name, event, None, ingest.ItemFields())
    db.session.commit()
    return outcome.item


def time_queue(corpus: Path, pages: int, dpi: int) -> None:
    """A text deck through a one-thread worker: queue idle vs. while a scan is recognised."""

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), OCR="auto", OCR_DPI=dpi, QUEUE_IMMEDIATE=False)
        with app.app_context():
            event = make_event()
            consumer = tasks.queue().create_consumer(workers=1, periodic=False)
            consumer.start()  # the worker threads; this thread only waits and uploads
            try:
                idle = text_deck_latency(current_storage(), event, Path(tmp), "idle")
                deck, _ = scanned_deck(corpus, pages, Path(tmp) / "scan.pdf")
                scan = accept(current_storage(), deck, event)
                tasks.enqueue_processing(scan.id)
                wait_for(lambda: db.session.get(Item, scan.id).ocr_state == OcrState.RUNNING)
                time.sleep(2)
                busy = text_deck_latency(current_storage(), event, Path(tmp), "busy")
                state = db.session.get(Item, scan.id)
                print(
                    f"\n== the queue, one worker thread ==\ntext deck upload to searchable: "
                    f"{idle:.2f} s with the queue idle, {busy:.2f} s while the {pages}-page scan "
                    f"is recognised (scan at {state.ocr_pages_done}/{state.ocr_pages_total} "
                    f"pages then; OCR slices of {tasks.OCR_SLICE_S:g} s)"
                )
            finally:
                consumer.stop(graceful=False)


def text_deck_latency(storage, event, tmp: Path, marker: str) -> float:

    path = tmp / f"text-{marker}.pdf"
    path.write_bytes(make_pdf(12, f"marker{marker}"))
    started = time.perf_counter()
    item = accept(storage, path, event)
    tasks.enqueue_processing(item.id)
    wait_for(lambda: db.session.get(Item, item.id).indexed_at is not None)
    return time.perf_counter() - started


def wait_for(condition, timeout: float = 600) -> None:

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError("the queue did not get there in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--sample", type=int, default=4, help="every Nth slide page")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--sweep", default="", help="other resolutions, e.g. 150,200")
    parser.add_argument("--deck-pages", type=int, default=40)
    parser.add_argument("--skip-queue", action="store_true")
    args = parser.parse_args()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    pages = sample_pages(args.corpus, args.sample)
    languages = {"en": "eng+rus", "ru": "rus+eng", "az": "aze+eng+rus", "ru-forms": "rus+eng"}
    measure_recovery(pages, args.dpi, languages, with_reference=True)
    for dpi in [int(d) for d in args.sweep.split(",") if d]:
        measure_recovery(pages, dpi, languages, with_reference=False)
    measure_languages(pages, args.dpi)
    time_scanned_deck(args.corpus, args.deck_pages, args.dpi)
    if not args.skip_queue:
        time_queue(args.corpus, args.deck_pages, args.dpi)


if __name__ == "__main__":
    main()
