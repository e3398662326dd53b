"""Files of an item: the original as a download, and derived images (thumbnails, previews).

Originals are always sent as attachments with the type decided by content at upload, so a
file is never rendered by the browser as a page of this site. Derived images are files we
wrote ourselves (WebP/JPEG).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, send_file, url_for
from flask_login import current_user

from archive import permissions
from archive.guards import load_or_404, require_login
from archive.models import Item, ItemKind, Presentation
from archive.services import current_storage
from archive.storage import PAGE_FILES, PHOTO_FILES, mime_of_derived, page_file, photo_file

bp = Blueprint("items", __name__, url_prefix="/items")
bp.before_request(require_login)

IMAGE_MAX_AGE = 3600


def load_item(item_id: int) -> Item:
    """The item, or 404; 403 when it exists but this user may not see it."""
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
    item = load_item(item_id)
    if not permissions.may_download(current_user, item):
        abort(403)
    if not current_storage().has_original(item.sha256):
        abort(404)
    return send_original(item.sha256, item.mime, item.original_filename)


def send_original(sha256: str, mime: str, filename: str):
    """An original as an attachment (never shown as a page of this site), by content hash."""
    response = send_file(
        current_storage().open_original(sha256),
        mimetype=mime,
        as_attachment=True,
        download_name=filename,
        etag=sha256,
        conditional=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/<int:item_id>/photo/<size>")
def photo_image(item_id: int, size: str):
    item = load_item(item_id)
    if size not in PHOTO_FILES or item.kind != ItemKind.PHOTO:
        abort(404)
    return send_derived(item, photo_file(size))


@bp.get("/<int:item_id>/pages/<int:number>/<size>")
def page_image(item_id: int, number: int, size: str):
    item = load_item(item_id)
    if size not in PAGE_FILES or not isinstance(item, Presentation):
        abort(404)
    return send_derived(item, page_file(number, size))


def send_derived(item: Item, name: str):
    path = current_storage().derived_file(item.id, name)
    if path is None:
        abort(404)
    response = send_file(
        path, mimetype=mime_of_derived(name), conditional=True, max_age=IMAGE_MAX_AGE
    )
    response.headers["Cache-Control"] = f"private, max-age={IMAGE_MAX_AGE}"
    return response
