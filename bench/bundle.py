"""Benchmark a bundle ZIP (partner bundles and share links' "download all"): throughput and
memory of streaming photos without their GPS position, next to Info-ZIP's `zip -0` on the
same originals in the same run.

    python bench/bundle.py [--photos 60] [--size 3000x2000] [--decks 10] [--rounds 3]

Generates JPEG photos carrying EXIF with a GPS position (and a few text PDFs) into a
temporary archive, then, for each round: (1) our bundle: deciding every file (the GPS
patches are found and checked with Pillow) and streaming the ZIP to /dev/null; (2) the same
ZIP of the untouched originals through our zip stream (the cost of the ZIP writer alone);
(3) `zip -0 -q -` of the same originals to /dev/null (reference). Prints medians in MB/s
and the process's peak memory growth while streaming (the ZIP is never held whole).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from archive import create_app  # noqa: E402
from archive.catalogue import EventDetails, create_event  # noqa: E402
from archive.extensions import db  # noqa: E402
from archive.ingest import ItemFields, accept_file  # noqa: E402
from archive.models import Item  # noqa: E402
from archive.services import current_storage  # noqa: E402
from archive.web.bundling import build_bundle, load_items, stream_bundle  # noqa: E402
from archive.zipstream import ZipMember, stream_zip  # noqa: E402
from tests.support.samples import make_image, make_pdf  # noqa: E402

ZIP = shutil.which("zip")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--size", default="3000x2000", help="photo size, WxH")
    parser.add_argument("--decks", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    return parser.parse_args()


def photo_with_position(seed: int, size: tuple[int, int]) -> bytes:
    """A camera-like JPEG whose EXIF names the camera and a GPS position."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Canon", "EOS 80D", 1
    exif.get_ifd(0x8825).update({1: "N", 2: (40.0, 22.0, 5.5), 3: "E", 4: (49.0, 50.0, 2.0)})
    return make_image("JPEG", size, seed=seed, exif=exif.tobytes(), quality=90)


def build_archive(photos: int, size: tuple[int, int], decks: int) -> list[int]:
    event = create_event("bench-2024", EventDetails(title="Benchmark workshop"))
    db.session.commit()
    files = [(f"photo-{n:04d}.jpg", photo_with_position(n, size)) for n in range(photos)]
    files += [(f"deck-{n:03d}.pdf", make_pdf(12, f"bench{n}", seed=n)) for n in range(decks)]
    ids = []
    for name, content in files:
        outcome = accept_file(
            current_storage(), io.BytesIO(content), name, event, None, ItemFields()
        )
        db.session.commit()
        ids.append(outcome.item.id)
    return ids


def drain(chunks) -> int:
    total = 0
    with open(os.devnull, "wb") as sink:
        for chunk in chunks:
            sink.write(chunk)
            total += len(chunk)
    return total


def our_bundle(ids: list[int]) -> tuple[float, int, int]:
    """Seconds, bytes, and peak memory growth (KiB) of deciding and streaming the bundle."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    bundle = build_bundle(load_items(ids), "Bench", "Bench partner")
    size = drain(stream_bundle(bundle, b"<!doctype html><title>index</title>"))
    seconds = time.perf_counter() - started
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    db.session.expunge_all()
    return seconds, size, growth


def plain_zip(paths: list[Path]) -> tuple[float, int]:
    """The same originals through the ZIP writer alone (no GPS work)."""
    members = [
        ZipMember(p.name, partial(p.open, "rb"), p.stat().st_size, datetime(2024, 1, 1))
        for p in paths
    ]
    started = time.perf_counter()
    size = drain(stream_zip(members))
    return time.perf_counter() - started, size


def info_zip(paths: list[Path], folder: Path) -> float | None:
    if ZIP is None:
        return None
    listing = "\n".join(str(p) for p in paths).encode()
    started = time.perf_counter()
    subprocess.run(
        [ZIP, "-0", "-q", "-j", "-", "-@"],
        input=listing,
        stdout=subprocess.DEVNULL,
        check=True,
        cwd=folder,
    )
    return time.perf_counter() - started


def main() -> int:
    args = parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    root = Path(tempfile.mkdtemp(prefix="bench-bundle-"))
    app = create_app(
        {
            "INSTANCE_DIR": str(root / "instance"),
            "UPLOAD_DIR": str(root / "uploads"),
            "INDEX_DIR": str(root / "index"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'bench.db'}",
            "QUEUE_IMMEDIATE": True,
            "SECRET_KEY": "bench",
        }
    )
    try:
        with app.app_context():
            db.create_all()
            ids = build_archive(args.photos, (width, height), args.decks)
            storage = current_storage()
            paths = [storage.originals / s[:2] / s[2:4] / s for s in shas(ids)]
            total_mb = sum(p.stat().st_size for p in paths) / 1e6
            print(
                f"{args.photos} photos {width}x{height} with GPS + {args.decks} decks: "
                f"{total_mb:.1f} MB of originals"
            )
            ours, plain, reference, growth = [], [], [], []
            for _ in range(args.rounds):
                seconds, size, grew = our_bundle(ids)
                ours.append(seconds)
                growth.append(grew)
                plain.append(plain_zip(paths)[0])
                if (ref := info_zip(paths, root)) is not None:
                    reference.append(ref)
            report("our bundle (GPS removed, index, streamed)", total_mb, ours)
            report("our ZIP writer alone, originals untouched", total_mb, plain)
            if reference:
                report("reference: Info-ZIP zip -0 of the originals", total_mb, reference)
            print(
                f"ZIP size {size / 1e6:.1f} MB; peak memory growth while streaming: "
                f"{max(growth) / 1024:.1f} MB (max of {args.rounds} rounds)"
            )
            db.session.remove()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def shas(ids: list[int]) -> list[str]:
    return [db.session.get(Item, item_id).sha256 for item_id in ids]


def report(label: str, megabytes: float, seconds: list[float]) -> None:
    median = statistics.median(seconds)
    print(f"  {label:<48} {megabytes / median:8.1f} MB/s  (median {median * 1000:.0f} ms)")


if __name__ == "__main__":
    sys.exit(main())
