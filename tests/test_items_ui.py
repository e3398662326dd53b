"""Staff upload (without JavaScript), edit, bulk-edit and delete items; the event page, its
ZIP of decks, and escaping of what uploaders typed or named."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from archive import accounts, indexing, permissions
from archive.extensions import db
from archive.fulltext import SearchRequest
from archive.models import AuditEntry, Event, Item, Presentation
from archive.services import current_index, current_storage
from archive.zipstream import member_names, safe_name
from tests.conftest import PASSWORD, Auth, csrf_token_from, make_app, publish_files

DEMO = Path(__file__).resolve().parents[1] / "archive" / "demo" / "files"
XSS = '<script>alert("x")</script>'
HTML_PAGE = b"<!doctype html><html><body>Sign in to continue</body></html>"


@pytest.fixture
def staff(login_as):
    return login_as("staff", "sam")


@pytest.fixture
def event(make_event):
    return make_event("baku-2023", "e-Government workshop")


def signed_in(app, make_user, username: str, role: str, org: str | None = None):
    """Another browser, signed in as a new user."""
    make_user(username, role, org)
    other = app.test_client()
    assert Auth(other).login(username).status_code == 302
    return other


def searched_ids(user, text: str) -> set[int]:
    page = current_index().search(SearchRequest(text=text, scope=permissions.search_scope(user)))
    return {group.item_id for group in page.groups}


def audit_actions(action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def demo_file(name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO((DEMO / name).read_bytes()), name


# uploading without JavaScript


def test_the_upload_page_offers_events_and_a_labelled_file_input(client, staff, event):
    page = client.get("/upload/?event=baku-2023").data.decode()
    assert re.search(
        r'<option selected value="baku-2023">|<option value="baku-2023" selected', page
    )
    assert '<label for="files"' in page
    assert re.search(
        r'<input[^>]*type="file"[^>]*id="files"[^>]*multiple|id="files"[^>]*multiple', page
    )
    assert 'enctype="multipart/form-data"' in page
    assert '<script src="/static/js/upload.js"' in page
    assert 'href="/upload/"' in client.get("/").data.decode()  # the nav offers it to staff


def test_upload_without_javascript_reports_each_file(app, client, staff, event, make_event):
    other = make_event("oslo-2022", "Open data days")
    before = client.post(
        "/upload/",
        data={
            "event": "oslo-2022",
            "files": [demo_file("group-photo.jpg")],
            "visibility": "shared",
        },
        content_type="multipart/form-data",
    )
    assert before.status_code == 302
    response = client.post(
        "/upload/",
        data={
            "event": "baku-2023",
            "files": [
                demo_file("un-egov-survey-2022-findings.pdf"),
                demo_file("group-photo.jpg"),
                (io.BytesIO(HTML_PAGE), "x.pdf"),
            ],
            "speakers": "Vincenzo Aguaro",
            "organisation": "UN DESA",
            "language": "",
            "visibility": "shared",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/upload/results"
    deck = db.session.scalar(select(Presentation).where(Presentation.event_id == event.id))
    assert deck.status == "ready" and deck.speakers == "Vincenzo Aguaro"
    assert deck.organisation == "UN DESA" and deck.page_count == 5
    page = client.get("/upload/results").data.decode()
    assert 'data-state="ready"' in page
    assert f'href="/items/{deck.id}"' in page
    photo = db.session.scalar(select(Item).where(Item.event_id == other.id))
    assert re.search(rf"Already in the archive.*?/items/{photo.id}\b", page, re.S)
    assert "x.pdf: not a PDF or a supported photo: the content is an HTML page" in page
    assert 'href="/events/baku-2023"' in page


def test_an_upload_without_files_or_event_is_refused(client, staff, event):
    response = client.post(
        "/upload/", data={"event": "", "visibility": "shared"}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    page = response.data.decode()
    assert "Choose an event." in page and "Choose at least one file." in page


def test_a_title_names_a_single_file_only(client, staff, event):
    files = [demo_file("asan-xidmet-tecrubesi.pdf"), demo_file("opening-ceremony.jpg")]
    data = {"event": "baku-2023", "files": files, "title": "One title", "visibility": "shared"}
    assert client.post("/upload/", data=data, content_type="multipart/form-data").status_code == 302
    assert [i.title for i in db.session.scalars(select(Item))] != ["One title"] * 2
    assert all(i.title != "One title" for i in db.session.scalars(select(Item)))
    data = {"event": "baku-2023", "files": [demo_file("cooperation-for-digital-government.pdf")]}
    data |= {"title": "Cooperation", "visibility": "staff"}
    assert client.post("/upload/", data=data, content_type="multipart/form-data").status_code == 302
    deck = db.session.scalar(select(Item).where(Item.title == "Cooperation"))
    assert deck.visibility == "staff"


def test_a_too_large_upload_shows_the_limit(tmp_path):
    app = make_app(tmp_path, MAX_UPLOAD_MB=1)
    client = app.test_client()
    with app.app_context():
        accounts.create_user("sam", PASSWORD, "staff")
        db.session.add(Event(slug="baku-2023", title="Workshop"))
        db.session.commit()
    Auth(client).login("sam")
    # A hand-made body: werkzeug's test builder would spool 2 MB to a file it never closes.
    body = (
        b'--B\r\nContent-Disposition: form-data; name="event"\r\n\r\nbaku-2023\r\n'
        b'--B\r\nContent-Disposition: form-data; name="files"; filename="big.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        + b"0" * (2 * 1024 * 1024)
        + b"\r\n--B--\r\n"
    )
    response = client.post("/upload/", data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 413
    page = response.data.decode()
    assert "File too large" in page and "larger than the limit of 1 MB" in page


def test_the_upload_form_and_the_api_need_a_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        accounts.create_user("sam", PASSWORD, "staff")
        db.session.add(Event(slug="baku-2023", title="Workshop"))
        db.session.commit()
    token = csrf_token_from(client.get("/login").data)
    client.post("/login", data={"username": "sam", "password": PASSWORD, "csrf_token": token})
    data = {"event": "baku-2023", "visibility": "shared"}
    upload = lambda: {"files": [demo_file("group-photo.jpg")]}  # noqa: E731 - fresh stream each time
    assert client.post("/upload/", data=data | upload()).status_code == 400
    api = "/api/v1/events/baku-2023/items"
    assert client.post(api, data={"file": demo_file("group-photo.jpg")}).status_code == 400
    assert client.post("/upload/event", data={"new-title": "Forum"}).status_code == 400
    token = csrf_token_from(client.get("/upload/").data)
    response = client.post(
        api, data={"file": demo_file("group-photo.jpg")}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 202
    response = client.post("/upload/", data=data | {"csrf_token": token} | upload())
    assert response.status_code == 302  # the same bytes again: reported as a duplicate
    assert "Already in the archive" in client.get("/upload/results").data.decode()


def test_the_quick_event_form_answers_json_or_redirects(client, staff):
    response = client.post(
        "/upload/event",
        data={"new-title": "Digital Forum", "new-start_date": "2024-05-02", "new-city": "Almaty"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    assert response.json == {
        "slug": "digital-forum",
        "title": "Digital Forum",
        "label": "Digital Forum (2024)",
    }
    response = client.post("/upload/event", data={"new-title": "Digital Forum"})
    assert response.headers["Location"] == "/upload/?event=digital-forum-2"
    assert len(audit_actions("event.create")) == 2
    response = client.post(
        "/upload/event", data={"new-title": ""}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400 and "Title" in response.json["error"]


# editing


def test_staff_edit_one_item_and_the_change_is_audited(client, staff, event, make_presentation):
    deck = make_presentation(event, "Old title", speakers="A", language="en")
    page = client.get(f"/items/{deck.id}/edit").data.decode()
    assert 'value="Old title"' in page and 'name="speakers"' in page
    response = client.post(
        f"/items/{deck.id}/edit",
        data={
            "title": "New title",
            "speakers": "A; B",
            "organisation": "OECD",
            "language": "ru",
            "visibility": "staff",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/presentations/{deck.id}"
    db.session.refresh(deck)
    assert (deck.title, deck.speakers, deck.organisation, deck.language, deck.visibility) == (
        "New title",
        "A; B",
        "OECD",
        "ru",
        "staff",
    )
    [entry] = audit_actions("item.update")
    assert entry.target_id == deck.id and entry.actor_name == "sam"
    assert "title: 'Old title' → 'New title'" in entry.summary
    assert "visibility: 'shared' → 'staff'" in entry.summary


def test_a_photo_has_a_caption_and_a_visibility_only(client, staff, event, make_photo):
    photo = make_photo(event, "Group photo")
    page = client.get(f"/items/{photo.id}/edit").data.decode()
    assert "Caption" in page and 'name="speakers"' not in page
    response = client.post(
        f"/items/{photo.id}/edit", data={"title": "Everyone", "visibility": "shared"}
    )
    assert response.headers["Location"] == f"/events/baku-2023#photo-{photo.id}"
    db.session.refresh(photo)
    assert photo.title == "Everyone"


def test_an_invalid_edit_changes_nothing(client, staff, event, make_presentation):
    deck = make_presentation(event, "Deck")
    response = client.post(
        f"/items/{deck.id}/edit", data={"title": "x" * 501, "visibility": "nobody"}
    )
    assert response.status_code == 400
    assert "Not a valid choice" in response.data.decode()
    db.session.refresh(deck)
    assert deck.title == "Deck" and audit_actions("item.update") == []


def test_bulk_edit_changes_only_the_filled_in_fields(
    client, staff, event, make_presentation, make_photo
):
    one = make_presentation(event, "One", speakers="Ann", organisation="UNDP", language="en")
    two = make_presentation(event, "Two", speakers="Bob", organisation="ITU", language="ru")
    untouched = make_presentation(event, "Three", speakers="Cid")
    photo = make_photo(event, "Photo")
    response = client.post(
        "/events/baku-2023/items/bulk",
        data={
            "items": [one.id, two.id, photo.id],
            "organisation": "OECD",
            "speakers": "",
            "language": "",
            "visibility": "",
            "action": "edit",
        },
    )
    assert response.status_code == 302
    for item in (one, two, untouched, photo):
        db.session.refresh(item)
    assert [(d.speakers, d.organisation, d.language) for d in (one, two, untouched)] == [
        ("Ann", "OECD", "en"),
        ("Bob", "OECD", "ru"),
        ("Cid", "", None),
    ]
    assert photo.visibility == "shared" and photo.title == "Photo"
    assert {e.target_id for e in audit_actions("item.update")} == {one.id, two.id}
    page = client.get("/events/baku-2023").data.decode()
    assert "Changed 2 items of 3 selected." in page


def test_bulk_edit_needs_a_selection_and_a_field(
    client, staff, event, make_presentation, make_event
):
    deck = make_presentation(event, "Deck")
    elsewhere = make_presentation(make_event("oslo-2022", "Oslo"), "Elsewhere")
    response = client.post(
        "/events/baku-2023/items/bulk", data={"organisation": "OECD", "action": "edit"}
    )
    assert response.status_code == 400 and "Select at least one item." in response.data.decode()
    response = client.post(
        "/events/baku-2023/items/bulk", data={"items": [deck.id], "action": "edit"}
    )
    assert response.status_code == 400
    assert "Fill in at least one field to change." in response.data.decode()
    response = client.post(
        "/events/baku-2023/items/bulk",
        data={"items": [elsewhere.id], "organisation": "OECD", "action": "edit"},
    )
    assert response.status_code == 400  # an item of another event is not a valid choice
    db.session.refresh(elsewhere)
    assert elsewhere.organisation == ""


def test_narrowed_visibility_leaves_a_researchers_search_at_once(
    app, client, staff, event, make_presentation, make_user
):
    deck = make_presentation(event, "Survey", pages=("the digital divide persists",))
    indexing.index_item(deck.id)
    researcher = accounts.create_user("rita", PASSWORD, "researcher")
    db.session.commit()
    assert searched_ids(researcher, "digital divide") == {deck.id}
    response = client.post(
        "/events/baku-2023/items/bulk",
        data={"items": [deck.id], "visibility": "staff", "action": "edit"},
    )
    assert response.status_code == 302
    assert searched_ids(researcher, "digital divide") == set()
    reader = app.test_client()
    Auth(reader).login("rita")
    assert "Survey" not in reader.get("/search/?q=digital+divide").data.decode()
    assert searched_ids(staff, "digital divide") == {deck.id}


# deleting


def test_deleting_an_item_removes_its_files_and_search_documents(
    client, staff, event, make_presentation
):
    deck = make_presentation(event, "Survey", pages=("the digital divide persists",))
    publish_files(deck.id, {"page-0001-thumb.webp": b"RIFF", "page-0001-preview.jpg": b"JPG"})
    indexing.index_item(deck.id)
    storage = current_storage()
    sha, deck_id = deck.sha256, deck.id
    page = client.get(f"/items/{deck_id}/delete").data.decode()
    assert "Delete “Survey”?" in page
    assert client.post(f"/items/{deck_id}/delete", data={"items": [deck_id]}).status_code == 400
    assert storage.has_original(sha)
    response = client.post(f"/items/{deck_id}/delete", data={"items": [deck_id], "confirm": "yes"})
    assert response.headers["Location"] == "/events/baku-2023"
    assert db.session.get(Item, deck_id) is None
    assert not storage.has_original(sha)
    assert storage.derived_file(deck_id, "page-0001-thumb.webp") is None
    assert searched_ids(staff, "digital divide") == set()
    [entry] = audit_actions("item.delete")
    assert entry.target_id == deck_id and "Survey" in entry.summary


def test_bulk_delete_confirms_with_a_list_then_deletes(
    client, staff, event, make_presentation, make_photo
):
    keep = make_presentation(event, "Keep me")
    deck = make_presentation(event, "Old deck")
    photo = make_photo(event, "Old photo")
    ids = [deck.id, photo.id]
    response = client.post("/events/baku-2023/items/bulk", data={"items": ids, "action": "delete"})
    assert response.status_code == 200
    page = response.data.decode()
    assert "Delete these 2 items?" in page and "Old deck" in page and "Old photo" in page
    assert "Keep me" not in page
    assert db.session.get(Item, deck.id) is not None  # nothing deleted yet
    response = client.post("/events/baku-2023/items/delete", data={"items": ids, "confirm": "yes"})
    assert response.status_code == 302
    assert db.session.scalars(select(Item.id)).all() == [keep.id]
    assert len(audit_actions("item.delete")) == 2
    assert "Deleted 2 items." in client.get("/events/baku-2023").data.decode()


def test_researchers_may_not_edit_or_delete(client, login_as, event, make_presentation):
    deck = make_presentation(event, "Deck")
    login_as("researcher")
    assert (
        client.post(
            f"/items/{deck.id}/edit", data={"title": "x", "visibility": "shared"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/items/{deck.id}/delete", data={"items": [deck.id], "confirm": "yes"}
        ).status_code
        == 404
    )
    data = {"items": [deck.id], "confirm": "yes"}
    assert client.post("/events/baku-2023/items/delete", data=data).status_code == 404
    page = client.get("/events/baku-2023").data.decode()
    assert "bulk-form" not in page and "/edit" not in page


# the event page and its ZIP


def test_the_event_page_shows_decks_and_a_photo_gallery(
    client, staff, event, make_presentation, make_photo
):
    deck = make_presentation(event, "Survey", speakers="Vincenzo Aguaro", organisation="UN DESA")
    failed = make_presentation(event, "Broken", status="failed", error="Broken.pdf: damaged")
    photo = make_photo(event, "Opening ceremony")
    untitled = make_photo(event, "")
    page = client.get("/events/baku-2023").data.decode()
    assert f'href="/presentations/{deck.id}"' in page
    assert f'src="/items/{deck.id}/pages/1/thumb"' in page
    assert f'href="/items/{deck.id}/download"' in page
    assert "Vincenzo Aguaro" in page and "UN DESA" in page
    assert 'class="badge badge-failed"' in page and "Broken.pdf: damaged" in page
    assert f'href="/items/{photo.id}/photo/lightbox"' in page
    assert f'src="/items/{photo.id}/photo/grid" alt="Opening ceremony"' in page
    assert (
        f'src="/items/{untitled.id}/photo/grid" alt="Photo 2 of 2 from e-Government workshop"'
        in page
    )
    assert 'href="/events/baku-2023/presentations.zip"' in page
    assert '<script src="/static/js/lightbox.js"' in page
    assert f'value="{failed.id}" form="bulk-form"' in page


def test_others_see_ready_items_only_and_no_badges(client, login_as, event, make_presentation):
    make_presentation(event, "Ready deck")
    make_presentation(event, "Queued deck", status="queued")
    login_as("researcher")
    page = client.get("/events/baku-2023").data.decode()
    assert "Ready deck" in page and "Queued deck" not in page and "badge-queued" not in page


def zip_names(response) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.testzip() is None
        return archive.namelist()


def test_the_zip_holds_only_the_decks_a_partner_may_download(
    app, event, make_event, make_presentation, make_user
):
    accounts.add_grant(event, accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    make_presentation(event, "Slides", speakers="Ann Lee", content=b"%PDF-1.4 a")
    make_presentation(event, "slides", original_filename="b.pdf", content=b"%PDF-1.4 b")
    make_presentation(event, "../../etc/passwd", content=b"%PDF-1.4 c")
    make_presentation(event, "", original_filename="/abs/x.pdf", content=b"%PDF-1.4 d")
    make_presentation(event, "Slides", speakers="Ann Lee", content=b"%PDF-1.4 e")
    make_presentation(event, "Secret", original_filename="secret.pdf", visibility="staff")
    make_presentation(event, "Failed", original_filename="failed.pdf", status="failed")
    other = make_event("oslo-2022", "Oslo")
    make_presentation(other, "Other", original_filename="other.pdf")
    partner = signed_in(app, make_user, "pat", "partner", "UNDP")
    streamed = partner.get("/events/baku-2023/presentations.zip", buffered=False)
    assert streamed.status_code == 200 and streamed.is_streamed  # not built in memory first
    streamed.close()
    response = partner.get("/events/baku-2023/presentations.zip")
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="baku-2023-presentations.zip"'
    )
    names = zip_names(response)
    # named by title with the speakers, in the event page's order (titles A-Z, any case)
    assert names == [
        "etc_passwd.pdf",
        "abs_x.pdf",
        "Slides – Ann Lee.pdf",
        "Slides – Ann Lee (2).pdf",
        "slides.pdf",
    ]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert [archive.read(n) for n in names] == [
            b"%PDF-1.4 " + c for c in (b"c", b"d", b"a", b"e", b"b")
        ]
    assert partner.get("/events/oslo-2022/presentations.zip").status_code == 404
    staff = signed_in(app, make_user, "sam", "staff")
    assert "Secret.pdf" in zip_names(staff.get("/events/baku-2023/presentations.zip"))


def test_no_downloadable_decks_no_zip(client, login_as, event, make_presentation):
    make_presentation(event, "Secret", visibility="staff")
    login_as("researcher")
    assert client.get("/events/baku-2023/presentations.zip").status_code == 404
    assert "presentations.zip" not in client.get("/events/baku-2023").data.decode()


@pytest.mark.parametrize(
    ("filename", "safe"),
    [
        ("deck.pdf", "deck.pdf"),
        ("../../x.pdf", "x.pdf"),
        ("/etc/passwd", "etc_passwd.pdf"),
        ("a/../b.pdf", "a_b.pdf"),
        ("C:\\Users\\a.pdf", "C_Users_a.pdf"),
        ("..", "presentation.pdf"),
        ("a\x00b\u202e.PDF", "ab.PDF"),
        ("", "presentation.pdf"),
    ],
)
def test_member_names_are_safe(filename, safe):
    assert safe_name(filename) == safe
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")


def test_member_names_are_unique_ignoring_case():
    assert member_names(["a.pdf", "A.pdf", "a.pdf", "a (2).pdf"]) == [
        "a.pdf",
        "A (2).pdf",
        "a (3).pdf",
        "a (2) (2).pdf",
    ]


# escaping what uploaders typed or named


def test_html_in_titles_captions_and_file_names_is_escaped(
    client, staff, event, make_presentation, make_photo
):
    deck = make_presentation(
        event, XSS, speakers=XSS, organisation=XSS, original_filename=XSS + ".pdf"
    )
    make_photo(event, XSS, original_filename=XSS + ".jpg")
    make_presentation(event, "", original_filename=XSS + "2.pdf", status="failed", error=XSS)
    client.post(
        "/upload/",
        data={"event": "baku-2023", "files": [(io.BytesIO(HTML_PAGE), XSS + ".pdf")]},
        content_type="multipart/form-data",
    )
    for url in (
        "/",
        "/events/baku-2023",
        f"/presentations/{deck.id}",
        f"/items/{deck.id}/edit",
        f"/items/{deck.id}/delete",
        "/upload/results",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert XSS.encode() not in response.data, url
        assert b"&lt;script&gt;" in response.data, url


def test_viewer_lists_the_pdf_outline_with_links(client, login_as, make_event, make_presentation):
    login_as("researcher")
    deck = make_presentation(
        make_event(),
        pages=("a", "b", "c"),
        outline=[
            {"title": "Intro <b>", "page": 1, "level": 1},
            {"title": "Findings", "page": 3, "level": 2},
            {"title": "Unresolved", "page": None, "level": 1},
        ],
    )
    html = client.get(f"/presentations/{deck.id}").get_data(as_text=True)
    assert "Contents (3 bookmarks)" in html
    assert f'href="/presentations/{deck.id}?page=3">Findings</a>' in html
    assert "Intro &lt;b&gt;" in html and "Unresolved" in html
