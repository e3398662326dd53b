"""The upload page (staff): choose or create an event, drop many files, watch them processed.

With JavaScript (`static/js/upload.js`) each file goes to the items API in a request of its
own, with a progress bar, and its processing state is polled until it is final. Without
JavaScript the same form is a multipart POST here, answered by a redirect to a results page;
the outcome of each file travels in the session, bounded so the cookie stays small.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from archive import audit, catalogue, ingest, permissions, tasks
from archive.catalogue import EventError
from archive.extensions import db
from archive.guards import require_login, staff_required
from archive.ingest import Accepted, FieldError, ItemFields
from archive.models import Event, Item, ItemState
from archive.web.forms import QuickEventForm, UploadForm, form_status, sentence

bp = Blueprint("upload", __name__, url_prefix="/upload")
bp.before_request(require_login)

REPORT_KEY = "upload_report"
REPORT_BUDGET = 1500  # characters of file names and messages kept for the results page
MAX_REPORTED_IDS = 300
ACCEPT = ".pdf,application/pdf,image/jpeg,image/png,image/webp,image/tiff,image/heic"


@bp.app_context_processor
def upload_flags() -> dict:
    """Lets `base.html` and the home page offer the upload page to staff only."""
    return {"may_upload": permissions.may_edit(current_user)}


@bp.route("/", methods=["GET", "POST"])
@staff_required
def index():
    form = upload_form()
    if not form.validate_on_submit():
        return render_upload(form), form_status()
    event = db.session.scalar(select(Event).where(Event.slug == form.event.data))
    uploads = [f for f in form.files.data if f and f.filename]
    try:
        fields = item_fields(form, single=len(uploads) == 1)
    except FieldError as exc:
        flash(sentence(exc), "error")
        return render_upload(form), 400
    outcomes = accept_all(event, uploads, fields)
    db.session.commit()
    tasks.enqueue_processing(ingest.accepted_ids(outcomes))
    session[REPORT_KEY] = report(event, outcomes)
    return redirect(url_for("upload.results"))


@bp.get("/results")
@staff_required
def results():
    """What happened to each file of the last upload without JavaScript, with live states."""
    data = session.get(REPORT_KEY)
    if not data:
        return render_template("upload/results.html", event=None, rows=[], more=0, pending=0)
    event = db.session.scalar(select(Event).where(Event.slug == data["event"]))
    ids = data["items"] + [item_id for _, item_id in data["duplicates"]]
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(ids)))}
    rows = [("accepted", None, items.get(item_id), None) for item_id in data["items"]]
    rows += [("duplicate", name, items.get(item_id), None) for name, item_id in data["duplicates"]]
    rows += [("rejected", name, None, message) for name, message in data["rejected"]]
    pending = sum(1 for i in items.values() if i.status in (ItemState.QUEUED, ItemState.PROCESSING))
    return render_template(
        "upload/results.html", event=event, rows=rows, more=data["more"], pending=pending
    )


@bp.post("/event")
@staff_required
def create_event():
    """The quick "new event" form; answers JSON to the upload script, a redirect otherwise."""
    form = QuickEventForm(prefix="new")
    wants_json = request.accept_mimetypes.best == "application/json"
    if not form.validate_on_submit():
        if wants_json:
            return jsonify(error=first_error(form)), 400
        return render_upload(upload_form(), new_event_form=form), 400
    try:
        event = catalogue.create_event(catalogue.suggest_slug(form.title.data), form.details())
    except EventError as exc:
        db.session.rollback()
        if wants_json:
            return jsonify(error=sentence(exc)), 400
        flash(sentence(exc), "error")
        return render_upload(upload_form(), new_event_form=form), 400
    audit.record(current_user, "event.create", event, summary=event.title, ip=request.remote_addr)
    db.session.commit()
    if wants_json:
        return jsonify(slug=event.slug, title=event.title, label=event_label(event)), 201
    flash(gettext("Event “%(title)s” created. Now add its files.", title=event.title), "success")
    return redirect(url_for("upload.index", event=event.slug))


def upload_form() -> UploadForm:
    form = UploadForm()
    form.event.choices = [SelectChoice("", lazy_gettext("Choose an event"))] + [
        SelectChoice(e.slug, event_label(e)) for e in all_events()
    ]
    if request.method == "GET":
        form.event.data = request.args.get("event", "")
    return form


def render_upload(form: UploadForm, new_event_form: QuickEventForm | None = None):
    max_mb = current_app.config["MAX_UPLOAD_MB"]
    return render_template(
        "upload/index.html",
        form=form,
        new_event_form=new_event_form or QuickEventForm(prefix="new", formdata=None),
        max_mb=max_mb,
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        accept=ACCEPT,
    )


def item_fields(form: UploadForm, single: bool) -> ItemFields:
    """The optional fields; a title describes one file, so it is ignored for several."""
    values = form.values()
    if not single:
        values["title"] = ""
    fields = ItemFields(**values)
    ingest.check_fields(fields)
    return fields


def accept_all(event: Event, uploads, fields: ItemFields) -> list[Accepted]:
    return ingest.accept_uploads(
        [(upload.stream, upload.filename) for upload in uploads],
        event,
        current_user._get_current_object(),
        fields,
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        ip=request.remote_addr,
    )


def report(event: Event, outcomes: list[Accepted]) -> dict:
    """The outcomes in a shape small enough for the session cookie: ids for items, and file
    names with messages only for rejections, within a character budget."""
    data = {"event": event.slug, "items": [], "duplicates": [], "rejected": [], "more": 0}
    budget = REPORT_BUDGET
    for outcome in outcomes:
        if outcome.item is not None and len(data["items"]) < MAX_REPORTED_IDS:
            data["items"].append(outcome.item.id)
            continue
        if outcome.duplicate_of is not None and budget > 0:
            name = outcome.filename[:100]
            data["duplicates"].append((name, outcome.duplicate_of.id))
            budget -= len(name)
            continue
        if outcome.error and budget > 0:
            name, message = outcome.filename[:100], (outcome.error or "")[:300]
            data["rejected"].append((name, message))
            budget -= len(name) + len(message)
            continue
        data["more"] += 1
    return data


def all_events() -> list[Event]:
    return db.session.scalars(
        select(Event).order_by(Event.start_date.desc().nulls_last(), Event.title)
    ).all()


def event_label(event: Event) -> str:
    return f"{event.title} ({event.start_date.year})" if event.start_date else event.title


def first_error(form) -> str:
    for field in form:
        for error in field.errors:
            return f"{field.label.text}: {error}"
    return gettext("The form was not accepted.")
