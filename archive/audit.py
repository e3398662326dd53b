"""Recording actions in the audit log; callers commit with the action itself."""

from __future__ import annotations

import logging

from archive.extensions import db
from archive.models import AuditEntry

logger = logging.getLogger(__name__)


def record(actor, action: str, target=None, summary: str = "", ip: str | None = None) -> AuditEntry:
    """Add an audit entry to the session; it is committed with the change it describes."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", "") or "system",
        action=action,
        target_type=_target_type(target),
        target_id=getattr(target, "id", None),
        summary=summary[:2000],
        ip=ip,
    )
    db.session.add(entry)
    logger.info(
        "audit %s by %s on %s %s", action, entry.actor_name, entry.target_type, entry.target_id
    )
    return entry


def _target_type(target) -> str | None:
    if target is None:
        return None
    return getattr(target, "kind", None) or type(target).__name__.lower()
