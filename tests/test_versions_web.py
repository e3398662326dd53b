"""Versions on the pages and in the API: staff replace a deck or photo, list, view, download
and restore versions; researchers and partners see only the current version."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from archive import accounts
from archive.extensions import db
from archive.models import ApiToken, AuditEntry, Item
from archive.services import current_storage
from tests.support.items import found, upload


@pytest.fixture
def deck(app, make_event, make_pdf):
    event = make_event()
    accounts.add_grant(event, accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    pages = [["alpha one"], ["alpha two"], ["alpha three"]]
    return upload(event, make_pdf(pages, "talk.pdf"), "talk.pdf", title="The talk")


def pdf_bytes(make_pdf, pages: int = 2, word: str = "beta", name: str = "v2.pdf") -> bytes:
    return make_pdf([[f"{word} {n}"] for n in range(1, pages + 1)], name).read_bytes()


def post_version(client, item_id: int, content: bytes, name: str = "v2.pdf", note: str = ""):
    return client.post(
        f"/items/{item_id}/versions",
        data={"file": (io.BytesIO(content), name), "note": note},
        content_type="multipart/form-data",
    )


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_staff_replace_a_deck_and_every_link_keeps_working(client, login_as, deck, make_pdf):
    login_as("staff")
    response = post_version(client, deck.id, pdf_bytes(make_pdf), note="typo fixed")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/items/{deck.id}/versions")
    page = client.get(f"/items/{deck.id}/versions").get_data(as_text=True)
    assert "Version 2 uploaded" in page and "typo fixed" in page and "staff-user" in page
    assert 'data-version="2" class="current"' in page
    item = db.session.get(Item, deck.id)
    assert item.version_number == 2 and found("beta") == {deck.id}
    download = client.get(f"/items/{deck.id}/download")
    assert download.headers["Content-Disposition"].endswith("v2.pdf")
    with current_storage().open_original(item.sha256) as fh:
        assert download.data == fh.read()
    assert actions()[-3:] == ["item.version.upload", "item.version.current", "download"]
    viewer = client.get(f"/presentations/{deck.id}").get_data(as_text=True)
    assert 'id="versions-summary"' in viewer and "Version 2 of 2" in viewer
    assert "typo fixed" in viewer and "talk.pdf" in viewer


def test_a_bookmarked_page_beyond_the_new_version_says_so(client, login_as, deck, make_pdf):
    login_as("staff")
    post_version(client, deck.id, pdf_bytes(make_pdf, pages=2))
    client.post("/logout")
    login_as("researcher")
    page = client.get(f"/presentations/{deck.id}?page=3").get_data(as_text=True)
    assert "points to page 3" in page and "only 2 pages" in page
    assert 'id="page-number"' in page and 'max="2" value="2"' in page
    ok = client.get(f"/presentations/{deck.id}?page=2").get_data(as_text=True)
    assert 'id="missing-page"' not in ok and "beta 2" in ok


def test_staff_view_download_and_restore_an_earlier_version(client, login_as, deck, make_pdf):
    login_as("staff")
    v1_sha = deck.sha256
    post_version(client, deck.id, pdf_bytes(make_pdf))
    view = client.get(f"/items/{deck.id}/versions/1/?page=3")
    assert view.status_code == 200 and b"Page 3 of 3" in view.data
    image = client.get(f"/items/{deck.id}/versions/1/pages/3/preview")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    old = client.get(f"/items/{deck.id}/versions/1/download")
    with current_storage().open_original(v1_sha) as fh:
        assert old.status_code == 200 and old.data == fh.read()
    assert client.get(f"/items/{deck.id}/versions/2/").status_code == 302  # current: the item
    assert client.get(f"/items/{deck.id}/versions/9/").status_code == 404

    restored = client.post(f"/items/{deck.id}/versions/1/restore", follow_redirects=True)
    assert b"Version 1 will be current again (as version 3)" in restored.data
    item = db.session.get(Item, deck.id)
    assert (item.version_number, item.sha256) == (3, v1_sha) and found("alpha") == {deck.id}
    assert "item.version.download" in actions() and "item.version.restore" in actions()


@pytest.mark.parametrize("role", ["researcher", "partner"])
def test_others_see_only_the_current_version(client, login_as, deck, make_pdf, role, app):
    staff = app.test_client()
    accounts.create_user("sam", "correct horse battery", "staff")
    db.session.commit()
    staff.post("/login", data={"username": "sam", "password": "correct horse battery"})
    post_version(staff, deck.id, pdf_bytes(make_pdf))
    login_as(role)
    viewer = client.get(f"/presentations/{deck.id}").get_data(as_text=True)
    assert "beta 1" in viewer and "Versions" not in viewer and "versions-summary" not in viewer
    for url in (
        f"/items/{deck.id}/versions",
        f"/items/{deck.id}/versions/1/",
        f"/items/{deck.id}/versions/1/download",
        f"/items/{deck.id}/versions/1/pages/1/thumb",
    ):
        assert client.get(url).status_code == 404, url  # as if there were no versions
    assert post_version(client, deck.id, b"%PDF-1.4").status_code == 404
    assert client.post(f"/items/{deck.id}/versions/1/restore").status_code == 404


def test_a_refused_version_says_why_and_changes_nothing(client, login_as, deck, make_jpeg):
    login_as("staff")
    response = post_version(client, deck.id, make_jpeg().read_bytes(), "photo.jpg")
    assert response.status_code == 400
    assert b"a new version of a presentation must be a PDF" in response.data
    with current_storage().open_original(deck.sha256) as fh:
        again = post_version(client, deck.id, fh.read(), "same.pdf")
    assert again.status_code == 409 and b"already the current version" in again.data
    assert [v.number for v in db.session.get(Item, deck.id).versions] == [1]


def test_the_api_uploads_and_lists_versions(client, make_user, deck, make_pdf):
    staff = make_user("api-staff", "staff")
    token, secret = ApiToken.issue(staff, "script")
    db.session.add(token)
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post(
        f"/api/v1/items/{deck.id}/versions",
        data={"file": (io.BytesIO(pdf_bytes(make_pdf)), "v2.pdf"), "note": "from a script"},
        headers=headers,
    )
    assert response.status_code == 202
    body = response.get_json()
    assert body["version"]["number"] == 2 and body["version"]["note"] == "from a script"
    assert body["item"]["version"] == 2  # the immediate queue processed it already
    listing = client.get(f"/api/v1/items/{deck.id}/versions", headers=headers).get_json()
    assert [(v["number"], v["current"]) for v in listing["versions"]] == [(1, False), (2, True)]
    bad = client.post(
        f"/api/v1/items/{deck.id}/versions",
        data={"file": (io.BytesIO(b"<html></html>"), "x.pdf")},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.get_json()["code"] == "unsupported-type"
    none = client.post(f"/api/v1/items/{deck.id}/versions", headers=headers)
    assert none.status_code == 400


def test_replacing_a_photo_keeps_the_old_image_for_staff(client, login_as, make_event, make_jpeg):
    event = make_event()
    photo = upload(event, make_jpeg(size=(300, 200)), "group.jpg", title="Group photo")
    login_as("staff")
    new = make_jpeg(size=(400, 300), name="group-v2.jpg").read_bytes()
    assert post_version(client, photo.id, new, "group-v2.jpg").status_code == 302
    item = db.session.get(Item, photo.id)
    assert (item.version_number, item.width, item.height) == (2, 400, 300)
    assert item.title == "Group photo"
    old = client.get(f"/items/{photo.id}/versions/1/photo/lightbox")
    assert old.status_code == 200 and old.mimetype == "image/jpeg"
    assert b"300\xc3\x97200" in client.get(f"/items/{photo.id}/versions").data
