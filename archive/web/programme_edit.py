"""Building an event's programme (staff): sessions and talks added, edited, reordered and
deleted, decks attached by choosing them or uploading into a talk, and a whole programme
imported from a CSV or an event.toml. Every change is audited and re-indexes the event.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from archive import audit, ingest, permissions, tasks
from archive.extensions import db
from archive.fulltext.messages import Message
from archive.guards import load_event_or_404, load_or_404, require_login
from archive.ingest import ItemFields
from archive.models import Event, Presentation, ProgrammeSession, Talk
from archive.programme import editing
from archive.programme.drafts import ProgrammeError, speakers_text
from archive.programme.importing import import_programme
from archive.programme.timetable import load_sessions
from archive.web.forms import form_status, sentence
from archive.web.labels import translate
from archive.web.programme_forms import (
    AttachDeckForm,
    ConfirmForm,
    ImportForm,
    MoveForm,
    SessionForm,
    TalkForm,
    UploadDeckForm,
)

bp = Blueprint("programme_edit", __name__, url_prefix="/events/<slug>/programme")
bp.before_request(require_login)


@bp.get("/edit")
def edit(slug: str):
    event = load_editable_event(slug)
    return render_editor(event, SessionForm(formdata=None, day=event.start_date))


@bp.post("/sessions")
def create_session(slug: str):
    event = load_editable_event(slug)
    form = SessionForm()
    if not form.validate_on_submit():
        return render_editor(event, form, 400)
    try:
        session = editing.create_session(event, form.fields())
    except ProgrammeError as exc:
        return refuse(exc, render_editor, event, form)
    return done(
        event,
        "programme.session.create",
        session,
        Message("Session “%(title)s” added.", title=session.title),
    )


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(slug: str, session_id: int):
    event, session = load_session(slug, session_id)
    if request.method == "GET":
        form = SessionForm(obj=session, day=session.starts_at.date())
        form.start.data, form.end.data = session.starts_at.time(), session.ends_at.time()
    else:
        form = SessionForm()
    if not form.validate_on_submit():
        return render_session(event, session, form), form_status()
    try:
        editing.update_session(session, form.fields())
    except ProgrammeError as exc:
        return refuse(exc, lambda *_: (render_session(event, session, form), 400))
    return done(
        event,
        "programme.session.update",
        session,
        Message("Session “%(title)s” saved.", title=session.title),
    )


@bp.post("/sessions/<int:session_id>/delete")
def delete_session(slug: str, session_id: int):
    event, session = load_session(slug, session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, gettext("Confirm the deletion with its button."))
    title = session.title
    audit.record(current_user, "programme.session.delete", session, title, request.remote_addr)
    editing.delete_session(session)
    return done(
        event,
        None,
        None,
        Message("Session “%(title)s” deleted; its decks stay in the event.", title=title),
    )


@bp.post("/sessions/<int:session_id>/move")
def move_session(slug: str, session_id: int):
    event, session = load_session(slug, session_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400, gettext("Move up or down."))
    try:
        moved = editing.move_session(session, form.direction.data)
    except ProgrammeError as exc:
        return refuse(exc, lambda *_: redirect(editor_url(event)))
    if form.direction.data == editing.UP:
        message = Message("Session “%(title)s” moved up.", title=session.title)
    else:
        message = Message("Session “%(title)s” moved down.", title=session.title)
    return done(event, "programme.session.move", session, message if moved else "")


@bp.post("/sessions/<int:session_id>/talks")
def create_talk(slug: str, session_id: int):
    event, session = load_session(slug, session_id)
    form = TalkForm(prefix=f"talk-{session.id}")
    if not form.validate_on_submit():
        return render_editor(event, SessionForm(formdata=None), 400, talk_forms={session.id: form})
    try:
        talk = editing.create_talk(session, form.fields())
    except ProgrammeError as exc:
        form.title.errors = [sentence(exc)]
        return render_editor(event, SessionForm(formdata=None), 400, talk_forms={session.id: form})
    return done(
        event, "programme.talk.create", talk, Message("Talk “%(title)s” added.", title=talk.title)
    )


@bp.route("/talks/<int:talk_id>/edit", methods=["GET", "POST"])
def edit_talk(slug: str, talk_id: int):
    event, talk = load_talk(slug, talk_id)
    if request.method == "GET":
        form = TalkForm(obj=talk, speakers=speakers_text(talk.speakers))
        form.start.data = talk.starts_at.time() if talk.starts_at else None
    else:
        form = TalkForm()
    if not form.validate_on_submit():
        return render_talk(event, talk, form), form_status()
    try:
        editing.update_talk(talk, form.fields())
    except ProgrammeError as exc:
        return refuse(exc, lambda *_: (render_talk(event, talk, form), 400))
    return done(
        event, "programme.talk.update", talk, Message("Talk “%(title)s” saved.", title=talk.title)
    )


@bp.post("/talks/<int:talk_id>/delete")
def delete_talk(slug: str, talk_id: int):
    event, talk = load_talk(slug, talk_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, gettext("Confirm the deletion with its button."))
    audit.record(current_user, "programme.talk.delete", talk, talk.title, request.remote_addr)
    editing.delete_talk(talk)
    return done(
        event,
        None,
        None,
        Message("Talk “%(title)s” deleted; its decks stay in the event.", title=talk.title),
    )


@bp.post("/talks/<int:talk_id>/move")
def move_talk(slug: str, talk_id: int):
    event, talk = load_talk(slug, talk_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400, gettext("Move up or down."))
    moved = editing.move_talk(talk, form.direction.data)
    if form.direction.data == editing.UP:
        message = Message("Talk “%(title)s” moved up.", title=talk.title)
    else:
        message = Message("Talk “%(title)s” moved down.", title=talk.title)
    return done(event, "programme.talk.move", talk, message if moved else "")


@bp.post("/talks/<int:talk_id>/decks")
def attach_deck(slug: str, talk_id: int):
    """Attach a deck of the event chosen from the list, or one uploaded here and now."""
    event, talk = load_talk(slug, talk_id)
    if "file" in request.files:
        return upload_deck(event, talk)
    form = deck_form(event, talk)
    if not form.validate_on_submit():
        return render_talk(event, talk, TalkForm(formdata=None, obj=talk), attach=form), 400
    deck = db.session.get(Presentation, form.deck.data)
    editing.attach_deck(talk, deck)
    return done(
        event,
        "programme.deck.attach",
        talk,
        Message("Attached “%(title)s”.", title=deck.display_title),
    )


def upload_deck(event: Event, talk: Talk):
    form = UploadDeckForm()
    if not form.validate_on_submit():
        return render_talk(event, talk, TalkForm(formdata=None, obj=talk), upload=form), 400
    fields = ItemFields(
        title=talk.title,
        speakers="; ".join(s.name for s in talk.speakers),
        organisation="; ".join(
            dict.fromkeys(s.organisation for s in talk.speakers if s.organisation)
        )[:300],
    )
    upload = form.file.data
    (outcome,) = ingest.accept_uploads(
        [(upload.stream, upload.filename)],
        event,
        current_user._get_current_object(),
        fields,
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        ip=request.remote_addr,
    )
    deck = outcome.item or outcome.duplicate_of
    if not isinstance(deck, Presentation) or deck.event_id != event.id:
        db.session.rollback()
        form.file.errors = [
            sentence(outcome.error or Message("that file is not a presentation of this event"))
        ]
        return render_talk(event, talk, TalkForm(formdata=None, obj=talk), upload=form), 400
    editing.attach_deck(talk, deck)
    db.session.commit()
    tasks.enqueue_processing(ingest.accepted_ids([outcome]))
    return done(
        event,
        "programme.deck.attach",
        talk,
        Message("Uploaded and attached “%(title)s”.", title=deck.display_title),
    )


@bp.post("/talks/<int:talk_id>/decks/<int:item_id>/detach")
def detach_deck(slug: str, talk_id: int, item_id: int):
    event, talk = load_talk(slug, talk_id)
    if not editing.detach_deck(talk, item_id):
        abort(404)
    return done(
        event,
        "programme.deck.detach",
        talk,
        Message("The deck was detached; it stays in the event."),
    )


@bp.route("/import", methods=["GET", "POST"])
def import_file(slug: str):
    """A whole programme from a CSV or an event.toml: every problem listed, or all of it."""
    event = load_editable_event(slug)
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("programme/import.html", event=event, form=form), form_status()
    upload = form.file.data
    try:
        summary = import_programme(event, upload.read(), upload.filename or "")
    except ProgrammeError as exc:
        db.session.rollback()
        found = getattr(exc, "problems", None)
        problems = [translate(p.sentence) for p in found] if found else [sentence(exc)]
        return render_template(
            "programme/import.html", event=event, form=form, problems=problems
        ), 400
    audit.record(current_user, "programme.import", event, str(summary), request.remote_addr)
    return done(event, None, None, summary.sentence)


# helpers


def load_editable_event(slug: str) -> Event:
    return load_event_or_404(slug, permissions.may_edit_programme)


def load_session(slug: str, session_id: int) -> tuple[Event, ProgrammeSession]:
    event = load_editable_event(slug)
    session = load_or_404(ProgrammeSession, session_id, permissions.may_edit_programme)
    if session.event_id != event.id:
        abort(404)
    return event, session


def load_talk(slug: str, talk_id: int) -> tuple[Event, Talk]:
    event = load_editable_event(slug)
    talk = load_or_404(Talk, talk_id, permissions.may_edit_programme)
    if talk.session.event_id != event.id:
        abort(404)
    return event, talk


def done(event: Event, action: str | None, target, message: Message | str):
    """Audit (in English), commit, re-index the event (sessions and placements are in its
    documents), and go back to the editor saying what was done, in the reader's language."""
    if action:
        audit.record(current_user, action, target, str(message), request.remote_addr)
    db.session.commit()
    tasks.enqueue_event_reindex(event.id)
    if message:
        flash(sentence(message), "success")
    return redirect(editor_url(event))


def refuse(exc: Exception, render, *args):
    db.session.rollback()
    flash(sentence(exc), "error")
    return render(*args, 400) if args else render()


def editor_url(event: Event) -> str:
    return url_for("programme_edit.edit", slug=event.slug)


def deck_form(event: Event, talk: Talk) -> AttachDeckForm:
    form = AttachDeckForm(prefix="attach")
    form.deck.choices = [
        (
            deck.id,
            gettext("%(title)s (now with “%(talk)s”)", title=deck.display_title, talk=other.title)
            if other
            else deck.display_title,
        )
        for deck, other in editing.attachable_decks(event, talk)
    ]
    return form


def render_editor(event: Event, form: SessionForm, status: int = 200, talk_forms=None):
    sessions = load_sessions(event)
    talk_forms = talk_forms or {}
    for session in sessions:
        talk_forms.setdefault(session.id, TalkForm(formdata=None, prefix=f"talk-{session.id}"))
    return render_template(
        "programme/edit.html",
        event=event,
        sessions=sessions,
        form=form,
        talk_forms=talk_forms,
        action_form=ConfirmForm(formdata=None),
    ), status


def render_session(event: Event, session: ProgrammeSession, form: SessionForm):
    return render_template("programme/session.html", event=event, session=session, form=form)


def render_talk(event, talk, form, attach=None, upload=None):
    return render_template(
        "programme/talk.html",
        event=event,
        talk=talk,
        form=form,
        attach=attach or deck_form(event, talk),
        upload=upload or UploadDeckForm(formdata=None, prefix=""),
        decks=[link.deck for link in talk.decks],
        action_form=ConfirmForm(formdata=None),
    )
