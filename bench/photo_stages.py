"""The 24 MP photo figure of `bench/ingest.py`: end to end, stage by stage, beside Pillow.

Three generated 6000x4000 JPEGs (photo-like noise, EXIF orientation 6) are imported one by
one into one archive, as a running worker takes uploads: each through `import_folder`
(store, sniff, claim, extract in the sandbox child, publish, commit, index). A small photo
goes first, so that first-use costs of the archive (SQL statement compilation, creating the
index) are not charged to the first big one; the cold figure, each photo in a fresh archive
as an upload to a new installation, is printed too.

The same three photos are imported again with the extraction in this process and each stage
wrapped by a CPU timer (`ingest_stages.StageClock`), which gives the breakdown; the sandbox
round trip is the sandboxed run's CPU less the in-process run's. Beside it, in the same run:
Pillow alone on the same file, decoding at the draft scale the 1600 px size needs, resizing
and saving the JPEG (no EXIF, no orientation, no second size, no storing or indexing).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from ingest_stages import StageClock, timed_in_process
from PIL import Image

from archive.catalogue import get_event
from archive.extensions import db
from archive.ingest import ItemFields, accept_file
from archive.ingest.children import reusable_child
from archive.ingest.sandbox import stop_children
from archive.pipeline import extract_item, import_folder, index_pending
from archive.services import current_storage

TARGET_MS = 200
LIGHTBOX_PX = 1600
STAGES = [
    ("store original (hash, copy)", "archive.storage.LocalStorage.store_original"),
    ("sniff", "archive.ingest.intake.sniff_file"),
    ("decode at draft scale", "archive.ingest.photos.decode_for"),
    ("resize + orient", "archive.ingest.photos.shrink_and_orient"),
    ("EXIF facts", "archive.ingest.photos.read_exif_facts"),
    ("JPEG 1600 px", "archive.ingest.photos.save_jpeg"),
    ("grid image: shrink", "archive.ingest.photos.fit_within"),
    ("grid image: WebP", "archive.ingest.photos.save_webp"),
    ("database (claim, save, commit)", "archive.pipeline.processing.extract_item"),
    ("extraction glue", "archive.ingest.processing.run_extraction"),
    ("index writes", "archive.pipeline.processing.index_pending"),
]


def bench_big_photos(work: Path, make_archive: Callable, now: Callable) -> None:
    """Print the 24 MP figures (see the module docstring)."""
    folders = make_photos(work / "big-photos")
    cold = [import_ms(folder, make_archive(work / f"cold-{n}"), now) for n, folder in folders]
    warm_app = warmed_archive(work, make_archive)
    warm = [import_ms(folder, warm_app, now) for _, folder in folders]
    median = statistics.median(warm)
    verdict = "PASS" if median <= TARGET_MS else "FAIL"
    print(
        f"24 MP JPEG, both sizes end to end (store, sniff, sandbox, save, index), CPU: median "
        f"{median:.0f} ms ({', '.join(f'{t:.0f}' for t in warm)}), each by `flask import` "
        f"into a running archive  {verdict} <= {TARGET_MS} ms; into a fresh archive each: "
        f"median {statistics.median(cold):.0f} ms; uploaded to a running queue worker "
        f"(accept, extract_item, index_pending; its child kept): mean "
        f"{worker_ms(folders, work, make_archive):.0f} ms"
    )
    stages, inline_ms = stage_breakdown(folders, work, make_archive, now)
    print(f"  by stage, CPU ms per photo (in-process run {inline_ms:.0f} ms):")
    stages["sandbox round trip"] = max(0.0, median - inline_ms)
    for stage, ms in stages.items():
        print(f"    {stage:<32} {ms:6.1f} ms")
    print(
        f"  reference, Pillow alone on the same JPEG (draft decode for {LIGHTBOX_PX} px, "
        f"resize, save): {pillow_bare_ms(folders[0][1]):.0f} ms"
    )


def make_photos(root: Path) -> list[tuple[int, Path]]:
    """One folder per generated 24 MP JPEG."""
    folders = []
    for n in range(3):
        folder = root / str(n)
        folder.mkdir(parents=True)
        make_big_jpeg(folder / f"big-{n}.jpg", seed=n)
        folders.append((n, folder))
    return folders


def make_big_jpeg(path: Path, seed: int) -> None:
    """A 6000x4000 JPEG with photo-like detail and EXIF orientation 6."""
    size = (6000, 4000)
    noise = Image.effect_noise(size, 40 + seed)
    base = Image.merge(
        "RGB",
        [Image.linear_gradient("L").resize(size), Image.radial_gradient("L").resize(size), noise],
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    base.save(path, "JPEG", quality=90, exif=exif.tobytes())


def warmed_archive(work: Path, make_archive: Callable):
    """An archive that has already imported one small photo."""
    app = make_archive(work / "warm")
    small = work / "warm-up"
    small.mkdir()
    Image.new("RGB", (64, 48), "teal").save(small / "small.jpg")
    import_ms(small, app, time.process_time)
    return app


def import_ms(folder: Path, app, now: Callable) -> float:
    """CPU ms to import every file of `folder` into `app`'s archive (each must be ready)."""
    with app.app_context():
        started = now()
        report = import_folder(folder, get_event("bench"), ItemFields())
        spent = 1000 * (now() - started)
        db.session.remove()
    assert not report.failed, report.failed
    return spent


def worker_ms(folders: list[tuple[int, Path]], work: Path, make_archive: Callable) -> float:
    """Mean CPU ms per photo as a queue worker takes uploads: this process's CPU plus its
    extraction child's, which serves photo after photo (started on a fourth photo first)
    and is read live from /proc (its rusage only reaches this process once it is reaped)."""
    app = warmed_archive(work / "worker", make_archive)
    make_big_jpeg(work / "worker" / "warm-up.jpg", seed=len(folders))
    with app.app_context():
        upload(work / "worker" / "warm-up.jpg")
        child = reusable_child(app.config["EXTRACT_MEMORY_MB"], "warm-up.jpg").pid
        started = time.process_time() + child_cpu_s(child)
        for _, folder in folders:
            upload(next(folder.iterdir()))
        spent = time.process_time() + child_cpu_s(child) - started
        db.session.remove()
        stop_children()
    return 1000 * spent / len(folders)


def child_cpu_s(pid: int) -> float:
    """CPU seconds a live process has run (nanoseconds in /proc/PID/schedstat)."""
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[0]) / 1e9


def upload(path: Path) -> None:
    """What a web upload and the queue's two tasks do for one file."""
    with path.open("rb") as stream:
        outcome = accept_file(current_storage(), stream, path.name, get_event("bench"), None,
                              ItemFields())  # fmt: skip
    db.session.commit()
    assert outcome.item is not None, outcome
    assert extract_item(outcome.item.id, "bench-worker") == "ready"
    index_pending(wait=True)


def stage_breakdown(
    folders: list[tuple[int, Path]], work: Path, make_archive: Callable, now: Callable
) -> tuple[dict[str, float], float]:
    """CPU ms per photo in each stage, from an in-process import of the same photos."""
    app = warmed_archive(work / "stages", make_archive)
    clock = StageClock()
    with timed_in_process(clock, STAGES):
        inline = statistics.median(import_ms(folder, app, now) for _, folder in folders)
    count = len(folders)
    stages = {stage: 1000 * clock.spent.get(stage, 0.0) / count for stage, _ in STAGES}
    stages["other"] = max(0.0, inline - sum(stages.values()))
    return stages, inline


def pillow_bare_ms(folder: Path, rounds: int = 5) -> float:
    """Median CPU ms of Pillow's draft decode + resize + JPEG save of the folder's photo."""
    path = next(folder.iterdir())
    out = folder.parent / "pillow-bare.jpg"
    times = []
    for _ in range(rounds):
        started = time.process_time()
        with Image.open(path) as im:
            im.draft("RGB", (LIGHTBOX_PX, LIGHTBOX_PX))
            im.thumbnail((LIGHTBOX_PX, LIGHTBOX_PX), Image.Resampling.BILINEAR)
            im.save(out, "JPEG", quality=85)
        times.append(1000 * (time.process_time() - started))
    return statistics.median(times)
