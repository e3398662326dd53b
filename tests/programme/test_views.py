"""Every role's view of a programme, on the event page and through the API: staff-only
decks and photos stay hidden inside a visible programme, ungranted events stay closed."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from archive import accounts
from archive.extensions import db
from archive.models import Talk
from archive.programme.editing import attach_deck
from tests.conftest import Auth, publish_files
from tests.programme.conftest import session_titled


@pytest.fixture
def world(baku, make_event, make_user, make_presentation, taken_photo):
    """Baku (granted to UNDP) with a shared and a staff-only deck on the opening's talks,
    a shared and a staff-only photo in it; another event, not granted, with a programme."""
    accounts.add_grant(baku, accounts.find_or_create_organisation("UNDP"))
    opening = session_titled(baku, "Opening ceremony")
    shared = make_presentation(baku, "Welcome slides", pages=("welcome to baku",))
    secret = make_presentation(baku, "Draft keynote", visibility="staff", pages=("draft",))
    attach_deck(opening.talks[0], shared)
    attach_deck(opening.talks[1], secret)
    photo = taken_photo(baku, "2023-07-25T09:40", title="Ribbon cutting")
    hidden = taken_photo(baku, "2023-07-25T09:50", title="Backstage", visibility="staff")
    for p in (photo, hidden):
        publish_files(p.id, {"grid.webp": b"RIFF", "lightbox.jpg": b"JPG"})
    other = make_event("closed-2023", "Closed workshop")
    from datetime import date, time

    from archive.programme.editing import SessionFields, create_session

    create_session(other, SessionFields("Secret session", date(2023, 1, 1), time(9), time(10)))
    db.session.commit()
    for role in ("researcher", "staff"):
        make_user(role, role)
    make_user("partner", "partner", "UNDP")
    return {"shared": shared, "secret": secret, "photo": photo, "hidden": hidden}


def signed_in(app, username):
    client = app.test_client()
    Auth(client).login(username)
    return client


@pytest.mark.parametrize("role", ["researcher", "partner", "staff"])
def test_event_page_shows_the_timetable_to_each_role(app, world, role):
    html = signed_in(app, role).get("/events/baku-2023").get_data(as_text=True)
    assert 'id="programme"' in html and "Day 1" in html and "Day 2" in html
    assert "Opening ceremony" in html and "Conference hall" in html and "Chair: Alikhan" in html
    assert "Vincenzo Aguaro" in html and "(UN DESA)" in html  # the talk itself is visible
    assert "Welcome slides" in html
    assert f"/items/{world['shared'].id}/download" in html
    assert f'id="photo-{world["photo"].id}"' in html
    staff = role == "staff"
    assert ("Draft keynote" in html) is staff
    assert (f'id="photo-{world["hidden"].id}"' in html) is staff
    assert ("Edit programme" in html) is staff
    assert "Times are local: Asia/Baku (UTC+4:00)" in html


def test_the_lists_remain_as_another_view(app, world):
    html = signed_in(app, "researcher").get("/events/baku-2023?view=list").get_data(as_text=True)
    assert 'id="programme"' not in html and 'id="presentations"' in html
    assert 'aria-current="page">All presentations and photos' in html


def test_partner_of_another_organisation_gets_nothing(app, world):
    client = signed_in(app, "partner")
    assert client.get("/events/closed-2023").status_code in (403, 404)
    assert client.get("/api/v1/events/closed-2023/programme").status_code in (403, 404)
    html = client.get("/search/?q=secret+session").get_data(as_text=True)
    assert "Secret session" not in html


def programme(client, slug="baku-2023"):
    response = client.get(f"/api/v1/events/{slug}/programme")
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize("role", ["researcher", "partner", "staff"])
def test_api_programme_within_permissions(app, world, role):
    data = programme(signed_in(app, role))
    assert data["timezone"] == "Asia/Baku"
    assert [d["number"] for d in data["days"]] == [1, 2]
    opening = data["days"][0]["sessions"][0]
    assert opening["start"] == "2023-07-25T09:30:00+04:00"
    assert opening["chairs"] == ["Alikhan Baimenov"]
    welcome, keynote = opening["talks"]
    assert welcome["items"] == [world["shared"].id]
    assert keynote["speakers"] == [{"name": "Vincenzo Aguaro", "organisation": "UN DESA"}]
    staff = role == "staff"
    assert keynote["items"] == ([world["secret"].id] if staff else [])
    expected = {world["photo"].id} | ({world["hidden"].id} if staff else set())
    assert set(opening["photos"]) == expected
    assert set(data["unplaced"]) == {"before", "between", "after", "undated"}


def test_api_import_by_upload_and_its_errors(app, world):
    staff = signed_in(app, "staff")
    csv = "day,start,end,session,talk\n2023-07-25,09:00,10:00,Morning,Hello\n"
    response = staff.post(
        "/api/v1/events/baku-2023/programme",
        data=csv.encode(),
        headers={"Content-Type": "text/csv", "X-CSRFToken": "unused"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["imported"] == {"sessions": 1, "talks": 1, "decks": 0}
    bad = "day,start,end,session\n2023-07-25,09:00,08:00,Morning\n"
    response = staff.post(
        "/api/v1/events/baku-2023/programme",
        data={"file": (io.BytesIO(bad.encode()), "p.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.get_json()["problems"] == [
        {"where": "row 2", "column": "end", "message": "08:00 is not after the start 09:00"}
    ]
    assert [s["title"] for d in programme(staff)["days"] for s in d["sessions"]] == ["Morning"]
    researcher = signed_in(app, "researcher")
    assert researcher.post("/api/v1/events/baku-2023/programme", data=b"x").status_code == 404


def test_staff_build_the_programme_on_the_web(app, world):
    staff = signed_in(app, "staff")
    response = staff.post(
        "/events/baku-2023/programme/sessions",
        data={
            "title": "Coffee",
            "day": "2023-07-25",
            "start": "10:30",
            "end": "11:00",
            "room": "Foyer",
        },
    )
    assert response.status_code == 302
    coffee = session_titled(world["shared"].event, "Coffee")
    response = staff.post(
        f"/events/baku-2023/programme/sessions/{coffee.id}/talks",
        data={f"talk-{coffee.id}-title": "Networking", f"talk-{coffee.id}-speakers": "Ana (OECD)"},
    )
    assert response.status_code == 302
    talk = db.session.scalar(select(Talk).where(Talk.title == "Networking"))
    assert [(s.name, s.organisation) for s in talk.speakers] == [("Ana", "OECD")]
    # a session outside the event's days is refused with the reason, nothing saved
    response = staff.post(
        "/events/baku-2023/programme/sessions",
        data={"title": "Later", "day": "2023-08-01", "start": "10:30", "end": "11:00"},
    )
    assert response.status_code == 400
    assert "outside the event" in response.get_data(as_text=True)
    assert session_titled(world["shared"].event, "Later") is None


def test_reordering_talks_swaps_their_slots(app, world):
    opening = session_titled(world["shared"].event, "Opening ceremony")
    first, second = opening.talks
    staff = signed_in(app, "staff")
    response = staff.post(
        f"/events/baku-2023/programme/talks/{second.id}/move", data={"direction": "up"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    opening = session_titled(world["shared"].event, "Opening ceremony")
    assert [t.title for t in opening.talks] == ["Keynote", "Welcome"]
    assert [t.starts_at.strftime("%H:%M") for t in opening.talks] == ["09:30", "10:00"]


def test_reordering_sessions_swaps_their_time_slots_and_talks_follow(app, world):
    event = world["shared"].event
    opening, visits = (
        session_titled(event, "Opening ceremony"),
        session_titled(event, "Site visits"),
    )
    staff = signed_in(app, "staff")
    assert (
        staff.post(
            f"/events/baku-2023/programme/sessions/{visits.id}/move", data={"direction": "up"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    opening, visits = (
        session_titled(event, "Opening ceremony"),
        session_titled(event, "Site visits"),
    )
    assert visits.starts_at.strftime("%H:%M") == "09:30"
    assert opening.starts_at.strftime("%H:%M") == "14:00"
    assert [t.starts_at.strftime("%H:%M") for t in opening.talks] == ["14:00", "14:30"]


def test_deleting_needs_confirmation_and_keeps_the_decks(app, world):
    event = world["shared"].event
    opening = session_titled(event, "Opening ceremony")
    staff = signed_in(app, "staff")
    url = f"/events/baku-2023/programme/sessions/{opening.id}/delete"
    assert staff.post(url).status_code == 400
    assert staff.post(url, data={"confirm": "yes"}).status_code == 302
    assert session_titled(event, "Opening ceremony") is None
    assert db.session.get(type(world["shared"]), world["shared"].id) is not None


def test_attach_by_choice_and_by_upload_into_a_talk(app, world, make_presentation, make_pdf):
    event = world["shared"].event
    panel = session_titled(event, "Panel: digital identity")
    talk = panel.talks[0]
    extra = make_presentation(event, "Estonia slides")
    staff = signed_in(app, "staff")
    url = f"/events/baku-2023/programme/talks/{talk.id}/decks"
    assert staff.post(url, data={"attach-deck": str(world["shared"].id)}).status_code == 302
    assert staff.post(url, data={"attach-deck": str(extra.id)}).status_code == 302
    pdf = make_pdf([["Digital identity in Estonia"]])
    response = staff.post(
        url, data={"file": (pdf.open("rb"), "estonia.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    db.session.expire_all()
    talk = db.session.get(Talk, talk.id)
    decks = [link.deck for link in talk.decks]
    assert [d.display_title for d in decks[:2]] == ["Welcome slides", "Estonia slides"]
    assert decks[2].original_filename == "estonia.pdf" and decks[2].title == talk.title
    assert decks[2].status == "ready"  # processed by the (immediate) queue
    # taken from the opening's talk it was attached to before: a deck has one talk
    opening = session_titled(event, "Opening ceremony")
    assert opening.talks[0].decks == []
    not_a_pdf = staff.post(
        url, data={"file": (io.BytesIO(b"hello"), "notes.txt")}, content_type="multipart/form-data"
    )
    assert not_a_pdf.status_code == 400


def test_web_import_lists_every_problem(app, world):
    staff = signed_in(app, "staff")
    bad = "day,start,end,session\n2023-07-25,09:00,x,A\nnever,09:00,10:00,B\n"
    response = staff.post(
        "/events/baku-2023/programme/import",
        data={"file": (io.BytesIO(bad.encode()), "p.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported: 2 problems to fix" in html
    assert "row 2, column end:" in html and "row 3, column day:" in html


def test_camera_page_previews_then_applies(app, world, taken_photo):
    event = world["shared"].event
    slow = taken_photo(event, "2023-07-26T09:45", camera=("Sony", "A7", "9"))
    staff = signed_in(app, "staff")
    form = {"make": "Sony", "model": "A7", "serial": "9", "offset": "+1:00"}
    preview = staff.post("/events/baku-2023/programme/cameras", data={**form, "action": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "1 of 1 photo would move." in html
    assert "from Between sessions to Panel: digital identity" in html
    assert programme(staff)["unplaced"]["between"] == [slow.id]  # nothing changed yet
    applied = staff.post("/events/baku-2023/programme/cameras", data={**form, "action": "apply"})
    assert applied.status_code == 302
    panel = programme(staff)["days"][1]["sessions"][0]
    assert panel["photos"] == [slow.id]
    wrong = staff.post("/events/baku-2023/programme/cameras", data={**form, "offset": "soon"})
    assert wrong.status_code == 400 and "is not a correction" in wrong.get_data(as_text=True)


def test_photos_moved_by_hand_on_the_web(app, world):
    event = world["shared"].event
    panel = session_titled(event, "Panel: digital identity")
    staff = signed_in(app, "staff")
    url = "/events/baku-2023/programme/photos"
    assert staff.get(url).status_code == 200
    moved = staff.post(url, data={"items": [world["photo"].id], "target": str(panel.id)})
    assert moved.status_code == 302
    assert world["photo"].id in programme(staff)["days"][1]["sessions"][0]["photos"]
    back = staff.post(url, data={"items": [world["photo"].id], "target": "auto"})
    assert back.status_code == 302
    assert world["photo"].id in programme(staff)["days"][0]["sessions"][0]["photos"]
    assert staff.post(url, data={"target": "auto"}).status_code == 400


def test_event_form_sets_the_time_zone(app, world):
    staff = signed_in(app, "staff")
    page = staff.get("/events/baku-2023/edit").get_data(as_text=True)
    assert '<option selected value="Asia/Baku">' in page or 'value="Asia/Baku" selected' in page
    response = staff.post(
        "/events/baku-2023/edit", data={"title": "Baku", "timezone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    response = staff.post("/events/baku-2023/edit", data={"title": "Baku", "timezone": "UTC"})
    assert response.status_code == 302
    assert programme(staff)["timezone"] == "UTC"


def test_the_viewer_says_where_the_deck_was_presented(app, world):
    html = (
        signed_in(app, "researcher")
        .get(f"/presentations/{world['shared'].id}")
        .get_data(as_text=True)
    )
    assert "Presented at" in html and "Day 1, 09:30, Opening ceremony" in html
