"""End-to-end ingest benchmark: import real PDFs and photos into a temporary archive.

    python bench/ingest.py FOLDER [FOLDER ...] [--workers 2] [--thousand] [--profile]

Everything goes through `archive.pipeline.import_folder` in this process, pinned to one
core, as `flask import` does: store the original, sniff, extract in the sandbox (pypdf
structure, pdfium text and page images, language), save pages, write the derived files,
index in batches. Figures, each from a fresh archive:

- PDFs, full pipeline: pages/s end to end;
- PDFs, text only (page rendering switched off): pages/s for text + index; the difference
  between the two runs gives page images/s (each page: a 1200 px JPEG preview and a 240 px
  WebP thumbnail from one render);
- photos: photos/s and ms per photo; and three generated 24 MP JPEGs, ms each for both
  derivatives, end to end, stage by stage, beside Pillow alone (bench/photo_stages.py;
  --big-photos-only runs just that);
- pdftotext (poppler, a process per file) on the same PDFs, pages/s, for reference;
- the text + index import stage by stage, CPU ms per page (bench/ingest_stages.py);
- peak RSS of this process, of the fork server and of the largest extraction child;
- --thousand: a 1,000-page PDF made by repeating the pages of the largest PDF found, imported
  in a fresh process: time and peak RSS (target < 500 MB);
- --workers N: the same PDFs through the queue with `flask worker -w 1` and `-w N` (process
  workers; wall time from worker start until every item is ready and indexed) to show scaling;
- --profile: cProfile of the text-only import with extraction run in-process, top functions.

Times are CPU seconds (this process plus its children, and the extraction fork server plus
the children it reaped) by default, steadier on a shared machine; --clock wall for
wall-clock. The fork server is started before any figure (once per worker process).
Targets (one core): >= 200 pages/s text + index, >= 60 page images/s, a 24 MP photo's two
derivatives <= 200 ms, no extraction child above 300 MB, N workers ~ N x one.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest_stages import breakdown  # noqa: E402  (bench/ingest_stages.py)
from photo_stages import bench_big_photos  # noqa: E402  (bench/photo_stages.py)
from pypdf import PdfReader, PdfWriter  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from archive import create_app  # noqa: E402
from archive.catalogue import EventDetails, create_event  # noqa: E402
from archive.extensions import db  # noqa: E402
from archive.ingest import IngestError, ItemFields, processing  # noqa: E402
from archive.ingest.forkclient import fork_server, fork_server_cpu_seconds  # noqa: E402
from archive.ingest.language import preload  # noqa: E402
from archive.ingest.sniff import sniff_file  # noqa: E402
from archive.models import Page  # noqa: E402
from archive.pipeline import import_folder  # noqa: E402

PDFTOTEXT = Path("/usr/bin/pdftotext")
CLOCK = {"cpu": True}
TARGETS = {"text": 200, "images": 60, "photo_ms": 200, "thousand_mb": 500, "child_mb": 300}


def now() -> float:
    """CPU seconds of this process and its reaped children (default), or wall-clock."""
    if not CLOCK["cpu"]:
        return time.perf_counter()
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime + fork_server_cpu_seconds()


@dataclass
class ImportRun:
    files: int
    ready: int
    failed: int
    pages: int
    seconds: float
    wall: float


def make_archive(root: Path):
    """A fresh app on its own folders under `root`, with its tables and one event."""
    root.mkdir(parents=True)
    app = create_app(
        {
            "INSTANCE_DIR": str(root / "instance"),
            "UPLOAD_DIR": str(root / "uploads"),
            "INDEX_DIR": str(root / "index"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'archive.db'}",
            "SECRET_KEY": "bench",
            "EXTRACT_TIMEOUT_S": 600,
        }
    )
    with app.app_context():
        db.create_all()
        create_event("bench", EventDetails(title="Bench"))
        db.session.commit()
    return app


def run_import(folder: Path, root: Path, jobs: int = 1) -> ImportRun:
    """Import every file of `folder` into a fresh archive; time it."""
    app = make_archive(root)
    with app.app_context():
        from archive.catalogue import get_event

        event = get_event("bench")
        started, wall = now(), time.perf_counter()
        report = import_folder(folder, event, ItemFields(), jobs=jobs)
        seconds, wall = now() - started, time.perf_counter() - wall
        pages = db.session.scalar(select(func.count()).select_from(Page))
        db.session.remove()
    return ImportRun(
        files=len(report.imported) + len(report.failed) + len(report.duplicates),
        ready=len(report.imported),
        failed=len(report.failed),
        pages=pages,
        seconds=seconds,
        wall=wall,
    )


def text_only() -> mock._patch:
    """Extraction settings without page images, for the text + index runs (settings travel
    with each task, so the fork server's children honour them)."""
    settings = processing.extract_settings
    return mock.patch.object(
        processing, "extract_settings", lambda: replace(settings(), page_images=False)
    )


def split_files(folders: list[Path], work: Path) -> tuple[Path, Path]:
    """Copy the PDFs and the photos (by content) into two flat folders."""
    pdfs, photos = work / "pdfs", work / "photos"
    pdfs.mkdir()
    photos.mkdir()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            try:
                kind = sniff_file(path, path.name).kind
            except IngestError:
                continue
            target = pdfs if kind == "presentation" else photos
            shutil.copyfile(path, target / f"{len(list(target.iterdir())):04d}-{path.name}")
    return pdfs, photos


def bench_pdfs(pdfs: Path, work: Path) -> tuple[ImportRun, ImportRun]:
    full = run_import(pdfs, work / "archive-full")
    print(
        f"PDFs, full pipeline: {full.ready} of {full.files} ready, {full.pages} pages in "
        f"{full.seconds:.2f} s = {full.pages / full.seconds:.0f} pages/s "
        f"(wall {full.wall:.2f} s)"
    )
    with text_only():
        text = run_import(pdfs, work / "archive-text")
    rate = text.pages / text.seconds
    print(
        f"PDFs, text + index (no page images): {text.pages} pages in {text.seconds:.2f} s = "
        f"{rate:.0f} pages/s (wall {text.wall:.2f} s)  "
        f"{verdict(rate >= TARGETS['text'])} >= {TARGETS['text']}"
    )
    render_s = full.seconds - text.seconds
    images = full.pages / render_s if render_s > 0 else float("nan")
    print(
        f"page images (by difference): {render_s:.2f} s for {full.pages} pages = {images:.0f} "
        f"pages/s, {2 * images:.0f} image files/s  {verdict(images >= TARGETS['images'])} "
        f">= {TARGETS['images']} pages/s"
    )
    return full, text


def run_import_text_only(pdfs: Path, work: Path) -> ImportRun:
    """The text + index import alone, printed beside its target."""
    with text_only():
        text = run_import(pdfs, work / "archive-text-only")
    rate = text.pages / text.seconds
    print(
        f"PDFs, text + index (no page images): {text.pages} pages in {text.seconds:.2f} s = "
        f"{rate:.0f} pages/s (wall {text.wall:.2f} s)"
    )
    return text


def bench_photos(photos: Path, work: Path) -> None:
    run = run_import(photos, work / "archive-photos")
    if run.files:
        print(
            f"photos: {run.ready} ready, {run.failed} failed of {run.files} in "
            f"{run.seconds:.2f} s = {run.files / run.seconds:.1f} photos/s, "
            f"{1000 * run.seconds / run.files:.0f} ms per photo (wall {run.wall:.2f} s)"
        )


def bench_pdftotext(pdfs: Path, pages: int) -> None:
    if not PDFTOTEXT.exists():
        print("pdftotext: not installed, skipped")
        return
    started = now()
    for path in sorted(pdfs.iterdir()):
        command = [str(PDFTOTEXT), "-q", "-enc", "UTF-8", str(path), "-"]
        subprocess.run(command, capture_output=True, timeout=120, check=False)
    seconds = now() - started
    print(f"pdftotext (reference, a process per file, text only): {pages / seconds:.0f} pages/s")


def bench_thousand(pdfs: Path, work: Path) -> None:
    """Build the 1,000-page PDF here, import it in a fresh process, read its figures."""
    deck = max(pdfs.iterdir(), key=lambda path: path.stat().st_size)  # the heaviest pages
    reader = PdfReader(deck)
    writer = PdfWriter()
    for index in range(1000):
        writer.add_page(reader.pages[index % len(reader.pages)])
    folder = work / "thousand"
    folder.mkdir()
    with open(folder / "thousand.pdf", "wb") as fh:
        writer.write(fh)
    size_mb = (folder / "thousand.pdf").stat().st_size / 1e6
    command = [sys.executable, __file__, "--import-one", str(folder), "--clock", "wall"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak = max(result["self_mb"], result["child_mb"])
    print(
        f"1,000-page PDF ({deck.name} repeated, {size_mb:.0f} MB): {result['pages']} pages "
        f"ready in {result['wall']:.1f} s wall; peak RSS: importing process "
        f"{result['self_mb']:.0f} MB, extraction child {result['child_mb']:.0f} MB  "
        f"{verdict(peak < TARGETS['thousand_mb'])} < {TARGETS['thousand_mb']} MB"
    )


def import_one(folder: Path) -> None:
    """--import-one: import `folder` in this fresh process and print figures as JSON."""
    children = ChildPeaks()
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as scratch:
        run = run_import(folder, Path(scratch) / "a")
    print(
        json.dumps(
            {
                "pages": run.pages,
                "ready": run.ready,
                "wall": run.wall,
                "self_mb": peak_mb(resource.RUSAGE_SELF),
                "child_mb": max((peak for peak, _ in children.children), default=0.0),
            }
        )
    )


def bench_workers(pdfs: Path, work: Path, workers: int) -> None:
    """The PDFs through the queue and `flask worker -w 1`, then `-w N`: wall time to done."""
    from tests.support.live import EventSpec, LiveStack

    walls = {}
    for count in sorted({1, workers}):
        stack = LiveStack(work / f"queue-{count}", accounts=(), events=(EventSpec("bench", "B"),),
                          queue_workers=count)  # fmt: skip
        try:
            stack.prepare()
            ids = enqueue_folder(stack, pdfs)
            started = time.perf_counter()
            stack.start_worker()
            states = stack.wait_for_items(ids, timeout=1800)
            walls[count] = time.perf_counter() - started
        finally:
            stack.stop()
        pages = stack.query("SELECT count(*) FROM pages")[0][0]
        ready = sum(1 for s in states.values() if s == "ready")
        print(
            f"queue, {count} worker process(es): {ready} ready, {pages} pages in "
            f"{walls[count]:.1f} s wall = {pages / walls[count]:.0f} pages/s"
        )
    if workers > 1:
        print(
            f"scaling: {workers} workers = {walls[1] / walls[workers]:.2f}x one worker; this "
            f"machine right now runs {workers} CPU-bound processes {cpu_scaling(workers):.2f}x "
            "as fast as one (other tenants share the cores)"
        )


def spin(seconds_of_work: int) -> None:
    total = 0
    for n in range(seconds_of_work * 15_000_000):
        total += n


def cpu_scaling(count: int) -> float:
    """How much faster `count` processes finish `count` units of pure CPU work than one."""
    started = time.perf_counter()
    spin(1)
    one = time.perf_counter() - started
    started = time.perf_counter()
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            spin(1)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return count * one / (time.perf_counter() - started)


def enqueue_folder(stack, folder: Path) -> list[int]:
    """Accept every file into the stack's archive and queue it (no worker runs yet)."""
    from archive import tasks
    from archive.catalogue import get_event
    from archive.ingest import accept_file
    from archive.services import current_storage

    app = create_app(
        {
            "INSTANCE_DIR": str(stack.instance_dir),
            "UPLOAD_DIR": str(stack.upload_dir),
            "INDEX_DIR": str(stack.index_dir),
            "SECRET_KEY": stack.env["ARCHIVE_SECRET_KEY"],
            "QUEUE_IMMEDIATE": False,
        }
    )
    ids = []
    with app.app_context():
        event = get_event("bench")
        for path in sorted(folder.iterdir()):
            with path.open("rb") as stream:
                outcome = accept_file(current_storage(), stream, path.name, event, None,
                                      ItemFields())  # fmt: skip
            db.session.commit()
            if outcome.item is not None:
                ids.append(outcome.item.id)
                tasks.enqueue_processing(outcome.item.id)
        db.session.remove()
    return ids


def profile_text_import(pdfs: Path, work: Path) -> None:
    """cProfile of the text-only import, extraction in this process and thread."""

    def in_process(func, *args, **_limits):
        return func(*args)

    class InlineExecutor:  # cProfile sees only the thread it runs in
        def __init__(self, **_options):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, func, values):
            return map(func, values)

    profiler = cProfile.Profile()
    with (
        text_only(),
        mock.patch("archive.ingest.extract.run_sandboxed", in_process),
        mock.patch("archive.pipeline.processing.ThreadPoolExecutor", InlineExecutor),
    ):
        profiler.enable()
        run = run_import(pdfs, work / "archive-profile")
        profiler.disable()
    print(f"\nprofile of the text-only import ({run.pages} pages, {run.seconds:.2f} s):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)


class ChildPeaks(logging.Handler):
    """Collects the peak RSS and start RSS each extraction child logs when it is reaped."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.children: list[tuple[float, float]] = []
        source = logging.getLogger("archive.ingest.forking")
        source.setLevel(logging.INFO)
        source.propagate = False
        source.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "child_peak_mb"):
            self.children.append((record.child_peak_mb, record.start_mb))

    def summary(self) -> str:
        if not self.children:
            return "no extraction child reaped"
        peak, start = max(self.children)
        growth = max(peak - start for peak, start in self.children)
        verdict_ = verdict(peak <= TARGETS["child_mb"])
        return (
            f"{len(self.children)} extraction children; largest peak RSS {peak:.0f} MB "
            f"{verdict_} <= {TARGETS['child_mb']} MB (it started at {start:.0f} MB, pages "
            f"shared with the process it was forked from); largest growth over a child's start "
            f"{growth:.0f} MB"
        )


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def server_rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The fork server's resident memory now (VmRSS) or at its peak (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="folders with PDFs and photos")
    parser.add_argument("--big-photos-only", action="store_true", help="only the 24 MP figure")
    parser.add_argument("--workers", type=int, default=0, help="also run N queue workers")
    parser.add_argument("--thousand", action="store_true", help="also a 1,000-page PDF")
    parser.add_argument("--profile", action="store_true", help="cProfile the text import")
    parser.add_argument("--profile-only", action="store_true", help="only the profile")
    parser.add_argument(
        "--stages-only", action="store_true", help="only text + index, pdftotext, stages"
    )
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--import-one", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.ERROR)
    CLOCK["cpu"] = args.clock == "cpu"
    if args.import_one:
        fork_server()
        import_one(args.folders[0])
        return 0
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the targets say
    children = ChildPeaks()
    started = now()
    server = fork_server()  # libraries and model, loaded once per worker: no file's time
    preload()  # the in-process runs (stages, profile) detect languages in this process
    print(
        f"fork server started in {1000 * (now() - started):.0f} ms CPU (once per worker "
        f"process), {server_rss_mb(server.pid):.0f} MB resident"
    )
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as scratch:
        work = Path(scratch)
        if args.big_photos_only:
            bench_big_photos(work, make_archive, now)
            return 0
        pdfs, photos = split_files(args.folders, work)
        print(
            f"{len(list(pdfs.iterdir()))} PDFs, {len(list(photos.iterdir()))} photos from "
            f"{', '.join(map(str, args.folders))}; one core, {args.clock} time"
        )
        if args.profile_only:
            profile_text_import(pdfs, work)
            return 0
        if args.stages_only:
            text = run_import_text_only(pdfs, work)
            bench_pdftotext(pdfs, text.pages)
            breakdown(run_import, pdfs, work, text_only)
            return 0
        if any(pdfs.iterdir()):
            full, _ = bench_pdfs(pdfs, work)
            bench_pdftotext(pdfs, full.pages)
            breakdown(run_import, pdfs, work, text_only)
        bench_photos(photos, work)
        print(
            f"peak RSS: this process {peak_mb(resource.RUSAGE_SELF):.0f} MB, fork server "
            f"{server_rss_mb(server.pid, 'VmHWM'):.0f} MB; {children.summary()}"
        )
        bench_big_photos(work, make_archive, now)  # after the peak: 24 MP images take memory
        if args.thousand and any(pdfs.iterdir()):
            bench_thousand(pdfs, work)
        if args.workers and any(pdfs.iterdir()):
            os.sched_setaffinity(0, os.sched_getaffinity(os.getppid()))  # all cores again
            bench_workers(pdfs, work, args.workers)
        if args.profile and any(pdfs.iterdir()):
            profile_text_import(pdfs, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
