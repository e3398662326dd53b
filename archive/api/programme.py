"""Programme API: `GET /api/v1/events/<slug>/programme` (days, sessions, talks with their
deck ids, photo ids per session, and the photos outside the sessions, within the caller's
permissions) and `POST` of a CSV or event.toml to import one (staff)."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import select

from archive import audit, permissions, tasks
from archive.api.blueprint import bp
from archive.extensions import db
from archive.guards import load_event_or_404
from archive.models import Event, Photo, Presentation
from archive.programme.clock import isoformat, zone_of
from archive.programme.drafts import ProgrammeError
from archive.programme.importing import import_programme
from archive.programme.timetable import SessionView, Timetable, build_timetable


def load_event(slug: str) -> Event:
    return load_event_or_404(slug, permissions.may_view_programme)


@bp.get("/events/<slug>/programme")
def get_programme(slug: str):
    event = load_event(slug)
    return jsonify(programme_json(visible_timetable(event)))


@bp.post("/events/<slug>/programme")
def import_programme_file(slug: str):
    """The file as multipart field `file`, or as the body (text/csv, application/toml)."""
    event = load_event_or_404(slug, permissions.may_edit_programme)
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    name = upload.filename if upload else body_name(request.mimetype)
    if not data:
        return jsonify(error="no file: send it as multipart field 'file' or as the body"), 400
    try:
        summary = import_programme(event, data, name or "")
    except ProgrammeError as exc:
        db.session.rollback()
        problems = getattr(exc, "problems", [])
        return jsonify(
            error=str(exc),
            problems=[
                {"where": p.where, "column": p.column, "message": p.message} for p in problems
            ],
        ), 422
    audit.record(current_user, "programme.import", event, str(summary), request.remote_addr)
    db.session.commit()
    tasks.enqueue_event_reindex(event.id)
    imported = {"sessions": summary.sessions, "talks": summary.talks, "decks": summary.decks}
    return jsonify(imported=imported, programme=programme_json(visible_timetable(event)))


def body_name(mimetype: str) -> str:
    return {"application/toml": "event.toml", "text/csv": "programme.csv"}.get(mimetype, "")


def visible_timetable(event: Event) -> Timetable:
    visible = permissions.item_filter(current_user)
    decks = db.session.scalars(
        select(Presentation).where(Presentation.event_id == event.id, visible)
    ).all()
    photos = db.session.scalars(select(Photo).where(Photo.event_id == event.id, visible)).all()
    return build_timetable(event, list(decks), list(photos))


def programme_json(timetable: Timetable) -> dict:
    zone = zone_of(timetable.event.timezone)
    return {
        "event": timetable.event.slug,
        "timezone": timetable.zone_name,
        "days": [
            {
                "date": day.day.isoformat(),
                "number": day.number,
                "sessions": [
                    session_json(e, zone) for e in day.entries if isinstance(e, SessionView)
                ],
            }
            for day in timetable.days
        ],
        "unplaced": {group: [p.id for p in photos] for group, photos in timetable.unplaced.items()},
        "unattached_items": [d.id for d in timetable.loose_decks],
    }


def session_json(view: SessionView, zone) -> dict:
    session = view.session
    return {
        "id": session.id,
        "title": session.title,
        "start": isoformat(session.starts_at, zone),
        "end": isoformat(session.ends_at, zone),
        "room": session.room,
        "chairs": session.chair_list,
        "tags": session.tag_list,
        "talks": [
            {
                "id": tv.talk.id,
                "title": tv.talk.title,
                "start": isoformat(tv.talk.starts_at, zone),
                "speakers": [
                    {"name": s.name, "organisation": s.organisation} for s in tv.talk.speakers
                ],
                "items": [d.id for d in tv.decks],
            }
            for tv in view.talks
        ],
        "photos": [p.id for p in view.photos],
    }
