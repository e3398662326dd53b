"""Staff create, edit and delete events; the events list filters by text, year and country."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from archive import accounts, catalogue, materials, services
from archive.extensions import db
from archive.models import AuditEntry, Event, Grant, Item, Page
from tests.conftest import PASSWORD, csrf_token_from, make_app

XSS = '<script>alert("x")</script>'


def event_form(**fields) -> dict:
    form = {
        "title": "Digital Government Forum",
        "slug": "",
        "start_date": "2023-10-03",
        "end_date": "2023-10-05",
        "city": "Baku",
        "country": "Azerbaijan",
        "venue": "ADA University",
        "organisers": "UNDP; Ministry of Digital Development",
        "description": "First paragraph.\r\n\r\nSecond paragraph.",
        "tags": "e-government, open data, ",
    }
    return form | fields


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def actions() -> list[tuple[str, str | None, int | None]]:
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("event.%")))
    return [(e.action, e.actor_name, e.target_id) for e in rows]


@pytest.fixture
def staff(login_as):
    return login_as("staff", "sam")


# create


def test_staff_create_an_event_with_a_slug_from_the_title(client, staff):
    response = client.post("/events/new", data=event_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/digital-government-forum"
    event = catalogue.find_event("digital-government-forum")
    assert (event.start_date, event.end_date) == (date(2023, 10, 3), date(2023, 10, 5))
    assert (event.city, event.country, event.venue) == ("Baku", "Azerbaijan", "ADA University")
    assert event.tag_list == ["e-government", "open data"]
    assert event.organiser_list == ["UNDP", "Ministry of Digital Development"]
    assert event.description == "First paragraph.\n\nSecond paragraph."
    assert actions() == [("event.create", "sam", event.id)]
    page = client.get(response.headers["Location"]).data.decode()
    assert "Event “Digital Government Forum” created." in page


def test_a_taken_slug_from_the_title_gets_a_number(client, staff, make_event):
    make_event("digital-government-forum", "Older forum")
    assert client.post("/events/new", data=event_form()).status_code == 302
    assert catalogue.find_event("digital-government-forum-2").title == "Digital Government Forum"


def test_a_typed_slug_is_used_as_given(client, staff):
    assert client.post("/events/new", data=event_form(slug="dgf-2023")).status_code == 302
    assert catalogue.find_event("dgf-2023") is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"slug": "Not A Slug"}, "use 2-120 lower-case letters"),
        ({"slug": "new"}, "is reserved"),
        ({"slug": "taken"}, "already exists"),
        ({"start_date": "2023-10-05", "end_date": "2023-10-03"}, "The end date is before"),
        ({"start_date": "03/10/2023"}, "Not a valid date value."),
    ],
)
def test_invalid_events_are_refused(client, staff, make_event, fields, message):
    make_event("taken", "Taken")
    response = client.post("/events/new", data=event_form(**fields))
    assert response.status_code == 400
    assert message in response.data.decode()
    assert count(Event) == 1


def test_the_form_uses_date_inputs_and_labels(client, staff):
    page = client.get("/events/new").data.decode()
    assert re.search(r'<input[^>]*id="start_date"[^>]*type="date"', page)
    for name in ("title", "slug", "start_date", "end_date", "city", "country", "tags"):
        assert f'<label for="{name}"' in page


# edit


def test_staff_edit_an_event(client, staff, make_event):
    event = make_event("baku-2023", "Old title", city="Baku")
    page = client.get("/events/baku-2023/edit").data.decode()
    assert 'value="Old title"' in page and 'value="Baku"' in page
    form = event_form(title="New title", city="Tbilisi", country="Georgia")
    response = client.post("/events/baku-2023/edit", data=form)
    assert response.headers["Location"] == "/events/baku-2023"
    event = db.session.get(Event, event.id)
    assert (event.slug, event.title, event.city) == ("baku-2023", "New title", "Tbilisi")
    assert actions() == [("event.update", "sam", event.id)]


def test_an_empty_edit_changes_nothing(client, staff, make_event):
    make_event("baku-2023", "Old title")
    assert client.post("/events/baku-2023/edit", data={}).status_code == 400
    assert catalogue.find_event("baku-2023").title == "Old title"
    assert actions() == []


# delete


@pytest.fixture
def full_event(make_event, make_presentation, make_photo):
    event = make_event("baku-2023", "Baku")
    storage = services.current_storage()
    stored = storage.store_original(io.BytesIO(b"%PDF-1.7 deck"))
    deck = make_presentation(event, pages=("a", "b"), sha256=stored.sha256)
    make_presentation(event, visibility="staff")
    photo = make_photo(event)
    for item in (deck, photo):
        with storage.staging_dir() as staged:
            (staged / "thumb.webp").write_bytes(b"thumb")
            storage.publish_derived(item.id, staged)
    accounts.add_grant(event, accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    return {"event": event.id, "deck": deck.id, "photo": photo.id, "sha": stored.sha256}


def test_the_delete_page_states_what_goes_with_the_event(client, staff, full_event):
    page = client.get("/events/baku-2023/delete").data.decode()
    assert "<strong>2 presentations</strong>" in page and "<strong>1 photo</strong>" in page
    assert 'name="confirm"' in page and 'value="baku-2023"' in page


def test_staff_delete_an_event_with_its_items_and_files(client, staff, make_event, full_event):
    keep = make_event("oslo-2022", "Oslo")
    storage = services.current_storage()
    assert storage.derived_file(full_event["deck"], "thumb.webp") is not None
    assert storage.has_original(full_event["sha"])
    response = client.post("/events/baku-2023/delete", data={"confirm": "baku-2023"})
    assert response.status_code == 302 and response.headers["Location"] == "/events/"
    assert catalogue.find_event("baku-2023") is None
    assert catalogue.find_event(keep.slug) is not None
    assert (count(Item), count(Page), count(Grant)) == (0, 0, 0)
    assert storage.derived_file(full_event["deck"], "thumb.webp") is None
    assert storage.derived_file(full_event["photo"], "thumb.webp") is None
    assert not storage.has_original(full_event["sha"])
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.delete"))
    assert entry.target_id == full_event["event"]
    assert entry.summary == "Baku: 2 presentations, 1 photos"
    page = client.get("/events/").data.decode()
    assert "deleted with 2 presentations and 1 photos" in page


def test_only_originals_no_item_uses_count_as_unused(full_event):
    assert materials.unused_originals([full_event["sha"], "f" * 64]) == ["f" * 64]


def test_delete_needs_the_confirmation_field(client, staff, full_event):
    assert client.post("/events/baku-2023/delete", data={}).status_code == 400
    assert client.post("/events/baku-2023/delete", data={"confirm": "other"}).status_code == 400
    assert catalogue.find_event("baku-2023") is not None and count(Item) == 3


# who may


@pytest.mark.parametrize("role", ["researcher", "partner"])
def test_researchers_and_partners_may_not_edit_events(client, login_as, make_event, role):
    event = make_event("baku-2023", "Baku")
    accounts.add_grant(event, accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    login_as(role)
    # The new-event page is about no object (403); an event's edit and delete pages answer
    # like a missing event (404), even to those who may see the event.
    assert client.get("/events/new").status_code == 403
    for url in ("/events/baku-2023/edit", "/events/baku-2023/delete"):
        assert client.get(url).status_code == 404, url
    assert client.post("/events/new", data=event_form()).status_code == 403
    assert client.post("/events/baku-2023/edit", data=event_form()).status_code == 404
    assert client.post("/events/baku-2023/delete", data={"confirm": "baku-2023"}).status_code == 404
    assert count(Event) == 1 and catalogue.find_event("baku-2023").title == "Baku"
    detail = client.get("/events/baku-2023").data.decode()
    assert "/events/baku-2023/edit" not in detail and "/events/baku-2023/delete" not in detail
    assert "/events/new" not in client.get("/events/").data.decode()


def test_staff_see_the_edit_buttons(client, staff, make_event):
    make_event("baku-2023", "Baku")
    detail = client.get("/events/baku-2023").data.decode()
    assert 'href="/events/baku-2023/edit"' in detail
    assert 'href="/events/baku-2023/delete"' not in detail  # deleting is on the edit page
    assert 'href="/events/baku-2023/delete"' in client.get("/events/baku-2023/edit").data.decode()
    assert "/admin/events/baku-2023" not in detail  # partner access is for admins
    assert 'href="/events/new"' in client.get("/events/").data.decode()


def test_event_forms_require_a_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        accounts.create_user("sam", PASSWORD, "staff")
        db.session.commit()
    token = csrf_token_from(client.get("/login").data)
    client.post("/login", data={"username": "sam", "password": PASSWORD, "csrf_token": token})
    assert client.post("/events/new", data=event_form()).status_code == 400
    token = csrf_token_from(client.get("/events/new").data)
    assert client.post("/events/new", data=event_form(csrf_token=token)).status_code == 302
    with app.app_context():
        assert catalogue.find_event("digital-government-forum") is not None


def test_html_in_an_event_title_is_escaped_everywhere(client, login_as, make_event):
    make_event("xss", XSS, city=XSS, country=XSS, tags=[XSS])
    login_as("admin")
    for url in (
        "/",
        "/events/",
        "/events/?q=" + XSS,
        "/events/xss",
        "/events/xss/edit",
        "/events/xss/delete",
        "/admin/events/",
        "/admin/events/xss",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert XSS.encode() not in response.data, url
        assert b"&lt;script&gt;" in response.data, url


# the events list


@pytest.fixture
def events(make_event):
    made = {
        "baku": make_event(
            "baku-2023", "Forum", start_date=date(2023, 10, 3), city="Baku", country="Azerbaijan"
        ),
        "oslo": make_event(
            "oslo-2022",
            "Open data days",
            start_date=date(2022, 5, 1),
            city="Oslo",
            country="Norway",
        ),
        "undated": make_event("undated", "Archive notes", country="Norway"),
    }
    accounts.add_grant(made["baku"], accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    return made


def listed(client, query: str = "") -> set[str]:
    page = client.get(f"/events/?{query}").data.decode()
    return set(re.findall(r'<a href="/events/([a-z0-9-]+)">', page))


def options(client, name: str) -> list[str]:
    page = client.get("/events/").data.decode()
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html)


def test_events_list_filters(client, login_as, events):
    login_as("researcher")
    assert listed(client) == {"baku-2023", "oslo-2022", "undated"}
    assert "Not a valid choice" not in client.get("/events/").data.decode()
    assert listed(client, "q=open") == {"oslo-2022"}
    assert listed(client, "q=baku") == {"baku-2023"}
    assert listed(client, "q=norway") == {"oslo-2022", "undated"}
    assert listed(client, "q=%25") == set()
    assert listed(client, "year=2022") == {"oslo-2022"}
    assert listed(client, "country=Norway") == {"oslo-2022", "undated"}
    assert listed(client, "country=Norway&year=2023") == set()
    assert listed(client, "year=1999") == {"baku-2023", "oslo-2022", "undated"}  # stale: ignored
    assert options(client, "year") == ["", "2023", "2022"]
    assert options(client, "country") == ["", "Azerbaijan", "Norway"]


def test_filter_choices_only_show_what_the_user_may_see(client, login_as, events):
    login_as("partner")
    assert listed(client) == {"baku-2023"}
    assert options(client, "year") == ["", "2023"]
    assert options(client, "country") == ["", "Azerbaijan"]
    assert listed(client, "country=Norway") == {"baku-2023"}  # not offered, so ignored
