"""Every file of the shared real-world corpus is extracted or rejected with a specific code.

Skipped when the corpus is absent. Set ARCHIVE_CORPUS_DIR to use another copy.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from PIL import Image

from archive.ingest.errors import ExtractionTimeout, IngestError
from archive.ingest.extract import ExtractSettings, PresentationExtract, run_extraction
from archive.ingest.photos import PhotoInfo
from archive.ingest.sniff import sniff_file
from tests.support.corpus import CORPUS, MUST_BE_READY, MUST_HAVE_TEXT, SPECIFIC_CODES, manifest

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]

SETTINGS = ExtractSettings(timeout_s=10.0, memory_mb=1024)
# Whole books get more time: the short limit is for the pathological files in broken/.
LARGE_SETTINGS = replace(SETTINGS, timeout_s=180.0)
EXPECTED_REJECTIONS = {
    "photos/camera/ultrahdr.jpg": {"damaged"},  # really truncated after its SOS marker
    "photos/bomb/decompression_bomb.gif": {"too-large"},
    "photos/bomb/decompression_bomb_extents.gif": {"too-large", "ok"},  # first frame is fine
    "photos/bomb/decompression_bomb.ico": {"unsupported-type"},
    "photos/bomb/png_decompression_dos.png": {"too-large"},
}


@dataclass
class Outcome:
    file: str
    code: str  # "ok" or an IngestError code, or "UNEXPECTED"
    seconds: float
    problems: list[str]


def corpus_files() -> list[str]:
    """Every file under pdfs/ and photos/ except the manifests."""
    return sorted(
        str(path.relative_to(CORPUS))
        for top in ("pdfs", "photos")
        for path in (CORPUS / top).rglob("*")
        if path.is_file() and path.name != "MANIFEST.tsv"
    )


def extract_one(name: str, row: dict[str, str] | None) -> Outcome:
    """Sniff and extract one corpus file, and check the result against the manifest."""
    settings = LARGE_SETTINGS if name.startswith("pdfs/large/") else SETTINGS
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as out:
        try:
            sniffed = sniff_file(CORPUS / name, Path(name).name)
            result = run_extraction(sniffed.kind, CORPUS / name, Path(name).name, out, settings)
            problems = check_result(name, row, result, Path(out))
            code = "ok"
        except IngestError as exc:
            code, problems = exc.code, check_rejection(name, row, exc)
        except Exception as exc:  # noqa: BLE001 - the point is to report it
            code, problems = "UNEXPECTED", [f"raised {type(exc).__name__}: {exc}"]
    seconds = time.monotonic() - started
    if seconds > settings.timeout_s + 3:
        problems.append(f"took {seconds:.1f} s, beyond the {settings.timeout_s} s limit")
    return Outcome(name, code, seconds, problems)


def check_result(name: str, row: dict[str, str] | None, result, out: Path) -> list[str]:
    folder = str(Path(name).parent)
    if name in EXPECTED_REJECTIONS and "ok" not in EXPECTED_REJECTIONS[name]:
        return [f"extracted, expected {EXPECTED_REJECTIONS[name]}"]
    if isinstance(result, PhotoInfo):
        return check_photo(result, out)
    return check_presentation(folder, row, result, out)


def check_presentation(
    folder: str, row: dict[str, str] | None, result: PresentationExtract, out: Path
) -> list[str]:
    problems = []
    expected_pages = (row or {}).get("pages", "")
    if expected_pages.isdigit() and result.info.page_count != int(expected_pages):
        problems.append(f"{result.info.page_count} pages, manifest says {expected_pages}")
    if len(result.pages) != result.info.page_count:
        problems.append(f"{len(result.pages)} page entries for {result.info.page_count} pages")
    if folder in MUST_HAVE_TEXT and not result.has_text:
        problems.append("no text extracted")
    images = [name for page in result.pages for name in (page.preview, page.thumbnail) if name]
    problems += [f"missing {name}" for name in images if not (out / name).is_file()]
    if folder in MUST_BE_READY and len(images) != 2 * result.info.page_count:
        problems.append(f"{len(images)} page images for {result.info.page_count} pages")
    return problems


def check_photo(info: PhotoInfo, out: Path) -> list[str]:
    problems = []
    for name, box in (
        (info.grid, SETTINGS.photo_grid_px),
        (info.lightbox, SETTINGS.photo_lightbox_px),
    ):
        try:
            with Image.open(out / name) as im:
                if max(im.size) > box:
                    problems.append(f"{name} is {im.size}, larger than {box}")
        except OSError as exc:
            problems.append(f"{name} unreadable: {exc}")
    return problems


def check_rejection(name: str, row: dict[str, str] | None, exc: IngestError) -> list[str]:
    folder = str(Path(name).parent)
    problems = []
    if exc.code not in SPECIFIC_CODES:
        problems.append(f"generic error code {exc.code!r}")
    if Path(name).name not in str(exc):
        problems.append(f"message does not name the file: {exc}")
    expected = EXPECTED_REJECTIONS.get(name)
    if expected is not None and exc.code not in expected:
        problems.append(f"rejected as {exc.code}, expected {expected}: {exc}")
    elif expected is None and folder in MUST_BE_READY:
        problems.append(f"rejected: {exc}")
    pages = (row or {}).get("pages", "")
    if pages.startswith("encrypted (password required)") and exc.code != "password":
        problems.append(f"expected a password rejection, got {exc}")
    if pages.isdigit() and folder == "pdfs/encrypted" and exc.code != "password":
        problems.append(f"manifest opens it with {pages} pages, rejected as {exc}")
    return problems


def test_every_corpus_file_is_extracted_or_rejected_specifically():
    rows = manifest()
    with ThreadPoolExecutor(max_workers=2) as pool:  # also exercises forking from threads
        outcomes = list(pool.map(lambda name: extract_one(name, rows.get(name)), corpus_files()))
    print_summary(outcomes)
    failures = [f"{o.file}: {'; '.join(o.problems)}" for o in outcomes if o.problems]
    assert not failures, "\n".join(failures)


def print_summary(outcomes: list[Outcome]) -> None:
    counts = Counter(outcome.code for outcome in outcomes)
    slowest = sorted(outcomes, key=lambda outcome: outcome.seconds, reverse=True)[:3]
    print(f"\ncorpus: {len(outcomes)} files: {dict(sorted(counts.items()))}")
    for outcome in outcomes:
        if outcome.code != "ok":
            print(f"  {outcome.code:16} {outcome.file}")
    print("  slowest: " + ", ".join(f"{o.file} {o.seconds:.1f} s" for o in slowest))


def test_a_pathologically_slow_pdf_hits_the_time_limit(tmp_path):
    slow = CORPUS / "pdfs/broken/bug1978317.pdf"
    started = time.monotonic()
    with pytest.raises(ExtractionTimeout, match="bug1978317.pdf: extraction took longer"):
        run_extraction("presentation", slow, slow.name, tmp_path, replace(SETTINGS, timeout_s=1.0))
    assert time.monotonic() - started < 2.5
