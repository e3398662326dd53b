"""Items API: upload files to an event, list an event's items, read one item."""

from __future__ import annotations

from flask import abort, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import select

from archive import ingest, permissions, tasks
from archive.api.blueprint import bp
from archive.extensions import db
from archive.guards import load_event_or_404, load_or_404
from archive.ingest import Accepted, FieldError, ItemFields
from archive.models import Event, Item, ItemState, Presentation, Visibility


def load_event(slug: str) -> Event:
    return load_event_or_404(slug, permissions.may_view_event)


@bp.post("/events/<slug>/items")
def upload_items(slug: str):
    """Accept one or more files (field `files` or `file`); answers at once with each
    file's outcome, while a worker extracts and indexes the accepted ones."""
    event = load_event(slug)
    if not permissions.may_edit(current_user, event):
        abort(403)
    files = request.files.getlist("files") + request.files.getlist("file")
    if not files:
        return jsonify(error="no files: send them as multipart field 'files'"), 400
    try:
        fields = item_fields(request.form)
    except FieldError as exc:
        return jsonify(error=str(exc)), 400
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
        "page_count": item.page_count if isinstance(item, Presentation) else None,
        # The OCR step after the item is ready: state None (off), pending, running, done,
        # failed or skipped, with pages done of pages to recognise.
        "text_recognition": {
            "state": item.ocr_state,
            "pages_done": item.ocr_pages_done,
            "pages_total": item.ocr_pages_total,
            "error": item.ocr_error,
        },
        "links": {
            "self": url_for("api.get_item", item_id=item.id, _external=True),
            "download": url_for("items.download", item_id=item.id, _external=True),
            "page": url_for("items.view", item_id=item.id, _external=True),
        },
    }
    if item.status == ItemState.READY:
        data["links"]["thumbnail"] = thumbnail_url(item)
    if isinstance(item, Presentation):
        data.update(speakers=item.speakers, organisation=item.organisation, language=item.language)
    return data


def thumbnail_url(item: Item) -> str:
    """A small picture of a ready item: a photo's grid image, a deck's first page."""
    if isinstance(item, Presentation):
        return url_for("items.page_image", item_id=item.id, number=1, size="thumb")
    return url_for("items.photo_image", item_id=item.id, size="grid")
