"""The archive's database models."""

from archive.models.audit import AuditEntry
from archive.models.events import Event, Grant
from archive.models.items import (
    STATES,
    VISIBILITIES,
    VISIBILITY_LABELS,
    Item,
    ItemKind,
    ItemState,
    Page,
    Photo,
    Presentation,
    Visibility,
)
from archive.models.shares import ShareLink, share_link_items
from archive.models.users import ROLES, ApiToken, Organisation, Role, User
from archive.models.versions import ItemVersion

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
    "ItemKind",
    "ItemVersion",
    "ItemState",
    "Organisation",
    "Page",
    "Photo",
    "Presentation",
    "Role",
    "ShareLink",
    "User",
    "Visibility",
    "share_link_items",
]
