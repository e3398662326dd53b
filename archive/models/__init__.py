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
from archive.models.programme import (
    CameraOffset,
    PhotoPlacement,
    ProgrammeSession,
    Talk,
    TalkDeck,
    TalkSpeaker,
)
from archive.models.shares import ShareLink, ShareMiss, share_link_items
from archive.models.signins import SignIn, SignInAttempt
from archive.models.users import ROLES, ApiToken, Organisation, User
from archive.models.versions import ItemVersion
from archive.vocabulary import ItemKind, ItemState, OcrReason, OcrState, Role, Visibility

__all__ = [
    "ROLES",
    "STATES",
    "VISIBILITIES",
    "VISIBILITY_LABELS",
    "ApiToken",
    "AuditEntry",
    "CameraOffset",
    "Event",
    "Grant",
    "Item",
    "ItemKind",
    "ItemVersion",
    "ItemState",
    "OcrReason",
    "OcrState",
    "Organisation",
    "Page",
    "Photo",
    "PhotoPlacement",
    "Presentation",
    "ProgrammeSession",
    "Role",
    "ShareLink",
    "ShareMiss",
    "Talk",
    "TalkDeck",
    "TalkSpeaker",
    "SignIn",
    "SignInAttempt",
    "User",
    "Visibility",
    "share_link_items",
]
