"""Files of an item: the original as a download, and derived images (thumbnails, previews).

Originals are always sent as attachments with the type decided by content at upload, so a
file is never rendered by the browser as a page of this site (see `archive.sending`).
Derived images are files we wrote ourselves (WebP/JPEG).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for

from archive import permissions, sending
from archive.guards import load_or_404, require_login
from archive.models import Item, ItemKind, Presentation
from archive.storage import PAGE_FILES, PHOTO_FILES, page_file, photo_file

bp = Blueprint("items", __name__, url_prefix="/items")
bp.before_request(require_login)


def load_item(item_id: int) -> Item:
    """The item, or 404 (also when it exists but this user may not see it)."""
    return load_or_404(Item, item_id, permissions.may_view_item)


@bp.get("/<int:item_id>")
def view(item_id: int):
    """The page that shows an item: the viewer for decks, the event gallery for photos."""
    item = load_item(item_id)
    if isinstance(item, Presentation):
        return redirect(url_for("presentations.view", item_id=item.id))
    return redirect(url_for("events.detail", slug=item.event.slug, _anchor=f"photo-{item.id}"))


@bp.get("/<int:item_id>/download")
def download(item_id: int):
    return sending.send_original(load_or_404(Item, item_id, permissions.may_download))


@bp.get("/<int:item_id>/photo/<size>")
def photo_image(item_id: int, size: str):
    item = load_item(item_id)
    if size not in PHOTO_FILES or item.kind != ItemKind.PHOTO:
        abort(404)
    return sending.send_derived(item, photo_file(size))


@bp.get("/<int:item_id>/pages/<int:number>/<size>")
def page_image(item_id: int, number: int, size: str):
    item = load_item(item_id)
    if size not in PAGE_FILES or not isinstance(item, Presentation):
        abort(404)
    return sending.send_derived(item, page_file(number, size))
