"""`GET /api/v1/events` and `/api/v1/events/<slug>`: what the token's user may see, with the
event's presentations and photos, and its presentations as one ZIP."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from archive import permissions, sending
from archive.api.blueprint import bp
from archive.api.items import item_json
from archive.extensions import db
from archive.guards import load_event_or_404
from archive.models import Event, Item, Photo, Presentation

MAX_PER_PAGE = 100


@bp.get("/events")
def list_events():
    """Events this user may see, newest first, a page at a time."""
    per_page = min(max(request.args.get("per_page", 50, type=int) or 1, 1), MAX_PER_PAGE)
    number = max(request.args.get("page", 1, type=int) or 1, 1)
    visible = permissions.event_filter(current_user)
    query = (
        select(Event)
        .where(visible)
        .order_by(Event.start_date.desc().nulls_last(), Event.title, Event.id)
    )
    page = db.paginate(query, page=number, per_page=per_page, error_out=False)
    counts = item_counts([e.id for e in page.items])
    return jsonify(
        events=[event_json(e, counts.get(e.id, {})) for e in page.items],
        total=page.total,
        page=page.page,
        per_page=per_page,
        page_count=max(page.pages, 1),
        links=page_links(page, per_page),
    )


@bp.get("/events/<slug>")
def get_event(slug: str):
    """One event with the presentations and photos this user may see."""
    event = load_event_or_404(slug, permissions.may_view_event)
    items = db.session.scalars(
        select(Item)
        .where(Item.event_id == event.id, permissions.item_filter(current_user))
        .order_by(Item.kind, Item.title, Item.id)
    ).all()
    counts = item_counts([event.id]).get(event.id, {})
    data = event_json(event, counts)
    data["presentations"] = [item_json(i) for i in items if isinstance(i, Presentation)]
    data["photos"] = [item_json(i) for i in items if isinstance(i, Photo)]
    return jsonify(data)


@bp.get("/events/<slug>/presentations.zip")
def event_zip(slug: str):
    """Every deck of the event this user may download, as one ZIP (recorded as a download)."""
    return sending.send_event_zip(load_event_or_404(slug, permissions.may_view_event))


def event_json(event: Event, counts: dict[str, int]) -> dict:
    links = {
        "self": url_for("api.get_event", slug=event.slug, _external=True),
        "items": url_for("api.list_items", slug=event.slug, _external=True),
    }
    if counts.get("downloadable"):
        links["presentations_zip"] = url_for("api.event_zip", slug=event.slug, _external=True)
    return {
        "slug": event.slug,
        "title": event.title,
        "start_date": event.start_date.isoformat() if event.start_date else None,
        "end_date": event.end_date.isoformat() if event.end_date else None,
        "city": event.city,
        "country": event.country,
        "venue": event.venue,
        "organisers": event.organiser_list,
        "tags": event.tag_list,
        "description": event.description,
        "presentations": counts.get("presentation", 0),
        "photos": counts.get("photo", 0),
        "links": links,
    }


def item_counts(event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per event: the items of each kind this user may see, and the decks they may download."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Item.event_id, Item.kind, Item.status, func.count())
        .where(Item.event_id.in_(event_ids), permissions.item_filter(current_user))
        .group_by(Item.event_id, Item.kind, Item.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for event_id, kind, status, n in rows:
        per_event = counts.setdefault(event_id, {})
        per_event[kind] = per_event.get(kind, 0) + n
        if kind == "presentation" and status == "ready":
            per_event["downloadable"] = per_event.get("downloadable", 0) + n
    return counts


def page_links(page, per_page: int) -> dict[str, str]:
    def at(number: int) -> str:
        return url_for("api.list_events", page=number, per_page=per_page, _external=True)

    last = max(page.pages, 1)
    links = {"self": at(page.page), "first": at(1), "last": at(last)}
    if page.has_prev:
        links["prev"] = at(min(page.page - 1, last))
    if page.has_next:
        links["next"] = at(page.page + 1)
    return links
