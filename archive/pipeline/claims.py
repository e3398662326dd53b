"""Claims and leases: an item (or a new version of one) is processed by one worker at a
time, and a claim whose worker died or whose lease ran out can be taken again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update

from archive.extensions import db
from archive.models import Item, ItemState, ItemVersion
from archive.models.common import utcnow

logger = logging.getLogger(__name__)

LEASE_GRACE_S = 120
MAX_ATTEMPTS = 3

# What a worker claims: an item's file, or a new version of an item (processed beside it).
Claimable = type[Item] | type[ItemVersion]


def lease_seconds() -> int:
    """How long a claim lasts unless its worker renews it (every third of it, see
    `keep_claim`): a killed worker's items go to another worker, on any machine, that soon."""
    return current_app.config["WORKER_LEASE_S"]


def extraction_seconds() -> int:
    """The longest an extraction may run, plus a margin: older temporary files are stale."""
    return current_app.config["EXTRACT_TIMEOUT_S"] + LEASE_GRACE_S


def claim(item_id: int, worker: str, model: Claimable = Item) -> bool:
    """Atomically take a queued item or version (or one whose lease ran out) for this worker.

    An atomic `queued -> processing` update means two deliveries of the same task, or two
    workers, never process one file at once.
    """
    now = utcnow()
    expired = (model.status == ItemState.PROCESSING) & (model.lease_until < now)
    result = db.session.execute(
        update(model)
        .where(model.id == item_id, or_(model.status == ItemState.QUEUED, expired))
        .values(
            status=ItemState.PROCESSING,
            claimed_by=worker,
            lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=model.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


@contextmanager
def keep_claim(item_id: int, worker: str, model: Claimable = Item) -> Iterator[None]:
    """Renew this worker's lease on the item (or version) every third of a lease while the
    block runs, from a thread with its own session; a renewal that fails is logged and tried
    again."""
    app = current_app._get_current_object()
    period = lease_seconds() / 3
    stop = threading.Event()

    def renew() -> None:
        with app.app_context():
            while not stop.wait(period):
                try:
                    db.session.execute(
                        update(model)
                        .where(model.id == item_id, model.claimed_by == worker)
                        .where(model.status == ItemState.PROCESSING)
                        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds()))
                        .execution_options(synchronize_session=False)
                    )
                    db.session.commit()
                except Exception:
                    logger.exception(
                        "could not renew the claim on %s %d", model.__tablename__, item_id
                    )
                    db.session.rollback()
            db.session.remove()

    renewer = threading.Thread(target=renew, name=f"lease-{item_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
