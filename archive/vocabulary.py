"""The archive's words for states, kinds, visibility and roles, defined once.

StrEnums compare equal to the strings stored in the database, so columns stay plain text.
This module imports nothing, so the extraction layer (which runs in sandbox children) can
use the same words as the models without loading the database code.
"""

from enum import StrEnum


class ItemState(StrEnum):
    """Where an item is in processing: `queued -> processing -> ready | failed`."""

    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Visibility(StrEnum):
    """Who may see an item besides staff: everyone its event reaches, or staff alone."""

    SHARED = "shared"
    STAFF = "staff"


class ItemKind(StrEnum):
    """The two kinds of item, stored in `items.kind` (single-table inheritance)."""

    PRESENTATION = "presentation"
    PHOTO = "photo"


class Role(StrEnum):
    """What an account may do; `archive.permissions` turns roles into access rules."""

    ADMIN = "admin"
    STAFF = "staff"
    RESEARCHER = "researcher"
    PARTNER = "partner"


class OcrState(StrEnum):
    """Where an item is in text recognition, which runs after it is ready: `pending ->
    running -> done | failed`, or `skipped` when no page or photo needed it. None: never
    considered (recognition was off)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class OcrReason(StrEnum):
    """Why a page's text is recognised from its image rather than taken from its text layer."""

    EMPTY = "empty"  # no text layer (a scan, a deck saved as pictures)
    THIN = "thin"  # a few words on a page that is mostly image
    UNREADABLE = "unreadable"  # a text layer that is not the text on the page
