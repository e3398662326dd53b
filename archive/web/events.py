"""Event pages: the list by year and one event with its presentations and photos."""

from __future__ import annotations

from datetime import date
from functools import partial
from itertools import groupby

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from archive import downloads, permissions, sending
from archive.extensions import db
from archive.guards import load_event_or_404, require_login
from archive.models import Event, Item, Photo, Presentation
from archive.ordering import sort_items
from archive.programme.timetable import build_timetable, has_programme
from archive.web.forms import BulkEditForm, EventFilterForm

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
    return render_detail(load_event(slug))


SORTS = {
    "title": lazy_gettext("Title"),
    "speaker": lazy_gettext("Speaker"),
    "uploaded": lazy_gettext("Upload date, newest first"),
}
VIEWS = {"list": lazy_gettext("List"), "grid": lazy_gettext("Grid")}


def render_detail(event: Event, bulk_form: BulkEditForm | None = None, status: int = 200):
    """The event page: its programme as a timetable when it has one, else (or with
    ?view=list, or with the selection form's errors) the lists of decks and photos."""
    staff = permissions.may_edit(current_user, event)
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "title"
    view = request.args.get("view") if request.args.get("view") in VIEWS else "list"
    presentations = sort_items(db.session.scalars(event_items(Presentation, event)).all(), sort)
    photos = sort_items(db.session.scalars(event_items(Photo, event)).all(), sort)
    programme = has_programme(event)
    timetable = None
    if programme and bulk_form is None and request.args.get("view") not in VIEWS:
        timetable = build_timetable(event, presentations, photos)
    if staff and bulk_form is None:
        bulk_form = BulkEditForm(formdata=None)
    return render_template(
        "events/detail.html",
        event=event,
        presentations=presentations,
        photos=photos,
        sort=sort,
        sorts=SORTS,
        view=view,
        views=VIEWS,
        repeated_titles=repeated_titles(presentations),
        timetable=timetable,
        has_programme=programme,
        may_edit_programme=permissions.may_edit_programme(current_user, event),
        downloadable=downloadable_decks(event),
        may_edit=staff,
        deck_downloads=downloads.deck_downloads(event) if staff else {},
        may_download=partial(permissions.may_download, current_user),
        bulk_form=bulk_form,
        selected=set((bulk_form.items.data or []) if bulk_form else []),
    ), status


def repeated_titles(items: list[Item]) -> set[str]:
    """Titles that more than one item carries (case-insensitive): those show their file name."""
    seen: dict[str, int] = {}
    for item in items:
        key = item.display_title.casefold()
        seen[key] = seen.get(key, 0) + 1
    return {key for key, count in seen.items() if count > 1}


def event_items(kind, event: Event):
    """An event's items of one kind that this user may see (unfinished ones: staff only);
    staff also see each item's versions, loaded here in one query."""
    query = select(kind).where(kind.event_id == event.id, permissions.item_filter(current_user))
    if permissions.may_manage_versions(current_user):
        query = query.options(selectinload(kind.versions))
    return query


def downloadable_decks(event: Event) -> list[Presentation]:
    """The ready decks of an event this user may download (what the ZIP contains), in the
    event page's order."""
    return downloads.downloadable_decks(current_user, event, request.args.get("sort", "title"))


@bp.get("/<slug>/presentations.zip")
def presentations_zip(slug: str):
    """Every deck of the event this user may download, as one ZIP streamed while written."""
    return sending.send_event_zip(load_event(slug), request.args.get("sort", "title"))


def load_event(slug: str) -> Event:
    """The event, or 404 (also when it exists but this user may not see it)."""
    return load_event_or_404(slug, permissions.may_view_event)
