"""Items API: upload files to an event, list an event's items, read one item."""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import select

from archive import ingest, permissions, tasks
from archive.api.blueprint import bp
from archive.errors import api_error
from archive.extensions import db
from archive.guards import load_event_or_404, load_or_404
from archive.ingest import Accepted, FieldError, ItemFields
from archive.models import Event, Item, Presentation, Visibility


def load_event(slug: str) -> Event:
    return load_event_or_404(slug, permissions.may_view_event)


@bp.post("/events/<slug>/items")
def upload_items(slug: str):
    """Accept one or more files (field `files` or `file`); answers at once with each
    file's outcome, while a worker extracts and indexes the accepted ones."""
    event = load_event_or_404(slug, permissions.may_edit)
    files = request.files.getlist("files") + request.files.getlist("file")
    if not files:
        return api_error("no files: send them as multipart field 'files'", 400, "no_files")
    try:
        fields = item_fields(request.form)
    except FieldError as exc:
        return api_error(str(exc), 400, "invalid_field")
    outcomes = ingest.accept_uploads(
        [(upload.stream, upload.filename) for upload in files],
        event,
        current_user._get_current_object(),
        fields,
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        ip=request.remote_addr,
    )
    db.session.commit()
    tasks.enqueue_processing(ingest.accepted_ids(outcomes))
    db.session.expire_all()
    return jsonify(files=[outcome_json(o) for o in outcomes]), upload_status(outcomes)


def item_fields(form) -> ItemFields:
    fields = ItemFields(
        title=form.get("title", ""),
        speakers=form.get("speakers", ""),
        organisation=form.get("organisation", ""),
        language=form.get("language", ""),
        visibility=form.get("visibility", Visibility.SHARED) or Visibility.SHARED,
    )
    ingest.check_fields(fields)
    return fields


def upload_status(outcomes: list[Accepted]) -> int:
    if any(o.outcome == "accepted" for o in outcomes):
        return 202
    if all(o.outcome == "rejected" for o in outcomes):
        return 422
    return 200


def outcome_json(outcome: Accepted) -> dict:
    data = {"filename": outcome.filename, "outcome": outcome.outcome}
    if outcome.item is not None:
        data["item"] = item_json(outcome.item)
    if outcome.duplicate_of is not None:
        data["duplicate_of"] = item_json(outcome.duplicate_of)
        data["error"] = (
            f"{outcome.filename}: already in the archive as item {outcome.duplicate_of.id}"
        )
    if outcome.error:
        data["error"], data["error_code"] = outcome.error, outcome.error_code
    return data


@bp.get("/events/<slug>/items")
def list_items(slug: str):
    event = load_event(slug)
    items = db.session.scalars(
        select(Item)
        .where(Item.event_id == event.id, permissions.item_filter(current_user))
        .order_by(Item.id)
    ).all()
    return jsonify(event=event.slug, items=[item_json(i) for i in items])


@bp.get("/items/<int:item_id>")
def get_item(item_id: int):
    item = load_or_404(Item, item_id, permissions.may_view_item)
    return jsonify(item_json(item))


def item_json(item: Item) -> dict:
    """One item as the API shows it; every link works with the same token."""
    data = {
        "id": item.id,
        "kind": item.kind,
        "state": item.status,
        "error": item.error,
        "error_code": item.error_code,
        "title": item.display_title,
        "original_filename": item.original_filename,
        "sha256": item.sha256,
        "size": item.size,
        "mime": item.mime,
        "visibility": item.visibility,
        "event": item.event.slug,
        "version": item.version_number,
        "page_count": item.page_count if isinstance(item, Presentation) else None,
        # The OCR step after the item is ready: state None (off), pending, running, done,
        # failed or skipped, with pages done of pages to recognise.
        "text_recognition": {
            "state": item.ocr_state,
            "pages_done": item.ocr_pages_done,
            "pages_total": item.ocr_pages_total,
            "error": item.ocr_error,
        },
        "links": item_links(item),
    }
    if isinstance(item, Presentation):
        data.update(speakers=item.speakers, organisation=item.organisation, language=item.language)
    return data


def item_links(item: Item) -> dict[str, str]:
    """The API's URLs about an item: itself, its original, its event and its images."""
    links = {
        "self": url_for("api.get_item", item_id=item.id, _external=True),
        "download": url_for("api.download_item", item_id=item.id, _external=True),
        "event": url_for("api.get_event", slug=item.event.slug, _external=True),
    }
    if isinstance(item, Presentation):
        links["first_page"] = page_url(item.id, 1)
        links["thumbnail"] = image_url(item.id, 1, "thumb")
    else:
        links["thumbnail"] = photo_url(item.id, "grid")
        links["image"] = photo_url(item.id, "lightbox")
    return links


def page_url(item_id: int, number: int, terms=()) -> str:
    """A page of a deck as JSON (number, label, text with the terms marked, images)."""
    hl = list(terms) or None
    return url_for("api.get_page", item_id=item_id, number=number, hl=hl, _external=True)


def image_url(item_id: int, number: int, size: str) -> str:
    return url_for("api.page_image", item_id=item_id, number=number, size=size, _external=True)


def photo_url(item_id: int, size: str) -> str:
    return url_for("api.photo_image", item_id=item_id, size=size, _external=True)
