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
from archive.models.signins import SignIn, SignInAttempt
from archive.models.users import ROLES, ApiToken, Organisation, Role, User

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
    "ItemState",
    "Organisation",
    "Page",
    "Photo",
    "Presentation",
    "Role",
    "SignIn",
    "SignInAttempt",
    "User",
    "Visibility",
]
