"""Downloads: names from the sniffed type, photos without GPS for non-staff, and every
download of an original recorded for the organisers' reports."""

from __future__ import annotations

import csv
import io

import pytest
from PIL import Image
from sqlalchemy import select

from archive import accounts
from archive.downloads import download_name
from archive.extensions import db
from archive.models import AuditEntry
from archive.services import current_storage
from tests.conftest import publish_files

POLYGLOT = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n"


@pytest.fixture
def event(make_event):
    event = make_event("baku-2023", "Baku")
    accounts.add_grant(event, accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    return event


def downloads() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("download%"))))


@pytest.mark.parametrize(
    ("filename", "mime", "expected"),
    [
        ("slides.html", "application/pdf", "slides.html.pdf"),
        ("slides.PDF", "application/pdf", "slides.PDF"),
        ("deck", "application/pdf", "deck.pdf"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("photo.png", "image/jpeg", "photo.png.jpg"),
        ("scan.tiff", "image/tiff", "scan.tiff"),
        ("../../etc/passwd", "application/pdf", "etc_passwd.pdf"),
        ("", "application/pdf", "download.pdf"),
    ],
)
def test_download_names_end_in_the_sniffed_type(filename, mime, expected):
    assert download_name(filename, mime) == expected


def test_a_polyglot_named_html_downloads_as_a_pdf(client, login_as, event, make_presentation):
    deck = make_presentation(event, "Polyglot", content=POLYGLOT, original_filename="slides.html")
    login_as("partner")
    response = client.get(f"/items/{deck.id}/download")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "slides.html.pdf" in disposition
    assert 'filename="slides.html"' not in disposition


def gps_of(data: bytes) -> dict:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825))


@pytest.fixture
def gps_photo(event, make_photo, make_jpeg):
    data = make_jpeg(gps=True, make="Canon", taken="2023:07:25 10:00:00").read_bytes()
    assert gps_of(data)
    photo = make_photo(event, "Team", content=data, original_filename="team.jpg")
    return photo, data


@pytest.mark.parametrize("role", ["partner", "researcher"])
def test_photos_reach_non_staff_without_their_position(client, login_as, gps_photo, role):
    photo, original = gps_photo
    login_as(role)
    response = client.get(f"/items/{photo.id}/download")
    assert response.status_code == 200
    sent = response.data
    assert set(gps_of(sent)) <= {0}  # at most GPSVersionID: no position
    exif = Image.open(io.BytesIO(sent)).getexif()
    assert exif.get(0x010F) == "Canon"  # the rest of the metadata stays
    assert len(sent) == len(original)
    assert Image.open(io.BytesIO(sent)).tobytes() == Image.open(io.BytesIO(original)).tobytes()
    with current_storage().open_original(photo.sha256) as stored:
        assert stored.read() == original  # the original itself is untouched


def test_staff_download_the_original_photo(client, login_as, gps_photo):
    photo, original = gps_photo
    login_as("staff")
    assert client.get(f"/items/{photo.id}/download").data == original


def test_a_photo_whose_position_cannot_be_removed_is_refused(
    client, login_as, event, make_photo, caplog
):
    broken = b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\xff\xff" + b"\x00" * 64
    photo = make_photo(event, "Broken EXIF", content=broken)
    login_as("researcher")
    with caplog.at_level("WARNING"):
        response = client.get(f"/items/{photo.id}/download")
    assert response.status_code == 409
    assert b"location data could not be removed" in response.data
    assert any("location not removable" in r.getMessage() for r in caplog.records)
    assert downloads() == []


def test_every_download_is_recorded_once(client, login_as, event, make_presentation):
    deck = make_presentation(event, "Deck one")
    partner = login_as("partner")
    assert client.get(f"/items/{deck.id}/download").status_code == 200
    assert client.head(f"/items/{deck.id}/download").status_code == 200
    cached = client.get(f"/items/{deck.id}/download", headers={"If-None-Match": deck.sha256})
    assert cached.status_code == 304
    (entry,) = downloads()
    assert (entry.action, entry.actor_id, entry.organisation) == ("download", partner.id, "UNDP")
    assert (entry.event_id, entry.item_ids, entry.route) == (event.id, [deck.id], "items.download")
    assert (entry.target_type, entry.target_id, entry.ip) == ("presentation", deck.id, "127.0.0.1")


def test_page_images_are_not_downloads(client, login_as, event, make_presentation):
    deck = make_presentation(event, "Deck one")
    publish_files(deck.id, {"page-0001-thumb.webp": b"RIFF"})
    login_as("partner")
    assert client.get(f"/items/{deck.id}/pages/1/thumb").status_code == 200
    assert downloads() == []


def test_a_zip_is_one_entry_naming_every_deck(client, login_as, event, make_presentation):
    decks = [make_presentation(event, f"Deck {n}") for n in range(3)]
    make_presentation(event, "Staff deck", visibility="staff")
    login_as("partner")
    response = client.get(f"/events/{event.slug}/presentations.zip")
    assert response.status_code == 200
    (entry,) = downloads()
    assert entry.action == "download.zip" and entry.route == "events.presentations_zip"
    assert sorted(entry.item_ids) == sorted(d.id for d in decks)


def test_staff_see_how_often_each_deck_was_downloaded(
    app, client, login_as, make_user, event, make_presentation
):
    popular = make_presentation(event, "Popular deck")
    make_presentation(event, "Quiet deck")
    accounts.find_or_create_organisation("OECD")
    db.session.commit()
    for name, org in (("p1", "UNDP"), ("p2", "UNDP"), ("p3", "OECD")):
        make_user(name, "partner", org)
    accounts.add_grant(event, accounts.find_organisation("OECD"))
    db.session.commit()
    for name in ("p1", "p2", "p3"):
        browser = app.test_client()
        browser.post("/login", data={"username": name, "password": "correct horse battery"})
        assert browser.get(f"/items/{popular.id}/download").status_code == 200
    login_as("staff")
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Downloaded 3 times by 2 organisations" in page
    assert "Not downloaded yet" in page
    researcher = app.test_client()
    make_user("rosa", "researcher")
    researcher.post("/login", data={"username": "rosa", "password": "correct horse battery"})
    assert "Downloaded 3 times" not in researcher.get(f"/events/{event.slug}").get_data(True)


def test_admins_filter_downloads_and_export_them(
    app, client, login_as, make_user, make_event, event, make_presentation
):
    other = make_event("oslo-2022", "Oslo")
    deck = make_presentation(event, "Deck")
    other_deck = make_presentation(other, "Other deck")
    make_user("olga", "researcher")
    browser = app.test_client()
    browser.post("/login", data={"username": "olga", "password": "correct horse battery"})
    browser.get(f"/items/{deck.id}/download")
    browser.get(f"/items/{other_deck.id}/download")
    make_user("pia", "partner", "UNDP")
    partner = app.test_client()
    partner.post("/login", data={"username": "pia", "password": "correct horse battery"})
    partner.get(f"/items/{deck.id}/download")
    login_as("admin")
    page = client.get("/admin/audit/", query_string={"action": "download", "organisation": "UNDP"})
    text = page.get_data(as_text=True)
    assert "1 entry" in text and "pia" in text and "olga" not in text
    by_event = client.get("/admin/audit/", query_string={"event": str(other.id)}).get_data(True)
    assert "olga" in by_event and "pia" not in by_event
    export = client.get("/admin/audit/export.csv", query_string={"action": "download"})
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert {(r["actor"], r["organisation"], r["event"], r["item_ids"]) for r in rows} == {
        ("olga", "", "baku-2023", str(deck.id)),
        ("olga", "", "oslo-2022", str(other_deck.id)),
        ("pia", "UNDP", "baku-2023", str(deck.id)),
    }
    dated = client.get(
        "/admin/audit/export.csv", query_string={"action": "download", "date_to": "2000-01-01"}
    )
    assert len(list(csv.DictReader(io.StringIO(dated.get_data(as_text=True))))) == 0


def test_the_export_cannot_smuggle_a_spreadsheet_formula(
    client, login_as, event, make_presentation
):
    deck = make_presentation(event, '=HYPERLINK("http://evil")', original_filename="=cmd.pdf")
    login_as("admin")
    client.get(f"/items/{deck.id}/download")
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit/export.csv").get_data(True))))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_downloads_filter_shows_nothing_before_the_first_download(client, login_as, event):
    login_as("admin")  # its sign-in is in the log, no download is
    page = client.get("/admin/audit/", query_string={"action": "download"}).get_data(True)
    assert "No entries match these filters." in page
