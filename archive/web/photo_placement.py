"""Placing an event's photos (staff): camera clock corrections with a preview of what would
move, and photos moved into a session by hand (or back to placement by time). Both apply at
once, on the event page and in search, since placement is computed from what is stored.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from archive import audit, permissions, tasks
from archive.extensions import db
from archive.fulltext.messages import Message
from archive.guards import load_event_or_404, require_login
from archive.i18n import local_skeleton
from archive.models import Event, Photo, ProgrammeSession
from archive.programme import placement
from archive.programme.clock import format_offset, parse_offset, utc_to_local, zone_of
from archive.programme.drafts import ProgrammeError
from archive.programme.timetable import load_sessions
from archive.web.forms import form_status, sentence
from archive.web.labels import translate
from archive.web.programme_forms import CameraOffsetForm, MovePhotosForm

bp = Blueprint("placement", __name__, url_prefix="/events/<slug>/programme")
bp.before_request(require_login)

AUTOMATIC = "auto"


@bp.route("/cameras", methods=["GET", "POST"])
def cameras(slug: str):
    """Each camera with its clock correction; Preview shows what a new one would move,
    Apply saves it."""
    event = load_event(slug)
    form = CameraOffsetForm()
    preview = None
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_cameras(event, form, None), 400
        key = placement.CameraKey(
            form.make.data or "", form.model.data or "", form.serial.data or ""
        )
        try:
            seconds = parse_offset(form.offset.data)
        except ValueError as exc:
            form.offset.errors = [sentence(exc)]
            return render_cameras(event, form, None), 400
        preview = placement.preview_offset(event, key, seconds)
        if request.form.get("action") == "apply":
            return apply_offset(event, key, seconds, preview)
    return render_cameras(event, form, preview), 200


def apply_offset(event: Event, key: placement.CameraKey, seconds: int, preview):
    placement.set_camera_offset(event, key, seconds)
    summary = f"{key.label}: {format_offset(seconds)} ({preview.moved} photos moved)"
    audit.record(current_user, "programme.camera_offset", event, summary, request.remote_addr)
    db.session.commit()
    tasks.enqueue_event_reindex(event.id)
    flash(
        ngettext(
            "Clock correction for %(camera)s set to %(offset)s: %(moved)s of %(num)d photo moved.",
            "Clock correction for %(camera)s set to %(offset)s: %(moved)s of %(num)d photos moved.",
            preview.photos,
            camera=translate(key.label),
            offset=format_offset(seconds),
            moved=preview.moved,
        ),
        "success",
    )
    return redirect(url_for("placement.cameras", slug=event.slug))


@bp.route("/photos", methods=["GET", "POST"])
def photos(slug: str):
    """Photos as they are placed; tick some and move them to a session, or back to time."""
    event = load_event(slug)
    all_photos = placement.event_photos(event)
    form = MovePhotosForm()
    form.items.choices = [SelectChoice(str(p.id)) for p in all_photos]
    sessions = load_sessions(event)
    form.target.choices = [SelectChoice(AUTOMATIC, gettext("Back to placement by capture time"))]
    form.target.choices += [
        SelectChoice(str(s.id), f"{local_skeleton(s.starts_at)} {s.starts_at:%H:%M} · {s.title}")
        for s in sessions
    ]
    if not form.validate_on_submit():
        return render_photos(event, all_photos, sessions, form), form_status()
    target = None if form.target.data == AUTOMATIC else int(form.target.data)
    try:
        moved = placement.move_photos(event, form.items.data, target, current_user)
    except ProgrammeError as exc:
        form.target.errors = [sentence(exc)]
        return render_photos(event, all_photos, sessions, form), 400
    where = "placement by capture time" if target is None else session_title(target)
    audit.record(
        current_user,
        "programme.photos_move",
        event,
        f"{moved} photos to {where}",
        request.remote_addr,
    )
    db.session.commit()
    tasks.enqueue_event_reindex(event.id)
    if target is None:
        flash(
            ngettext(
                "Moved %(num)d photo back to placement by capture time.",
                "Moved %(num)d photos back to placement by capture time.",
                moved,
            ),
            "success",
        )
    else:
        flash(
            ngettext(
                "Moved %(num)d photo to %(where)s.",
                "Moved %(num)d photos to %(where)s.",
                moved,
                where=where,
            ),
            "success",
        )
    return redirect(url_for("placement.photos", slug=event.slug))


def load_event(slug: str) -> Event:
    return load_event_or_404(slug, permissions.may_edit_programme)


def session_title(session_id: int) -> str:
    title = db.session.scalar(
        select(ProgrammeSession.title).where(ProgrammeSession.id == session_id)
    )
    return f"“{title}”"


def spot_label(spot: placement.Spot, titles: dict[int, str]) -> str:
    if spot.group == placement.IN_SESSION:
        return titles.get(spot.session_id) or Message("a session")
    return placement.GROUP_LABELS[spot.group]


def render_cameras(event: Event, form: CameraOffsetForm, preview):
    titles = {s.id: s.title for s in load_sessions(event)}
    return render_template(
        "programme/cameras.html",
        event=event,
        cameras=placement.cameras(event),
        form=form,
        preview=preview,
        key_label=lambda key: spot_label(placement.Spot(key[0], key[1]), titles),
        format_offset=format_offset,
    )


def render_photos(event: Event, photos: list[Photo], sessions, form: MovePhotosForm):
    spots = placement.place_photos(event, photos)
    zone = zone_of(event.timezone)
    groups: dict[tuple, list[Photo]] = {}
    for photo in photos:
        groups.setdefault(spots[photo.id].key, []).append(photo)
    order = [(placement.IN_SESSION, s.id) for s in sessions]
    order = [
        (placement.BEFORE, None),
        *order,
        (placement.BETWEEN, None),
        (placement.AFTER, None),
        (placement.UNDATED, None),
    ]
    titles = {s.id: s.title for s in sessions}
    return render_template(
        "programme/photos.html",
        event=event,
        groups=[
            (key, spot_label(placement.Spot(*key), titles), groups[key])
            for key in order
            if key in groups
        ],
        spots=spots,
        local_time=lambda instant: utc_to_local(instant, zone) if instant else None,
        camera_label=lambda photo: placement.camera_key(photo).label,
        form=form,
        selected=set(form.items.data or []),
    )
