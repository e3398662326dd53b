"""Benchmark the event page as a timetable against the same event's flat lists (issue 15).

    python bench/programme.py                       # 2 days x 12 sessions, 2,000 photos
    python bench/programme.py --photos 10000 --decks 200

Creates a temporary archive with one event: sessions with three talks each, decks attached
to talks, photo rows with capture times spread over the two days (a fifth from a camera
with a wrong clock, corrected), then times GET /events/<slug> (the timetable: placement of
every photo, the programme, the template) next to GET /events/<slug>?view=list (the
reference: the lists the page showed before, same rows, same permissions), interleaved,
with Flask's test client as a researcher (server time only). Also times placing the photos
alone and indexing facts for a batch of 200 photos.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import accounts, create_app  # noqa: E402
from archive.catalogue import EventDetails, create_event  # noqa: E402
from archive.extensions import db  # noqa: E402
from archive.models import Photo, Presentation  # noqa: E402
from archive.programme import editing, placement  # noqa: E402
from archive.programme.facts import facts_for  # noqa: E402

PASSWORD = "benchmark password"  # noqa: S105 (a throwaway archive)
FIRST_DAY = date(2023, 7, 25)


def make_archive(work: Path):
    app = create_app(
        {
            "INSTANCE_DIR": str(work / "instance"),
            "UPLOAD_DIR": str(work / "uploads"),
            "INDEX_DIR": str(work / "index"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def fill(sessions_per_day: int, photos: int, decks: int) -> None:
    rng = random.Random(15)
    event = create_event(
        "bench-2023",
        EventDetails("Bench", FIRST_DAY, FIRST_DAY + timedelta(days=1), timezone="Asia/Baku"),
    )
    talks = []
    for day in range(2):
        for n in range(sessions_per_day):
            start = datetime(2023, 7, 25 + day, 8, 30) + timedelta(minutes=45 * n)
            fields = editing.SessionFields(
                f"Session {day + 1}.{n + 1}", start.date(), start.time(),
                (start + timedelta(minutes=40)).time(), room=f"Room {n % 3}",
            )  # fmt: skip
            session = editing.create_session(event, fields)
            for t in range(3):
                talks.append(editing.create_talk(session, editing.TalkFields(
                    f"Talk {t}", speakers=f"Speaker {t} (Org {t})")))  # fmt: skip
    for n in range(decks):
        deck = Presentation(event=event, title=f"Deck {n}", original_filename=f"d{n}.pdf",
                            sha256=f"{n:064x}", size=1000, mime="application/pdf",
                            status="ready", page_count=10)  # fmt: skip
        db.session.add(deck)
        db.session.flush()
        editing.attach_deck(talks[n % len(talks)], deck)
    for n in range(photos):
        taken = datetime(2023, 7, 25, 8) + timedelta(minutes=rng.randrange(2 * 24 * 60))
        camera = ("Phone", "X", "1") if n % 5 == 0 else ("Canon", "R5", "7")
        db.session.add(Photo(event=event, title=f"Photo {n}", original_filename=f"p{n}.jpg",
                             sha256=f"{n + 10**6:064x}", size=1000, mime="image/jpeg",
                             status="ready", taken_at=taken, camera_make=camera[0],
                             camera_model=camera[1], camera_serial=camera[2]))  # fmt: skip
    placement.set_camera_offset(event, placement.CameraKey("Phone", "X", "1"), 3600)
    accounts.create_user("reader", PASSWORD, "researcher")
    db.session.commit()


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return f"{name:<44} p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions-per-day", type=int, default=12)
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--decks", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-programme-") as tmp:
        app = make_archive(Path(tmp))
        with app.app_context():
            fill(args.sessions_per_day, args.photos, args.decks)
        client = app.test_client()
        client.post("/login", data={"username": "reader", "password": PASSWORD})
        pages = {
            "timetable": "/events/bench-2023",
            "lists (reference)": "/events/bench-2023?view=list",
        }
        samples: dict[str, list[float]] = {name: [] for name in pages}
        for url in pages.values():  # warm templates and caches
            assert client.get(url).status_code == 200
        for _ in range(args.rounds):
            for name, url in pages.items():
                samples[name].append(timed(lambda url=url: client.get(url)))
        with app.app_context():
            from archive.catalogue import get_event

            event = get_event("bench-2023")
            photos = placement.event_photos(event)
            place = [
                timed(lambda: placement.place_photos(event, photos)) for _ in range(args.rounds)
            ]
            batch = photos[:200]
            facts = [timed(lambda: facts_for(batch)) for _ in range(args.rounds)]
        print(f"{args.sessions_per_day * 2} sessions, {args.decks} decks, {args.photos} photos, "
              f"{args.rounds} interleaved rounds")  # fmt: skip
        for name, values in samples.items():
            print(summary(f"GET event page, {name}", values))
        print(summary(f"place {len(photos)} photos", place))
        print(summary("index facts for 200 photos", facts))


if __name__ == "__main__":
    main()
