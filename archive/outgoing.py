"""Files that leave the archive for people outside it (share links, partner bundles): a
deck's original, and a photo without its GPS position.

A photo whose position cannot be removed with certainty is never sent as it is: its
1600 px copy (written without any metadata when the photo was processed) goes instead,
under a name that says so, and the bundle index notes why.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import BinaryIO

from archive.ingest.bytepatch import Patch, PatchedReader
from archive.ingest.photos import LocationNotRemoved, location_free_patches
from archive.models import Item, ItemKind
from archive.services import current_storage
from archive.storage import photo_file

logger = logging.getLogger(__name__)

SMALLER_COPY_NOTE = "a 1600 px copy: the location could not be removed from the original"


@dataclass(frozen=True)
class OutgoingFile:
    """What is sent for one item: its download name, type, size, and how to open it."""

    item_id: int
    name: str
    mime: str
    size: int
    modified: datetime
    open: Callable[[], BinaryIO]
    note: str = ""


def outgoing_file(item: Item) -> OutgoingFile | None:
    """The file an outside recipient gets for `item`, or None when none can be sent (the
    original is missing; a photo's position cannot be removed and it has no small copy)."""
    storage = current_storage()
    if not storage.has_original(item.sha256):
        logger.warning("item %d: original %s missing; not sent", item.id, item.sha256)
        return None
    if item.kind != ItemKind.PHOTO:
        opener = partial(storage.open_original, item.sha256)
        return OutgoingFile(
            item.id, item.original_filename, item.mime, item.size, item.updated_at, opener
        )
    try:
        with storage.original_file(item.sha256) as path:
            patches = location_free_patches(path, item.mime)
    except LocationNotRemoved as exc:
        logger.warning("item %d: %s; sending its 1600 px copy", item.id, exc)
        return smaller_copy(item)
    opener = partial(open_patched, item.sha256, patches)
    return OutgoingFile(
        item.id, item.original_filename, item.mime, item.size, item.updated_at, opener
    )


def open_patched(sha256: str, patches: list[Patch]) -> BinaryIO:
    return PatchedReader(current_storage().open_original(sha256), patches)


def smaller_copy(item: Item) -> OutgoingFile | None:
    """The photo's metadata-free lightbox image, when it has one."""
    path = current_storage().derived_file(item.id, photo_file("lightbox"))
    if path is None:
        return None
    stem = os.path.splitext(item.original_filename)[0] or "photo"
    return OutgoingFile(
        item.id,
        f"{stem} (1600 px).jpg",
        "image/jpeg",
        path.stat().st_size,
        item.updated_at,
        partial(path.open, "rb"),
        SMALLER_COPY_NOTE,
    )
