"""Claims and leases: an item is processed by one worker at a time, and a claim whose
worker died or whose lease ran out can be taken again."""

from __future__ import annotations

import logging
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
    """How long a claim lasts: the longest an extraction may run, plus a margin."""
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
