"""Importing a programme: the CSV (one row per talk) and event.toml formats, good files and
bad rows ("row N, column X: what"), nothing half-imported, re-imports that keep what staff
did by hand, and `flask import --per-event` with [[sessions]]."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from archive.extensions import db
from archive.models import PhotoPlacement, ProgrammeSession, Talk, TalkDeck
from archive.programme import placement
from archive.programme.csvformat import read_csv
from archive.programme.drafts import ProgrammeImportError
from archive.programme.importing import import_programme
from archive.programme.timetable import load_sessions
from tests.programme.conftest import session_titled

HEADER = "day,start,end,session,talk,speakers,organisation,room,file\n"
GOOD_CSV = (
    HEADER
    + "\n".join(
        [
            "2023-07-25,09:30,10:00,Opening ceremony,Welcome,Inara Valiyeva,IDDA,Conference hall,",
            "2023-07-25,10:00,10:30,Opening ceremony,Keynote,"
            "Vincenzo Aguaro (UN DESA); Natalia Mochu (ITU),,Conference hall,survey.pdf",
            "2023-07-25,14:00,17:00,Site visits,,,,ASAN Service Center,",
            'Day 2,10:30,12:00,"Panel: digital identity","Digital identity in Estonia",'
            '"Kristi Kask; Jaan Tamm","e-Estonia; RIA",Hall B,',
            'Day 2,10:30,12:00,"Panel: digital identity","Identity for citizen services",'
            "Ana Lopez,World Bank,Hall B,",
        ]
    )
    + "\n"
)

NO_FILES_CSV = GOOD_CSV.replace(",survey.pdf\n", ",\n")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def problems_of(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


@pytest.fixture
def event(make_event):
    from datetime import date

    return make_event(
        "baku-2023",
        "Baku",
        start_date=date(2023, 7, 25),
        end_date=date(2023, 7, 26),
        timezone="Asia/Baku",
    )


def test_csv_rows_become_sessions_talks_speakers_and_decks(event, make_presentation):
    deck = make_presentation(event, "Survey", original_filename="Survey.PDF")
    summary = import_programme(event, GOOD_CSV.encode(), "programme.csv")
    db.session.commit()
    assert (summary.sessions, summary.talks, summary.decks) == (3, 4, 1)
    opening, visits, panel = load_sessions(event)
    assert (opening.starts_at, opening.ends_at) == (
        datetime(2023, 7, 25, 9, 30),
        datetime(2023, 7, 25, 10, 30),
    )
    assert [t.starts_at.time().isoformat() for t in opening.talks] == ["09:30:00", "10:00:00"]
    keynote = opening.talks[1]
    assert [(s.name, s.organisation) for s in keynote.speakers] == [
        ("Vincenzo Aguaro", "UN DESA"),
        ("Natalia Mochu", "ITU"),
    ]
    assert [link.item_id for link in keynote.decks] == [deck.id]
    assert (visits.room, visits.talks) == ("ASAN Service Center", [])
    # Both panel rows repeat the session's time: the talks keep the file's order, no time.
    assert panel.starts_at == datetime(2023, 7, 26, 10, 30)  # "Day 2" from the event start
    assert [t.starts_at for t in panel.talks] == [None, None]
    assert [(s.name, s.organisation) for s in panel.talks[0].speakers] == [
        ("Kristi Kask", "e-Estonia"),
        ("Jaan Tamm", "RIA"),
    ]


def test_excel_csv_with_bom_semicolons_and_other_spellings_is_read(event):
    data = "\ufeffDate;Start;End;Session;Title;Speaker;Organization;Location\n"
    data += "25.07.2023;9.30;10:30 am;Opening;Welcome;Inara Valiyeva;IDDA;Hall\n"
    draft = read_csv(data.encode("utf-8"), event.start_date)
    (session,) = draft.sessions
    assert (session.title, session.room, session.talks[0].speakers[0].organisation) == (
        "Opening",
        "Hall",
        "IDDA",
    )
    assert session.ends_at == datetime(2023, 7, 25, 10, 30)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("2023-07-25,25:00,26:00,S,T,,,,", "row 2, column start: '25:00' is not a time of day"),
        ("2023-02-30,09:00,10:00,S,T,,,,", "row 2, column day: '2023-02-30' is not a real date"),
        ("yesterday,09:00,10:00,S,T,,,,", "row 2, column day: 'yesterday' is not a date"),
        ("2023-07-25,10:00,09:00,S,T,,,,", "row 2, column end: 09:00 is not after the start"),
        ("2023-07-25,09:00,10:00,,T,,,,", "row 2, column session: every row needs the title"),
        ("2023-07-25,09:00,10:00,S,,A,,,", "row 2, column talk: speakers are given"),
        ("2023-07-25,09:00,10:00,S,T,A; B,X; Y; Z,,", "row 2, column speakers: 3 organisations"),
        ("2023-07-25,09:00,,S,T,,,,", "row 2, column end: session “S” needs an end time"),
        ("2023-07-29,09:00,10:00,S,T,,,,", "row 2, column day: 29 July 2023 is outside the event"),
        ("2023-07-25,09:00,10:00,S,T,,,,missing.pdf", "row 2, column file: this event has no"),
    ],
)
def test_each_bad_row_is_named_with_its_column_and_nothing_is_imported(event, row, expected):
    data = (
        HEADER + "2023-07-25,09:00,10:00,Fine,Fine talk,,,,\n" + row.replace("row 2", "")
    ).encode()
    with pytest.raises(ProgrammeImportError) as excinfo:
        import_programme(event, data, "p.csv")
    db.session.rollback()
    found = problems_of(excinfo)
    assert any(p.startswith(expected.replace("row 2", "row 3")) for p in found), found
    assert count(ProgrammeSession) == 0 and count(Talk) == 0


def test_all_problems_are_reported_at_once(event):
    data = HEADER + "2023-07-25,9:00,x,S,T,,,,\nnope,09:00,10:00,S,T,,,,\n"
    with pytest.raises(ProgrammeImportError) as excinfo:
        import_programme(event, data.encode(), "p.csv")
    assert [p.split(":")[0] for p in problems_of(excinfo)] == [
        "row 2, column end",
        "row 3, column day",
    ]
    assert "nothing was imported" in str(excinfo.value)


def test_header_problems(event):
    with pytest.raises(ProgrammeImportError) as excinfo:
        read_csv(b"day,begin,session,session\n", event.start_date)
    assert problems_of(excinfo) == [
        "row 1, column begin: unknown column; the columns are: day, start, end, session, "
        "talk, speakers, organisation, room, file, chairs, tags",
        "row 1, column session: this column appears twice",
        "row 1, column start: this column is required",
    ]
    with pytest.raises(ProgrammeImportError):
        read_csv("day,start,session\n".encode("utf-16"), event.start_date)
    with pytest.raises(ProgrammeImportError, match="empty"):
        read_csv(b"", event.start_date)


def test_a_failing_import_leaves_the_previous_programme_whole(event):
    import_programme(event, NO_FILES_CSV.encode(), "p.csv")
    db.session.commit()
    before = [(s.title, len(s.talks)) for s in load_sessions(event)]
    bad = HEADER + "2023-07-25,09:00,10:00,New,T,,,,\n2023-07-25,09:00,08:00,New,U,,,,\n"
    with pytest.raises(ProgrammeImportError):
        import_programme(event, bad.encode(), "p.csv")
    db.session.rollback()
    assert [(s.title, len(s.talks)) for s in load_sessions(event)] == before


def test_reimport_keeps_rows_moved_and_attached_by_hand(
    event, make_presentation, taken_photo, make_user
):
    import_programme(event, NO_FILES_CSV.encode(), "p.csv")
    db.session.commit()
    panel = session_titled(event, "Panel: digital identity")
    deck = make_presentation(event, "Slides")
    from archive.programme.editing import attach_deck

    attach_deck(panel.talks[0], deck)
    photo = taken_photo(event, "2023-07-25T09:40")
    placement.move_photos(event, [photo.id], panel.id, make_user("sam", "staff"))
    db.session.commit()
    changed = NO_FILES_CSV.replace("Hall B", "Hall C").replace("Welcome,", "Welcome address,")
    import_programme(event, changed.encode(), "p.csv")
    db.session.commit()
    again = session_titled(event, "Panel: digital identity")
    assert again.id == panel.id and again.room == "Hall C"
    assert db.session.get(PhotoPlacement, photo.id).session_id == panel.id
    assert db.session.get(TalkDeck, deck.id).talk_id == again.talks[0].id
    assert [t.title for t in session_titled(event, "Opening ceremony").talks] == [
        "Welcome address",
        "Keynote",
    ]
    assert count(ProgrammeSession) == 3


TOML = """
timezone = "Asia/Baku"
[[sessions]]
title = "Keynote: the 2022 UN E-Government Survey"
start = 2023-07-26T09:30:00
end = 2023-07-26T10:45:00
room = "Conference hall"
chairs = "Alikhan Baimenov; Inara Valiyeva"
tags = ["keynote"]
[[sessions.talks]]
title = "Main findings"
speakers = [{ name = "Vincenzo Aguaro", organisation = "UN DESA" }]
start = 09:30:00
file = "decks/survey.pdf"
"""


def test_event_toml_sessions(event, make_presentation):
    deck = make_presentation(event, "Survey", original_filename="survey.pdf")
    event.timezone = "UTC"
    summary = import_programme(event, TOML.encode(), "event.toml")
    db.session.commit()
    (session,) = load_sessions(event)
    assert event.timezone == "Asia/Baku"  # the file's time zone is the event's
    assert session.chair_list == ["Alikhan Baimenov", "Inara Valiyeva"]
    assert session.talks[0].starts_at == datetime(2023, 7, 26, 9, 30)
    assert session.talks[0].speakers[0].organisation == "UN DESA"
    assert summary.decks == 1 and session.talks[0].decks[0].item_id == deck.id


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("start = 2023-07-26T09:30:00", "start = 2023-07-26"), "session 1, field start:"),
        (("end = 2023-07-26T10:45:00", ""), "session 1, field end: required"),
        (('title = "Main findings"', 'title = ""'), "session 1, talk 1, field title: required"),
        (
            ("start = 09:30:00", "start = 11:30:00"),
            "session 1, talk 1, field start: 11:30 is outside",
        ),
        (('file = "decks/survey.pdf"', 'file = "../etc/passwd"'), "session 1, talk 1, field file:"),
        (('timezone = "Asia/Baku"', 'timezone = "Mars/Olympus"'), "the file, field timezone:"),
        (('room = "Conference hall"', "rooms = 3"), "session 1, field rooms: unknown field"),
    ],
)
def test_bad_event_toml_names_the_entry_and_field(event, make_presentation, change, expected):
    make_presentation(event, "Survey", original_filename="survey.pdf")
    with pytest.raises(ProgrammeImportError) as excinfo:
        import_programme(event, TOML.replace(*change).encode(), "event.toml")
    assert any(p.startswith(expected) for p in problems_of(excinfo)), problems_of(excinfo)
    db.session.rollback()
    assert count(ProgrammeSession) == 0


def test_toml_syntax_errors_and_a_file_without_sessions(event):
    with pytest.raises(ProgrammeImportError, match="not valid TOML"):
        import_programme(event, b"[[sessions]\n", "event.toml")
    with pytest.raises(ProgrammeImportError, match="no \\[\\[sessions\\]\\]"):
        import_programme(event, b'title = "x"\n', "event.toml")


def write_event_folder(root, sessions: str, deck_pdf, photo_jpg):
    folder = root / "baku"
    (folder / "decks").mkdir(parents=True)
    (folder / "decks" / "survey.pdf").write_bytes(deck_pdf.read_bytes())
    (folder / "opening.jpg").write_bytes(photo_jpg.read_bytes())
    (folder / "event.toml").write_text(
        'slug = "baku-2023"\ntitle = "Baku"\nstart = 2023-07-25\nend = 2023-07-26\n' + sessions,
        encoding="utf-8",
    )
    return root


def test_flask_import_per_event_imports_files_then_the_programme(
    runner, tmp_path, make_pdf, make_jpeg
):
    root = write_event_folder(
        tmp_path / "import",
        TOML,
        make_pdf([["The 2022 Survey"]], name="s.pdf"),
        make_jpeg(taken="2023:07:26 10:00:00"),
    )
    result = runner.invoke(args=["import", str(root), "--per-event"])
    assert result.exit_code == 0, result.output
    assert "Programme of baku-2023: 1 sessions, 1 talks, 1 decks attached" in result.output
    from archive.catalogue import get_event

    event = get_event("baku-2023")
    (session,) = load_sessions(event)
    assert event.timezone == "Asia/Baku" and len(session.talks[0].decks) == 1
    again = runner.invoke(args=["import", str(root), "--per-event"])  # adds nothing
    assert again.exit_code == 0, again.output
    assert count(ProgrammeSession) == 1 and count(TalkDeck) == 1


def test_flask_import_refuses_a_bad_programme_before_storing_any_file(
    runner, tmp_path, make_pdf, make_jpeg
):
    root = write_event_folder(
        tmp_path / "import",
        TOML.replace("decks/survey.pdf", "decks/nowhere.pdf"),
        make_pdf([["x"]], name="s.pdf"),
        make_jpeg(),
    )
    result = runner.invoke(args=["import", str(root), "--per-event"])
    assert result.exit_code != 0
    assert "session 1, talk 1, field file: 'decks/nowhere.pdf' is not in" in result.output
    from archive.models import Item

    assert count(Item) == 0 and count(ProgrammeSession) == 0


def test_flask_programme_import_command(runner, event, tmp_path):
    good = tmp_path / "programme.csv"
    good.write_text(NO_FILES_CSV, encoding="utf-8")
    result = runner.invoke(args=["programme", "import", "baku-2023", str(good)])
    assert result.exit_code == 0, result.output
    assert "3 sessions, 4 talks" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2023-07-25,09:00,x,S,T,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["programme", "import", "baku-2023", str(bad)])
    assert result.exit_code == 1 and "row 2, column end:" in result.output
