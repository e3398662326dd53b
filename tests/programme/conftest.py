"""Fixtures of the programme tests: the Baku workshop (Asia/Baku, UTC+4) with a small
two-day programme, and a factory for photos with a capture time and camera."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from archive.extensions import db
from archive.programme.applying import apply_draft, decks_by_file_name
from archive.programme.tomlformat import read_toml

BAKU_PROGRAMME = {
    "sessions": [
        {
            "title": "Opening ceremony",
            "start": "2023-07-25T09:30",
            "end": "2023-07-25T10:30",
            "room": "Conference hall",
            "chairs": ["Alikhan Baimenov"],
            "talks": [
                {"title": "Welcome", "speakers": ["Inara Valiyeva (IDDA)"], "start": "09:30"},
                {"title": "Keynote", "speakers": ["Vincenzo Aguaro (UN DESA)"], "start": "10:00"},
            ],
        },
        {
            "title": "Site visits",
            "start": "2023-07-25T14:00",
            "end": "2023-07-25T17:00",
            "room": "ASAN Service Center",
        },
        {
            "title": "Panel: digital identity",
            "start": "2023-07-26T10:30",
            "end": "2023-07-26T12:00",
            "room": "Hall B",
            "talks": [
                {
                    "title": "Digital identity in Estonia",
                    "speakers": "Kristi Kask (e-Estonia)",
                    "start": "10:30",
                },
                {
                    "title": "Identity for citizen services",
                    "speakers": "Ana Lopez (World Bank)",
                    "start": "11:15",
                },
            ],
        },
    ]
}


@pytest.fixture
def baku(make_event):
    """The Baku workshop with its programme (no decks attached)."""
    event = make_event(
        "baku-2023",
        "e-Government Development in Azerbaijan",
        start_date=date(2023, 7, 25),
        end_date=date(2023, 7, 26),
        timezone="Asia/Baku",
    )
    apply_draft(event, read_toml(BAKU_PROGRAMME, event.timezone), decks_by_file_name(event))
    db.session.commit()
    return event


@pytest.fixture
def taken_photo(make_photo):
    """A ready photo row taken at a local time, with an optional EXIF offset and camera."""

    def make(event, taken: str | None, offset_minutes=None, camera=("Canon", "EOS R5", ""), **kw):
        make_, model, serial = camera
        return make_photo(
            event,
            kw.pop("title", f"Photo at {taken}"),
            taken_at=datetime.fromisoformat(taken) if taken else None,
            taken_offset_minutes=offset_minutes,
            camera_make=make_ or None,
            camera_model=model or None,
            camera_serial=serial or None,
            **kw,
        )

    return make


def session_titled(event, title):
    from sqlalchemy import select

    from archive.models import ProgrammeSession

    return db.session.scalar(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id, ProgrammeSession.title == title
        )
    )
