"""Processing beyond the happy path: claims, recovery after a crash, reprocessing, reindex,
bulk import and the demo."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from archive import indexing, ingest, locks, pipeline, tasks
from archive.demo import load_demo
from archive.demo.content import PHOTOS as DEMO_PHOTOS
from archive.demo.content import PRESENTATIONS as DEMO_DECKS
from archive.extensions import db
from archive.fulltext import AccessScope, SearchRequest
from archive.models import Event, Item, Page, Presentation
from archive.models.common import utcnow
from archive.pipeline import claim, extract_item, process_item
from archive.services import current_index, current_storage
from tests.support import postgres

EVERYTHING = AccessScope(include_staff_only=True)


def search(text):
    return current_index().search(SearchRequest(text, scope=EVERYTHING))


@pytest.fixture
def queued_deck(app, make_event, make_pdf):
    """A deck stored and queued, as an upload leaves it, without processing it."""
    event = make_event("baku-2023")
    path = make_pdf([["Cyber Security Center"], ["ASAN service"]])
    with path.open("rb") as stream:
        outcome = ingest.accept_file(
            current_storage(), stream, "deck.pdf", event, None, ingest.ItemFields()
        )
    db.session.commit()
    return outcome.item


def dead_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_an_item_is_claimed_once(queued_deck):
    assert claim(queued_deck.id, "host:1") is True
    assert claim(queued_deck.id, "host:2") is False
    assert process_item(queued_deck.id, "host:3") is None  # someone else holds it


def test_expired_lease_can_be_claimed_again(queued_deck):
    claim(queued_deck.id, "elsewhere:1")
    db.session.refresh(queued_deck)
    queued_deck.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert process_item(queued_deck.id, "here:2") == "ready"


def test_worker_restart_requeues_what_a_dead_worker_held(queued_deck):
    host = tasks.worker_host()
    claim(queued_deck.id, f"{host}:{dead_pid()}")
    assert pipeline.requeue_unfinished(host) == [queued_deck.id]
    db.session.refresh(queued_deck)
    assert queued_deck.status == "queued" and queued_deck.claimed_by is None
    assert process_item(queued_deck.id, "again") == "ready"
    assert db.session.scalar(select(func.count()).select_from(Page)) == 2


def test_a_live_workers_item_is_left_alone(queued_deck):
    host = tasks.worker_host()
    claim(queued_deck.id, f"{host}:{os.getpid()}")
    assert pipeline.recoverable_items(host) == []
    assert db.session.get(Item, queued_deck.id).status == "processing"


def test_an_item_that_keeps_killing_its_worker_fails_with_a_reason(queued_deck):
    host = tasks.worker_host()
    for _ in range(3):
        db.session.refresh(queued_deck)
        queued_deck.status = "queued"
        db.session.commit()
        claim(queued_deck.id, f"{host}:{dead_pid()}")
        pipeline.requeue_unfinished(host)
    db.session.refresh(queued_deck)
    assert queued_deck.status == "failed" and queued_deck.error_code == "interrupted"
    assert "interrupted 3 times" in queued_deck.error


def test_sweep_requeues_queued_items_the_queue_lost(queued_deck):
    db.session.refresh(queued_deck)
    queued_deck.updated_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert pipeline.recoverable_items(tasks.worker_host(), queue_empty=False) == []
    assert pipeline.recoverable_items(tasks.worker_host(), queue_empty=True) == [queued_deck.id]


def test_unindexed_ready_items_are_found_and_reindexed(queued_deck):
    extract_item(queued_deck.id, "w")
    db.session.refresh(queued_deck)
    queued_deck.processed_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert search("ASAN").total_hits == 0
    assert pipeline.unindexed_items() == [queued_deck.id]
    indexing.index_item(queued_deck.id)
    assert search("ASAN").total_hits == 1 and pipeline.unindexed_items() == []


def test_tasks_survive_a_real_queue(tmp_path, make_pdf):
    """With a persistent queue, enqueueing stores the task and a worker runs it in the app;
    a processed item is then indexed by a task that indexes everything ready at once."""
    from tests.conftest import make_app

    app = make_app(tmp_path, QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'q.db'}")
    with app.app_context():
        from archive.catalogue import EventDetails, create_event

        event = create_event("e-1", EventDetails(title="E"))
        with make_pdf([["queued text"]]).open("rb") as stream:
            item = ingest.accept_file(
                current_storage(), stream, "q.pdf", event, None, ingest.ItemFields()
            ).item
        db.session.commit()
        tasks.enqueue_processing(item.id)
        huey = tasks.queue()
        assert huey.pending_count() == 1
        huey.execute(huey.dequeue())
        db.session.expire_all()
        assert db.session.get(Item, item.id).status == "ready"
        assert search("queued").total_hits == 0  # indexing is a task of its own
        assert huey.pending_count() == 1
        huey.execute(huey.dequeue())
        assert search("queued").total_hits == 1
        db.session.expire_all()
        assert db.session.get(Item, item.id).indexed_at is not None


def test_reprocess_rebuilds_text_and_images_from_the_original(queued_deck, runner):
    process_item(queued_deck.id, "w")
    db.session.execute(Page.__table__.update().values(text="stale"))
    current_storage().delete_derived(queued_deck.id)
    db.session.commit()
    result = runner.invoke(args=["reprocess"])
    assert result.exit_code == 0, result.output
    texts = db.session.scalars(select(Page.text).order_by(Page.number)).all()
    assert texts == ["Cyber Security Center", "ASAN service"]
    assert current_storage().derived_file(queued_deck.id, "page-0002-thumb.webp")


def test_reindex_rebuilds_the_index_from_the_database(queued_deck, runner):
    process_item(queued_deck.id, "w")
    current_index().remove_item(queued_deck.id)
    assert search("Cyber").total_hits == 0
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 item(s)" in result.output
    assert [(g.item_id, g.best.page) for g in search("Cyber").groups] == [(queued_deck.id, 1)]


def write_tree(root, make_pdf, make_jpeg):
    root.mkdir()
    (root / "deck.pdf").write_bytes(make_pdf([["Digital divide"], ["Budget"]]).read_bytes())
    (root / "sub").mkdir()
    (root / "sub" / "photo.jpg").write_bytes(make_jpeg().read_bytes())
    (root / "notes.pdf").write_bytes(b"<html>not a pdf</html>")
    (root / ".hidden.pdf").write_bytes(b"ignored")


def test_import_folder_reports_and_exits_nonzero_on_failures(
    runner, make_event, make_pdf, make_jpeg, tmp_path
):
    make_event("baku-2023")
    folder = tmp_path / "batch"
    write_tree(folder, make_pdf, make_jpeg)
    result = runner.invoke(args=["import", str(folder), "--event", "baku-2023"])
    assert result.exit_code == 1
    assert "Imported 2 file(s) (2 pages), 0 duplicate(s), 1 failed." in result.output
    assert "failed: notes.pdf: notes.pdf: not a PDF or a supported photo" in result.output
    assert {i.status for i in db.session.scalars(select(Item))} == {"ready"}
    assert search("divide").total_hits == 1
    again = runner.invoke(args=["import", str(folder), "--event", "baku-2023"])
    assert "Imported 0 file(s) (0 pages), 2 duplicate(s), 1 failed." in again.output
    assert db.session.scalar(select(func.count()).select_from(Item)) == 2


def test_import_per_event_folders_with_metadata(runner, make_pdf, tmp_path):
    root = tmp_path / "archive"
    event_dir = root / "baku"
    event_dir.mkdir(parents=True)
    (event_dir / "deck.pdf").write_bytes(make_pdf([["ASAN xidmet"]]).read_bytes())
    (event_dir / "event.toml").write_text(
        'slug = "baku-2023"\ntitle = "e-Government in Azerbaijan"\nstart = 2023-07-25\n'
        'end = "2023-07-26"\ncity = "Baku"\ntags = ["e-Government"]\n'
        '[defaults]\nvisibility = "shared"\n'
        '[[files]]\nname = "deck.pdf"\ntitle = "ASAN"\nspeakers = "Inara Valiyeva"\n'
        'visibility = "staff"\n',
        encoding="utf-8",
    )
    result = runner.invoke(args=["import", str(root), "--per-event"])
    assert result.exit_code == 0, result.output
    event = db.session.scalar(select(Event))
    assert (event.slug, event.city, event.end_date.isoformat()) == (
        "baku-2023",
        "Baku",
        "2023-07-26",
    )
    deck = db.session.scalar(select(Presentation))
    assert (deck.title, deck.speakers, deck.visibility) == ("ASAN", "Inara Valiyeva", "staff")


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd"])
def test_import_metadata_cannot_point_outside_its_folder(runner, tmp_path, name):
    event_dir = tmp_path / "root" / "e"
    event_dir.mkdir(parents=True)
    (event_dir / "event.toml").write_text(f'title = "T"\n[[files]]\nname = "{name}"\n')
    result = runner.invoke(args=["import", str(tmp_path / "root"), "--per-event"])
    assert result.exit_code == 1 and "must be relative to its folder" in result.output
    assert db.session.scalar(select(func.count()).select_from(Item)) == 0


def test_demo_loads_once_and_is_searchable(app):
    files = len(DEMO_PHOTOS) + len(DEMO_DECKS)
    first = load_demo()
    assert first.created and first.password and first.items == files and not first.failed
    assert load_demo().created is False
    assert db.session.scalar(select(func.count()).select_from(Item)) == files
    groups = search("ASAN xidmət").groups
    assert groups and groups[0].title.startswith("Elektron hökumətin")
    assert search("hokumet").total_hits >= 1
    assert search("правительства").total_hits >= 1


def test_failed_reprocessing_removes_stale_pages_from_search(queued_deck, monkeypatch):
    process_item(queued_deck.id, "w")
    assert search("Cyber").total_hits == 1
    path = current_storage()._original_path(queued_deck.sha256)
    path.write_bytes(b"%PDF-1.4 garbage")
    from archive.pipeline import reprocess_item

    status, error = reprocess_item(queued_deck.id)
    assert status == "failed" and error.startswith("deck.pdf: ")
    assert search("Cyber").total_hits == 0


def test_upload_stream_is_read_in_chunks(app):
    stored = current_storage().store_original(io.BytesIO(b"x" * (3 * 1024 * 1024 + 5)))
    assert stored.size == 3 * 1024 * 1024 + 5
    assert current_storage().hash_original(stored.sha256) == stored.sha256


def run_index_task(app) -> None:
    """Execute one index_ready task as a worker would."""
    huey = tasks.queue()
    huey.execute(app.extensions[tasks.KEY]["tasks"]["index_ready"].s())


def hold_lock_and_die(path) -> None:
    """Another process takes the index lock (the flock, or PostgreSQL's advisory lock) and
    is killed while holding it."""
    if locks.shared_database():
        dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        key = locks.lock_key(pipeline.INDEX_LOCK)
        script = (
            "import psycopg, time\n"
            f"conn = psycopg.connect({dsn!r}, autocommit=True)\n"
            f"conn.execute('SELECT pg_advisory_lock({locks.NAMESPACE}, {key})')\n"
            "print('held', conn.info.backend_pid, flush=True)\n"
            "time.sleep(60)\n"
        )
    else:
        script = (
            "import fcntl, sys, time\n"
            f"handle = open({str(path)!r}, 'a')\n"
            "fcntl.flock(handle, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n"
        )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    said = holder.stdout.readline().split()
    assert said[0] == b"held"
    holder.kill()
    holder.wait()
    holder.stdout.close()
    if locks.shared_database():  # the server ends the holder's session a moment later
        postgres.wait_for_backend_exit(dsn, int(said[1]))


def test_one_indexing_run_at_a_time_and_none_blocked_by_a_dead_worker(tmp_path, make_pdf):
    """A run that finds another going schedules itself a second later; the lock is dropped
    with its holder, so a worker killed while indexing leaves nothing locked."""
    from tests.conftest import make_app

    app = make_app(tmp_path, QUEUE_IMMEDIATE=False, QUEUE_URL=f"sqlite:///{tmp_path / 'q.db'}")
    lock_path = tmp_path / "instance" / f"{pipeline.INDEX_LOCK}.lock"
    with app.app_context():
        from archive.catalogue import EventDetails, create_event

        event = create_event("e-1", EventDetails(title="E"))
        with make_pdf([["locked text"]]).open("rb") as stream:
            accepted = ingest.accept_file(
                current_storage(), stream, "l.pdf", event, None, ingest.ItemFields()
            )
        db.session.commit()
        extract_item(accepted.item.id, "w")
        with locks.run_lock(pipeline.INDEX_LOCK, wait=False) as held:
            assert held
            run_index_task(app)
            assert search("locked").total_hits == 0
            assert tasks.queue().pending_count() == 1  # a retry, due a second later
        hold_lock_and_die(lock_path)
        run_index_task(app)
        assert search("locked").total_hits == 1


def test_a_claim_is_renewed_while_its_item_is_processed(app, make_event, make_presentation):
    """The heartbeat: a long extraction keeps its lease, so no other worker takes it."""
    app.config["WORKER_LEASE_S"] = 0.6
    deck = make_presentation(make_event(), status="queued")
    assert claim(deck.id, "host-a:1")
    first = db.session.get(Item, deck.id).lease_until
    with pipeline.keep_claim(deck.id, "host-a:1"):
        import time

        time.sleep(1.0)
        db.session.expire_all()
        renewed = db.session.get(Item, deck.id).lease_until
    assert renewed > first


def test_an_expired_claim_of_another_machine_is_taken_up(app, make_event, make_presentation):
    """A worker on another machine died (no heartbeat): once its lease ran out, this
    machine's recovery queues the item again and a worker here claims it."""
    deck = make_presentation(make_event(), status="queued")
    assert claim(deck.id, "other-machine:4242")
    assert pipeline.release_abandoned(tasks.worker_host()) == []  # lease still running
    deck = db.session.get(Item, deck.id)
    deck.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert pipeline.release_abandoned(tasks.worker_host()) == [deck.id]
    assert claim(deck.id, f"{tasks.worker_host()}:1")
