"""Files by token: an item's original, a deck's pages (text and images), a photo's sizes.

The same files, names, GPS rule and download records as the pages (`archive.sending`); a
page of a deck is also offered as JSON, the viewer of an API client.
"""

from __future__ import annotations

from flask import abort, jsonify, request

from archive import permissions, sending
from archive.api.blueprint import bp
from archive.api.items import image_url, item_links, page_url
from archive.fulltext import highlight_text
from archive.guards import load_or_404
from archive.models import Item, ItemKind, Page, Presentation
from archive.storage import PAGE_FILES, PHOTO_FILES, page_file, photo_file

MAX_TERMS = 20


@bp.get("/items/<int:item_id>/download")
def download_item(item_id: int):
    """The original, as the page's Download button sends it (and recorded the same way)."""
    return sending.send_original(load_or_404(Item, item_id, permissions.may_download))


@bp.get("/items/<int:item_id>/pages/<int:number>")
def get_page(item_id: int, number: int):
    """One page of a deck: its text (with `hl` terms marked), label and image URLs."""
    deck = load_or_404(Presentation, item_id, permissions.may_view_item)
    page = page_of(deck, number)
    terms = [t for t in request.args.getlist("hl") if t.strip()][:MAX_TERMS]
    count = len(deck.pages)
    about_deck = item_links(deck)
    links = {
        "self": page_url(deck.id, number, terms),
        "item": about_deck["self"],
        "download": about_deck["download"],
        "thumbnail": image_url(deck.id, number, "thumb"),
        "image": image_url(deck.id, number, "preview"),
    }
    if number > 1:
        links["previous"] = page_url(deck.id, number - 1, terms)
    if number < count:
        links["next"] = page_url(deck.id, number + 1, terms)
    return jsonify(
        item_id=deck.id,
        number=page.number,
        label=page.label,
        page_count=count,
        language=page.language,
        text=page.text,
        highlighted=str(highlight_text(page.text, terms)),
        links=links,
    )


def page_of(deck: Presentation, number: int) -> Page:
    if not 1 <= number <= len(deck.pages):
        abort(404)
    return deck.pages[number - 1]


@bp.get("/items/<int:item_id>/pages/<int:number>/<size>")
def page_image(item_id: int, number: int, size: str):
    item = load_or_404(Item, item_id, permissions.may_view_item)
    if size not in PAGE_FILES or not isinstance(item, Presentation):
        abort(404)
    return sending.send_derived(item, page_file(number, size))


@bp.get("/items/<int:item_id>/photo/<size>")
def photo_image(item_id: int, size: str):
    item = load_or_404(Item, item_id, permissions.may_view_item)
    if size not in PHOTO_FILES or item.kind != ItemKind.PHOTO:
        abort(404)
    return sending.send_derived(item, photo_file(size))
