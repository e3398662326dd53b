"""The archive's database models."""

from archive.models.audit import AuditEntry
from archive.models.events import Event, Grant
from archive.models.items import (
    STATES,
    VISIBILITIES,
    VISIBILITY_LABELS,
    Item,
    Page,
    Photo,
    Presentation,
)
from archive.models.users import ROLES, ApiToken, Organisation, User

__all__ = [
    "ROLES",
    "STATES",
    "VISIBILITIES",
    "VISIBILITY_LABELS",
    "ApiToken",
    "AuditEntry",
    "Event",
    "Grant",
    "Item",
    "Organisation",
    "Page",
    "Photo",
    "Presentation",
    "User",
]
