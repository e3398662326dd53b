"""The task queue (huey) and the tasks: each takes ids and calls a service.

The queue lives in SQLite in the instance folder by default, so that one machine needs no
extra server; `ARCHIVE_QUEUE_URL=redis://host:6379/0` puts it in Redis so that workers on
several machines share the load. Tasks are idempotent: an item is claimed atomically before
it is processed, so a task delivered twice, or re-queued after a crash, does its work once.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab

logger = logging.getLogger(__name__)

KEY = "archive.queue"
# Index tasks jump the queue: an item is searchable as soon as a worker is free, not after
# the backlog of uploads queued before it.
INDEX_PRIORITY = 100


def init_app(app: Flask) -> None:
    """Create this app's queue and register its tasks, which run inside this app."""
    huey = build_queue(app)
    tasks = {
        "process_item": huey.task(name="process_item")(in_app(app, _process_item)),
        "index_ready": huey.task(name="index_ready", priority=INDEX_PRIORITY)(
            in_app(app, _index_ready)
        ),
        "index_item": huey.task(name="index_item")(in_app(app, _index_item)),
        "reindex_event": huey.task(name="reindex_event")(in_app(app, _reindex_event)),
    }
    huey.periodic_task(crontab(minute="*"), name="recover_items")(in_app(app, _recover_items))
    app.extensions[KEY] = {"huey": huey, "tasks": tasks}


def build_queue(app: Flask):
    url = app.config.get("QUEUE_URL")
    immediate = bool(app.config.get("QUEUE_IMMEDIATE"))
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("workshop-archive", url=url, results=False, immediate=immediate)
    filename = url.removeprefix("sqlite:///") if url else str(Path(app.instance_path) / "queue.db")
    return SqliteHuey("workshop-archive", filename=filename, results=False, immediate=immediate)


def in_app(app: Flask, func):
    """Run a task body inside an app context, with its own database session."""

    def run(*args):
        from archive.extensions import db

        with app.app_context():
            try:
                return func(*args)
            finally:
                db.session.remove()

    run.__name__ = func.__name__
    run.__doc__ = func.__doc__
    return run


def queue():
    return current_app.extensions[KEY]["huey"]


def enqueue_processing(item_id: int) -> None:
    """Process an item in a worker (or right here when the queue is immediate)."""
    current_app.extensions[KEY]["tasks"]["process_item"](item_id)


def enqueue_indexing(item_id: int) -> None:
    current_app.extensions[KEY]["tasks"]["index_item"](item_id)


def enqueue_event_reindex(event_id: int) -> None:
    current_app.extensions[KEY]["tasks"]["reindex_event"](event_id)


def pending_count() -> int:
    huey = queue()
    return 0 if huey.immediate else huey.pending_count()


def _process_item(item_id: int) -> None:
    """Extract and thumbnail one item, then ask for it to be indexed."""
    from archive import ingest

    if ingest.process_item(item_id, worker_id(), index=False) == "ready":
        current_app.extensions[KEY]["tasks"]["index_ready"]()


def _index_ready() -> None:
    """Index every processed item that is not in the index yet, in one commit.

    The index takes one writer at a time and a commit costs ~50 ms whatever its size, so
    with several workers one commit per item made indexing the bottleneck (two workers ran
    1.55x one); a run indexes whatever finished meanwhile. One run at a time (two at once
    indexed the same items twice and scaled worse than one per item): a run that finds
    another going tries again a second later. The lock is an flock, which the kernel drops
    when its holder dies, so a killed worker cannot leave indexing blocked.
    """
    from archive import indexing

    with exclusive(Path(current_app.instance_path) / "index-ready.lock") as acquired:
        if acquired:
            indexing.index_unindexed()
            return
    current_app.extensions[KEY]["tasks"]["index_ready"].schedule(delay=1)


@contextmanager
def exclusive(path: Path) -> Iterator[bool]:
    """Try to take an flock on `path` without waiting; yields whether it was taken."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _index_item(item_id: int) -> None:
    """Bring one item's search documents up to date with the database."""
    from archive import indexing

    indexing.index_item(item_id)


def _reindex_event(event_id: int) -> None:
    """After an event's grants or details change, refresh its items' documents."""
    from archive import indexing

    indexing.index_event(event_id)


def _recover_items() -> None:
    """Periodic sweep: re-queue items whose worker died or whose lease ran out, index what
    was never indexed, clear what killed processes left in tmp/."""
    from archive import ingest

    for item_id in ingest.recoverable_items(worker_host(), queue_empty=pending_count() == 0):
        enqueue_processing(item_id)
    for item_id in ingest.unindexed_items():
        enqueue_indexing(item_id)
    ingest.remove_stale_temp()


def worker_host() -> str:
    return os.uname().nodename


def worker_id() -> str:
    return f"{worker_host()}:{os.getpid()}"
