"""Event pages: the list by year and one event with its presentations and photos."""

from __future__ import annotations

from datetime import date
from itertools import groupby

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import ColumnElement, or_, select
from wtforms import SelectChoice

from archive import permissions
from archive.extensions import db
from archive.models import Event, Photo, Presentation
from archive.web.access import require_login
from archive.web.forms import EventFilterForm

bp = Blueprint("events", __name__, url_prefix="/events")
bp.before_request(require_login)


@bp.get("/")
def index():
    visible = permissions.event_filter(current_user)
    form = filter_form(visible)
    events = db.session.scalars(
        select(Event)
        .where(visible, *event_conditions(form))
        .order_by(Event.start_date.desc().nulls_last(), Event.title)
    ).all()
    by_year = [(year, list(group)) for year, group in groupby(events, key=lambda e: e.year)]
    return render_template(
        "events/index.html",
        by_year=by_year,
        form=form,
        filtered=any(request.args.get(name) for name in ("q", "year", "country")),
        may_create=permissions.may_edit(current_user),
    )


def filter_form(visible: ColumnElement[bool]) -> EventFilterForm:
    """The filter form, offering only years and countries of events this user may see."""
    rows = db.session.execute(select(Event.start_date, Event.country).where(visible)).all()
    years = sorted({d.year for d, _ in rows if d}, reverse=True)
    countries = sorted({c for _, c in rows if c}, key=str.lower)
    form = EventFilterForm(formdata=request.args)
    form.year.choices += [SelectChoice(str(y)) for y in years]
    form.country.choices += [SelectChoice(c) for c in countries]
    form.validate()
    return form


def event_conditions(form: EventFilterForm) -> list[ColumnElement[bool]]:
    """SQL conditions for the filled-in, valid filters; a stale value is ignored."""
    conditions = []
    if (text := (form.q.data or "").strip()) and not form.q.errors:
        columns = (Event.title, Event.city, Event.country)
        conditions.append(or_(*(c.icontains(text, autoescape=True) for c in columns)))
    if form.year.data and not form.year.errors:
        year = int(form.year.data)
        conditions += [
            Event.start_date >= date(year, 1, 1),
            Event.start_date < date(year + 1, 1, 1),
        ]
    if form.country.data and not form.country.errors:
        conditions.append(Event.country == form.country.data)
    return conditions


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
        "events/detail.html",
        event=event,
        presentations=presentations,
        photos=photos,
        may_edit=permissions.may_edit(current_user, event),
    )


def load_event(slug: str) -> Event:
    """The event, or 404; 403 when it exists but this user may not see it."""
    event = db.one_or_404(select(Event).where(Event.slug == slug))
    if not permissions.may_view_event(current_user, event):
        abort(403)
    return event
