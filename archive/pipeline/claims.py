"""Claims and leases: an item is processed by one worker at a time, and a claim whose
worker died or whose lease ran out can be taken again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update

from archive.extensions import db
from archive.models import Item, ItemState
from archive.models.common import utcnow

logger = logging.getLogger(__name__)

LEASE_GRACE_S = 120
MAX_ATTEMPTS = 3


def lease_seconds() -> int:
    """How long a claim lasts unless its worker renews it (every third of it, see
    `keep_claim`): a killed worker's items go to another worker, on any machine, that soon."""
    return current_app.config["WORKER_LEASE_S"]


def extraction_seconds() -> int:
    """The longest an extraction may run, plus a margin: older temporary files are stale."""
    return current_app.config["EXTRACT_TIMEOUT_S"] + LEASE_GRACE_S


def claim(item_id: int, worker: str) -> bool:
    """Atomically take a queued item (or one whose lease ran out) for this worker.

    An atomic `queued -> processing` update means two deliveries of the same task, or two
    workers, never process one item at once.
    """
    now = utcnow()
    expired = (Item.status == ItemState.PROCESSING) & (Item.lease_until < now)
    result = db.session.execute(
        update(Item)
        .where(Item.id == item_id, or_(Item.status == ItemState.QUEUED, expired))
        .values(
            status=ItemState.PROCESSING,
            claimed_by=worker,
            lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=Item.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


@contextmanager
def keep_claim(item_id: int, worker: str) -> Iterator[None]:
    """Renew this worker's lease on the item every third of a lease while the block runs,
    from a thread with its own session; a renewal that fails is logged and tried again."""
    app = current_app._get_current_object()
    period = lease_seconds() / 3
    stop = threading.Event()

    def renew() -> None:
        with app.app_context():
            while not stop.wait(period):
                try:
                    db.session.execute(
                        update(Item)
                        .where(Item.id == item_id, Item.claimed_by == worker)
                        .where(Item.status == ItemState.PROCESSING)
                        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds()))
                        .execution_options(synchronize_session=False)
                    )
                    db.session.commit()
                except Exception:
                    logger.exception("could not renew the claim on item %d", item_id)
                    db.session.rollback()
            db.session.remove()

    renewer = threading.Thread(target=renew, name=f"lease-{item_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
