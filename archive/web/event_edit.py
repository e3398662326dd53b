"""Creating, editing and deleting events (staff): forms on top of `archive.catalogue`."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from archive import audit, catalogue, materials, permissions, tasks
from archive.catalogue import EventError
from archive.extensions import db
from archive.guards import load_event_or_404, refuse, require_login
from archive.models import Event
from archive.web.forms import DeleteEventForm, EventForm, NewEventForm, form_status, sentence

logger = logging.getLogger(__name__)
bp = Blueprint("event_edit", __name__, url_prefix="/events")
bp.before_request(require_login)


@bp.route("/new", methods=["GET", "POST"])
def create():
    if not permissions.may_edit(current_user):
        refuse(403, "staff page")
    form = NewEventForm()
    if not form.validate_on_submit():
        return render_template("events/form.html", form=form, event=None), form_status()
    slug = (form.slug.data or "").strip() or catalogue.suggest_slug(form.title.data)
    try:
        event = catalogue.create_event(slug, form.details())
    except EventError as exc:
        db.session.rollback()
        flash(sentence(exc), "error")
        return render_template("events/form.html", form=form, event=None), 400
    audit.record(current_user, "event.create", event, summary=event.title, ip=request.remote_addr)
    db.session.commit()
    flash(gettext("Event “%(title)s” created.", title=event.title), "success")
    return redirect(url_for("events.detail", slug=event.slug))


@bp.route("/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    event = load_editable_event(slug)
    # Prefill only on GET: a POST is judged by what it sent, never topped up from the row.
    form = EventForm(obj=event) if request.method == "GET" else EventForm()
    if not form.validate_on_submit():
        return render_template("events/form.html", form=form, event=event), form_status()
    try:
        catalogue.apply_details(event, form.details())
    except EventError as exc:
        db.session.rollback()
        flash(sentence(exc), "error")
        return render_template("events/form.html", form=form, event=event), 400
    audit.record(current_user, "event.update", event, summary=event.title, ip=request.remote_addr)
    db.session.commit()
    tasks.enqueue_event_reindex(event.id)  # event fields are copied into every page document
    flash(gettext("Event “%(title)s” saved.", title=event.title), "success")
    return redirect(url_for("events.detail", slug=event.slug))


@bp.route("/<slug>/delete", methods=["GET", "POST"])
def delete(slug: str):
    event = load_editable_event(slug)
    contents = catalogue.event_contents(event)
    form = DeleteEventForm()
    if not form.validate_on_submit() or form.confirm.data != event.slug:
        form.confirm.data = event.slug
        return render_template(
            "events/delete.html", event=event, contents=contents, form=form
        ), form_status()
    title = event.title
    summary = f"{title}: {contents.presentations} presentations, {contents.photos} photos"
    audit.record(current_user, "event.delete", event, summary=summary, ip=request.remote_addr)
    contents = catalogue.delete_event(event)
    db.session.commit()
    materials.purge(materials.Removed(contents.item_ids, contents.sha256s))
    flash(
        gettext(
            "Event “%(title)s” deleted with %(presentations)s presentations and %(photos)s photos.",
            title=title,
            presentations=contents.presentations,
            photos=contents.photos,
        ),
        "success",
    )
    return redirect(url_for("events.index"))


def load_editable_event(slug: str) -> Event:
    """The event, or 404 (also when this user may not edit it)."""
    return load_event_or_404(slug, permissions.may_edit)
