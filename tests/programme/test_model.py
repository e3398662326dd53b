"""The programme's tables and migration 0007, and the parsers of days, times and clock
corrections that every import and form goes through."""

from __future__ import annotations

from datetime import date, time

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from archive.extensions import db
from archive.models import ProgrammeSession, Talk, TalkDeck, TalkSpeaker
from archive.programme import clock
from tests.conftest import make_app


def test_migration_0007_upgrades_existing_rows_and_downgrades_without_loss(tmp_path):
    app = make_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}",
        DEFAULT_TIMEZONE="Asia/Baku",
    )
    with app.app_context():
        db.drop_all()
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO events (slug, title, city, country, venue, organisers, "
                    "description, tags, created_at, updated_at) VALUES ('old', 'Old', '', '', "
                    "'', '', '', '', '2023-01-01', '2023-01-01')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT timezone FROM events")).scalar() == "Asia/Baku"
        tables = set(inspect(db.engine).get_table_names())
        assert {"programme_sessions", "talks", "talk_speakers", "talk_decks"} <= tables
        assert {"camera_offsets", "photo_placements"} <= tables
        downgrade(revision="0001")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT slug FROM events")).scalar() == "old"
        assert "programme_sessions" not in inspect(db.engine).get_table_names()


def test_deleting_an_event_deletes_its_programme(app, make_event, make_presentation):
    from archive.catalogue import delete_event
    from archive.programme.editing import (
        SessionFields,
        TalkFields,
        attach_deck,
        create_session,
        create_talk,
    )

    event = make_event("gone", "Gone", start_date=date(2023, 7, 25))
    session = create_session(event, SessionFields("S", date(2023, 7, 25), time(9), time(10)))
    talk = create_talk(session, TalkFields("T", speakers="A (B)"))
    attach_deck(talk, make_presentation(event))
    db.session.commit()
    delete_event(event)
    db.session.commit()
    for model in (ProgrammeSession, Talk, TalkSpeaker, TalkDeck):
        assert db.session.query(model).count() == 0


@pytest.mark.parametrize(
    ("text_", "expected"),
    [
        ("2023-07-26", date(2023, 7, 26)),
        ("26.07.2023", date(2023, 7, 26)),
        ("Day 2", date(2023, 7, 26)),
        ("day2", date(2023, 7, 26)),
        ("1", date(2023, 7, 25)),
    ],
)
def test_days(text_, expected):
    assert clock.parse_day(text_, date(2023, 7, 25)) == expected


def test_day_numbers_need_a_first_day():
    with pytest.raises(ValueError, match="first day"):
        clock.parse_day("Day 2", None)
    with pytest.raises(ValueError, match="not a date"):
        clock.parse_day("07/26/2023", date(2023, 7, 25))


@pytest.mark.parametrize(
    ("text_", "expected"),
    [
        ("09:30", time(9, 30)),
        ("9.30", time(9, 30)),
        ("9h30", time(9, 30)),
        ("2:15 pm", time(14, 15)),
        ("12 am", time(0)),
        ("9", time(9)),
        ("09:30:15", time(9, 30, 15)),
    ],
)
def test_times(text_, expected):
    assert clock.parse_time(text_) == expected


@pytest.mark.parametrize("bad", ["25:00", "13 pm", "9:75", "noon", ""])
def test_bad_times(bad):
    with pytest.raises(ValueError):
        clock.parse_time(bad)


@pytest.mark.parametrize(
    ("text_", "seconds"),
    [("+1:00", 3600), ("-0:12", -720), ("+0:00:30", 30), ("-45", -2700), ("2:05", 7500)],
)
def test_clock_corrections(text_, seconds):
    assert clock.parse_offset(text_) == seconds
    assert clock.parse_offset(clock.format_offset(seconds)) == seconds


@pytest.mark.parametrize("bad", ["soon", "+1:75", "+49:00", ""])
def test_bad_clock_corrections(bad):
    with pytest.raises(ValueError):
        clock.parse_offset(bad)


def test_zones():
    assert clock.check_zone("Asia/Baku") == "Asia/Baku"
    for bad in ("Mars/Olympus", "../etc/passwd", "", "asia/baku "):
        with pytest.raises(ValueError):
            clock.check_zone(bad)
    assert "Asia/Baku" in clock.zone_names() and clock.zone_names()[0] == "UTC"


def test_unknown_default_time_zone_stops_start_up(tmp_path):
    with pytest.raises(SystemExit, match="ARCHIVE_DEFAULT_TIMEZONE"):
        make_app(tmp_path, DEFAULT_TIMEZONE="Mars/Olympus")
