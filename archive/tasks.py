"""The task queue (huey) and its tasks: each takes ids and calls `archive.pipeline`.

The queue lives in SQLite in the instance folder by default, so that one machine needs no
extra server; `ARCHIVE_QUEUE_URL=redis://host:6379/0` puts it in Redis so that workers on
several machines share the load. Tasks are idempotent: the pipeline claims an item before
it processes it, so a task delivered twice, or re-queued after a crash, does its work once.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app
from huey import PriorityRedisHuey, SqliteHuey, crontab

from archive import pipeline
from archive.extensions import db
from archive.models import ItemState, OcrState
from archive.startup import StartupError

logger = logging.getLogger(__name__)

KEY = "archive.queue"
# Index tasks jump the queue: an item is searchable as soon as a worker is free, not after
# the backlog of uploads queued before it.
INDEX_PRIORITY = 100
INDEX_RETRY_S = 1
# Text recognition waits behind every upload and index task, and gives its worker back after
# each page (a slice of OCR_SLICE_S, 0: one page): a deck uploaded meanwhile waits for at most
# one page's recognition (1-2.5 s measured), not for a 40-page scan. The index is brought up
# to date when an item finishes, and every OCR_INDEX_EVERY pages of a long scan before that.
OCR_PRIORITY = -10
OCR_SLICE_S = 0.0
OCR_INDEX_EVERY = 10


def init_app(app: Flask) -> None:
    """Create this app's queue and register its tasks, which run inside this app."""
    huey = build_queue(app)
    tasks = {
        "process_item": huey.task(name="process_item")(in_app(app, _process_item)),
        "process_version": huey.task(name="process_version")(in_app(app, _process_version)),
        "index_ready": huey.task(name="index_ready", priority=INDEX_PRIORITY)(
            in_app(app, _index_ready)
        ),
        "index_item": huey.task(name="index_item")(in_app(app, _index_item)),
        "reindex_event": huey.task(name="reindex_event")(in_app(app, _reindex_event)),
        "recognise_item": huey.task(name="recognise_item", priority=OCR_PRIORITY)(
            in_app(app, _recognise_item)
        ),
    }
    huey.periodic_task(crontab(minute="*"), name="recover_items")(in_app(app, _recover_items))
    app.extensions[KEY] = {"huey": huey, "tasks": tasks}


def build_queue(app: Flask):
    url = app.config.get("QUEUE_URL")
    immediate = bool(app.config.get("QUEUE_IMMEDIATE"))
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        # The priority flavour: index tasks jump the queue (plain RedisHuey refuses priorities).
        huey = PriorityRedisHuey("workshop-archive", url=url, results=False, immediate=immediate)
        if not immediate:
            check_redis(huey, url)
        return huey
    filename = url.removeprefix("sqlite:///") if url else str(Path(app.instance_path) / "queue.db")
    return SqliteHuey("workshop-archive", filename=filename, results=False, immediate=immediate)


def check_redis(huey, url: str) -> None:
    """Ping the queue's Redis once, so that a wrong URL or a server that is down stops
    start-up with one line naming it (password hidden) instead of failing the first upload."""
    shown = re.sub(r"//[^@/]*@", "//***@", url)
    try:
        huey.storage.conn.ping()
    except Exception as exc:  # any client error means the same to an operator
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StartupError(f"cannot reach the queue {shown}: {reason}") from exc


def in_app(app: Flask, func):
    """Run a task body inside an app context, with its own database session."""

    def run(*args):
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


def task(name: str):
    return current_app.extensions[KEY]["tasks"][name]


def enqueue_processing(item_ids: int | Iterable[int]) -> None:
    """After the commit: process items in a worker (or right here when the queue is
    immediate)."""
    for item_id in [item_ids] if isinstance(item_ids, int) else item_ids:
        task("process_item")(item_id)


def enqueue_version_processing(version_ids: int | Iterable[int]) -> None:
    """After the commit: process new versions of items in a worker (or right here)."""
    for version_id in [version_ids] if isinstance(version_ids, int) else version_ids:
        task("process_version")(version_id)


def enqueue_recognition(item_ids: Iterable[int]) -> None:
    """After the commit: recognise text in these items, behind all other work."""
    if current_app.config["OCR"] == "auto":
        for item_id in item_ids:
            task("recognise_item")(item_id)


def enqueue_indexing(item_id: int) -> None:
    task("index_item")(item_id)


def enqueue_event_reindex(event_id: int) -> None:
    task("reindex_event")(event_id)


def pending_count() -> int:
    huey = queue()
    return 0 if huey.immediate else huey.pending_count()


def recover_and_enqueue(at_start: bool) -> pipeline.Recovery:
    """Hand to the queue again what dead workers and lost messages left behind."""
    queue_empty = not at_start and pending_count() == 0
    found = pipeline.recover(worker_host(), at_start=at_start, queue_empty=queue_empty)
    enqueue_processing(found.to_process)
    enqueue_version_processing(found.versions_to_process)
    for item_id in found.to_index:
        enqueue_indexing(item_id)
    enqueue_recognition(found.to_recognise)
    return found


def _process_item(item_id: int) -> None:
    """Extract and thumbnail one item, then ask for everything ready to be indexed."""
    if pipeline.extract_item(item_id, worker_id()) == ItemState.READY:
        task("index_ready")()
        enqueue_recognition([item_id])


def _recognise_item(item_id: int) -> None:
    """Recognise text for one slice of time; queue the rest, and index what was added."""
    state = pipeline.recognise_item(item_id, worker_id(), budget_s=OCR_SLICE_S)
    if state is None:
        return
    if state != OcrState.PENDING or pipeline.recognised_pages(item_id) % OCR_INDEX_EVERY == 0:
        task("index_ready")()
    if state == OcrState.PENDING:
        task("recognise_item")(item_id)


def _process_version(version_id: int) -> None:
    """Extract a new version of an item beside its current one; when it became ready, ask
    for the item to be indexed (which replaces the old version in search)."""
    if pipeline.extract_version(version_id, worker_id()) == ItemState.READY:
        task("index_ready")()
        item_id = pipeline.version_item(version_id)
        if item_id is not None:
            enqueue_recognition([item_id])  # a no-op unless it became current


def _index_ready() -> None:
    """Index every processed item not in the index yet; when another run holds the index,
    try again a second later (that run may have started before this item was ready)."""
    if pipeline.index_pending(wait=False) is None:
        task("index_ready").schedule(delay=INDEX_RETRY_S)


def _index_item(item_id: int) -> None:
    """Bring one item's search documents up to date with the database."""
    pipeline.reindex_items([item_id])


def _reindex_event(event_id: int) -> None:
    """After an event's grants or details change, refresh its items' documents."""
    pipeline.reindex_event(event_id)


def _recover_items() -> None:
    """Periodic sweep: re-queue items whose worker died or whose lease ran out, index what
    was never indexed, clear what killed processes left in tmp/."""
    recover_and_enqueue(at_start=False)


def worker_host() -> str:
    return os.uname().nodename


def worker_id() -> str:
    return f"{worker_host()}:{os.getpid()}"
