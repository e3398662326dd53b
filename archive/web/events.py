"""Event pages: the list by year and one event with its presentations and photos."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from archive import permissions
from archive.extensions import db
from archive.models import Event, Photo, Presentation
from archive.web.access import require_login

bp = Blueprint("events", __name__, url_prefix="/events")
bp.before_request(require_login)


@bp.get("/")
def index():
    events = db.session.scalars(
        select(Event)
        .where(permissions.event_filter(current_user))
        .order_by(Event.start_date.desc().nulls_last(), Event.title)
    ).all()
    by_year = [(year, list(group)) for year, group in groupby(events, key=lambda e: e.year)]
    return render_template("events/index.html", by_year=by_year)


@bp.get("/<slug>")
def detail(slug: str):
    event = load_event(slug)
    visible = permissions.item_filter(current_user)
    presentations = db.session.scalars(
        select(Presentation)
        .where(Presentation.event_id == event.id, visible)
        .order_by(Presentation.title)
    ).all()
    photos = db.session.scalars(
        select(Photo)
        .where(Photo.event_id == event.id, visible)
        .order_by(Photo.taken_at.nulls_last(), Photo.id)
    ).all()
    return render_template(
        "events/detail.html", event=event, presentations=presentations, photos=photos
    )


def load_event(slug: str) -> Event:
    """The event, or 404; 403 when it exists but this user may not see it."""
    event = db.one_or_404(select(Event).where(Event.slug == slug))
    if not permissions.may_view_event(current_user, event):
        abort(403)
    return event
