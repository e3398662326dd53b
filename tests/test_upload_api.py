"""The upload API and the whole pipeline behind it (the queue runs tasks inline in tests)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from archive import accounts
from archive.extensions import db
from archive.fulltext import AccessScope, SearchRequest
from archive.models import Item, Page, Photo, Presentation
from archive.services import current_index, current_storage
from tests.conftest import csrf_token_from, make_app

DECK_PAGES = [
    ["Opening remarks", "Welcome to Baku"],
    ["Agenda", "Morning and afternoon sessions"],
    ["The digital divide", "persists between regions"],
]


@pytest.fixture
def staff_token(app, make_user, make_event):
    make_event("baku-2023", "e-Government workshop")
    user = make_user("stella", "staff")
    _, secret = accounts.issue_token(user, "tests")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def upload(client, headers, files, slug="baku-2023", **fields):
    data = {**fields, "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(
        f"/api/v1/events/{slug}/items",
        data=data,
        headers=headers,
        content_type="multipart/form-data",
    )


def search(text, scope=None):
    scope = scope or AccessScope(include_staff_only=True)
    return current_index().search(SearchRequest(text, scope=scope))


def test_pdfs_and_photo_are_stored_extracted_and_searchable(
    client, staff_token, make_pdf, make_jpeg
):
    deck = make_pdf(DECK_PAGES, name="deck.pdf").read_bytes()
    other = make_pdf([["Budget lines"], ["Annex"]], name="other.pdf").read_bytes()
    photo = make_jpeg(
        size=(640, 480), taken="2023:07:25 10:00:00", make="Nikon", gps=True
    ).read_bytes()
    response = upload(
        client,
        staff_token,
        [("deck.pdf", deck), ("other.pdf", other), ("photo.jpg", photo)],
        speakers="Vincenzo Aguaro",
        organisation="UN DESA",
    )
    assert response.status_code == 202, response.json
    files = response.json["files"]
    assert [f["outcome"] for f in files] == ["accepted"] * 3
    assert [f["item"]["kind"] for f in files] == ["presentation", "presentation", "photo"]
    deck_id = files[0]["item"]["id"]
    item = client.get(f"/api/v1/items/{deck_id}", headers=staff_token).json
    assert item["state"] == "ready" and item["page_count"] == 3 and item["error"] is None
    assert item["original_filename"] == "deck.pdf" and item["size"] == len(deck)
    assert item["speakers"] == "Vincenzo Aguaro" and item["organisation"] == "UN DESA"
    pages = db.session.scalars(select(Page).where(Page.item_id == deck_id).order_by(Page.number))
    assert [p.text.splitlines()[0] for p in pages] == [
        "Opening remarks",
        "Agenda",
        "The digital divide",
    ]
    for number in (1, 2, 3):
        assert current_storage().derived_file(deck_id, f"page-{number:04d}-thumb.webp")
        assert current_storage().derived_file(deck_id, f"page-{number:04d}-preview.jpg")
    result = search('"digital divide"')
    assert [(g.item_id, g.best.page) for g in result.groups] == [(deck_id, 3)]


def test_photo_facts_orientation_and_no_exif_in_thumbnails(client, staff_token, make_jpeg):
    photo = make_jpeg(
        size=(400, 200),
        orientation=6,
        make="Canon",
        model="EOS",
        taken="2023:07:26 09:15:00",
        gps=True,
    ).read_bytes()
    response = upload(client, staff_token, [("IMG_1.jpg", photo)], title="Opening ceremony")
    item = db.session.get(Photo, response.json["files"][0]["item"]["id"])
    assert item.status == "ready"
    assert (item.width, item.height) == (200, 400)  # rotated by EXIF orientation 6
    assert item.camera_make == "Canon" and item.camera_model == "EOS"
    assert item.taken_at.isoformat() == "2023-07-26T09:15:00"
    for name in ("grid.webp", "lightbox.jpg"):
        with Image.open(current_storage().derived_file(item.id, name)) as im:
            assert im.height > im.width
            assert not im.getexif() and "exif" not in im.info


def test_original_is_kept_byte_for_byte(client, staff_token, make_jpeg, login_as):
    """Staff get the original as uploaded (others get it without its GPS position: see
    tests/test_downloads.py)."""
    photo = make_jpeg(gps=True).read_bytes()
    item_id = upload(client, staff_token, [("p.jpg", photo)]).json["files"][0]["item"]["id"]
    login_as("staff", "another-staff")
    response = client.get(f"/items/{item_id}/download")
    assert response.status_code == 200 and response.data == photo
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_same_file_twice_is_reported_as_duplicate(client, staff_token, make_pdf):
    deck = make_pdf(DECK_PAGES).read_bytes()
    first = upload(client, staff_token, [("a.pdf", deck)]).json["files"][0]
    second = upload(client, staff_token, [("copy-of-a.pdf", deck)])
    assert second.status_code == 200
    outcome = second.json["files"][0]
    assert outcome["outcome"] == "duplicate"
    assert outcome["duplicate_of"]["id"] == first["item"]["id"]
    assert "already in the archive as item" in outcome["error"]
    assert outcome["duplicate_of"]["links"]["self"].endswith(f"/api/v1/items/{first['item']['id']}")
    assert db.session.scalar(select(func.count()).select_from(Item)) == 1
    assert len(list(current_storage().iter_originals())) == 1


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("slides.pdf", b"<!DOCTYPE html><html><body>Not a PDF</body></html>", "HTML"),
        ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, "Windows executable"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_content_decides_the_type_not_the_name(client, staff_token, name, content, expected):
    response = upload(client, staff_token, [(name, content)])
    assert response.status_code == 422
    outcome = response.json["files"][0]
    assert outcome["outcome"] == "rejected" and outcome["error_code"] == "unsupported-type"
    assert outcome["error"].startswith(f"{name}: ") and expected in outcome["error"]
    assert db.session.scalar(select(func.count()).select_from(Item)) == 0
    assert list(current_storage().iter_originals()) == []


def test_one_broken_file_never_stops_the_others(client, staff_token, make_pdf, make_jpeg):
    good = make_pdf(DECK_PAGES).read_bytes()
    truncated = good[: len(good) // 3]
    locked = make_pdf([["secret"]], name="locked.pdf", user_password="pw").read_bytes()
    photo = make_jpeg().read_bytes()
    broken_jpeg = photo[:200]
    response = upload(
        client,
        staff_token,
        [
            ("good.pdf", good),
            ("truncated.pdf", truncated),
            ("locked.pdf", locked),
            ("photo.jpg", photo),
            ("broken.jpg", broken_jpeg),
        ],
    )
    by_name = {f["filename"]: f for f in response.json["files"]}
    states = {n: db.session.get(Item, f["item"]["id"]) for n, f in by_name.items()}
    assert states["good.pdf"].status == "ready" and states["photo.jpg"].status == "ready"
    for name, code in (
        ("truncated.pdf", "damaged"),
        ("locked.pdf", "password"),
        ("broken.jpg", "damaged"),
    ):
        item = states[name]
        assert item.status == "failed" and item.error_code == code, (name, item.error)
        assert item.error.startswith(f"{name}: ")
        assert current_storage().derived_file(item.id, "grid.webp") is None
        assert current_storage().derived_file(item.id, "page-0001-thumb.webp") is None
        assert current_storage().has_original(item.sha256)  # kept, for a retry or a download
    assert states["locked.pdf"].pages == [] and "password" in states["locked.pdf"].error
    assert {g.item_id for g in search("secret").groups} == set()


def test_scanned_pdf_is_stored_and_marked_without_text(client, staff_token, make_pdf):
    scan = make_pdf([[], []], name="scan.pdf").read_bytes()
    item_id = upload(client, staff_token, [("scan.pdf", scan)]).json["files"][0]["item"]["id"]
    item = db.session.get(Presentation, item_id)
    assert item.status == "ready" and item.page_count == 2 and item.has_text is False


def test_empty_password_pdf_is_processed(client, staff_token, make_pdf):
    deck = make_pdf([["Encrypted but open"]], name="open.pdf", user_password="").read_bytes()
    item_id = upload(client, staff_token, [("open.pdf", deck)]).json["files"][0]["item"]["id"]
    assert db.session.get(Item, item_id).status == "ready"


def test_file_names_from_the_client_never_become_paths(client, staff_token, make_pdf, login_as):
    deck = make_pdf(DECK_PAGES).read_bytes()
    outcome = upload(client, staff_token, [("../../config.py.pdf", deck)]).json["files"][0]
    item = db.session.get(Item, outcome["item"]["id"])
    assert item.original_filename == "config.py.pdf"
    stored = list(current_storage().originals.rglob("*"))
    assert all(p.name in (item.sha256, item.sha256[:2], item.sha256[2:4]) for p in stored)


def test_cyrillic_file_name_survives_the_download(client, staff_token, make_pdf, login_as):
    deck = make_pdf(DECK_PAGES).read_bytes()
    name = "Электронное_правительство.pdf"
    item_id = upload(client, staff_token, [(name, deck)]).json["files"][0]["item"]["id"]
    login_as("researcher")
    disposition = client.get(f"/items/{item_id}/download").headers["Content-Disposition"]
    assert "filename*=UTF-8''%D0%AD%D0%BB%D0%B5%D0%BA" in disposition


def test_upload_fields_are_validated(client, staff_token, make_pdf):
    deck = make_pdf(DECK_PAGES).read_bytes()
    response = upload(client, staff_token, [("a.pdf", deck)], visibility="public")
    assert response.status_code == 400 and "visibility" in response.json["error"]
    assert upload(client, staff_token, []).status_code == 400


def test_staff_only_visibility_hides_from_researchers(client, staff_token, make_pdf):
    deck = make_pdf([["zebrafinch migration"]]).read_bytes()
    upload(client, staff_token, [("s.pdf", deck)], visibility="staff")
    assert search("zebrafinch").total_hits == 1
    assert search("zebrafinch", AccessScope(include_staff_only=False)).total_hits == 0


@pytest.mark.parametrize("role", ["researcher", "partner"])
def test_only_staff_and_admins_upload(client, make_event, make_user, role, make_pdf):
    event = make_event("baku-2023")
    user = make_user("u1", role, "UNDP" if role == "partner" else None)
    accounts.add_grant(event, accounts.find_or_create_organisation("UNDP"))
    _, secret = accounts.issue_token(user, "t")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    response = upload(client, headers, [("a.pdf", make_pdf(DECK_PAGES).read_bytes())])
    assert response.status_code == 404  # as if the event did not exist: not theirs to change
    assert db.session.scalar(select(func.count()).select_from(Item)) == 0


def test_list_items_shows_states_and_only_visible_items(client, staff_token, make_pdf, make_user):
    upload(client, staff_token, [("a.pdf", make_pdf(DECK_PAGES).read_bytes())])
    upload(
        client,
        staff_token,
        [("b.pdf", make_pdf([["x"]], name="b.pdf").read_bytes())],
        visibility="staff",
    )
    listing = client.get("/api/v1/events/baku-2023/items", headers=staff_token).json
    assert [(i["original_filename"], i["state"]) for i in listing["items"]] == [
        ("a.pdf", "ready"),
        ("b.pdf", "ready"),
    ]
    researcher = make_user("rob", "researcher")
    _, secret = accounts.issue_token(researcher, "t")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    visible = client.get("/api/v1/events/baku-2023/items", headers=headers).json["items"]
    assert [i["original_filename"] for i in visible] == ["a.pdf"]
    hidden_id = listing["items"][1]["id"]
    assert client.get(f"/api/v1/items/{hidden_id}", headers=headers).status_code == 404


def test_upload_over_the_size_limit_answers_413(tmp_path):
    app = make_app(tmp_path, MAX_UPLOAD_MB=1)
    client = app.test_client()
    with app.app_context():
        from archive.catalogue import EventDetails, create_event

        create_event("baku-2023", EventDetails(title="Baku"))
        user = accounts.create_user("sam", "long enough pw", "staff")
        _, secret = accounts.issue_token(user, "t")
        db.session.commit()
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)
    # Encoded here so the test client keeps the body in memory (a large dict body would be
    # spooled to a temporary file that nobody closes when the request is refused).
    boundary, body = encode_multipart({"files": FileStorage(io.BytesIO(big), "big.pdf")})
    response = client.post(
        "/api/v1/events/baku-2023/items",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 413
    assert "larger than the limit of 1 MB" in response.json["error"]


def test_session_uploads_need_the_csrf_token(tmp_path, make_pdf):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        from archive.catalogue import EventDetails, create_event

        create_event("baku-2023", EventDetails(title="Baku"))
        accounts.create_user("sam", "long enough pw", "staff")
        db.session.commit()
    token = csrf_token_from(client.get("/login").data)
    client.post(
        "/login", data={"username": "sam", "password": "long enough pw", "csrf_token": token}
    )
    deck = make_pdf(DECK_PAGES).read_bytes()
    assert upload(client, {}, [("a.pdf", deck)]).status_code == 400
    page_token = csrf_token_from(client.get("/").data)
    response = upload(client, {"X-CSRFToken": page_token}, [("a.pdf", deck)])
    assert response.status_code == 202


def test_uploads_are_audited(client, staff_token, make_pdf):
    from archive.models import AuditEntry

    upload(
        client, staff_token, [("a.pdf", make_pdf(DECK_PAGES).read_bytes()), ("x.pdf", b"<html>")]
    )
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "item.upload")).all()
    assert [(e.actor_name, e.summary, e.target_type) for e in entries] == [
        ("stella", "a.pdf", "presentation")
    ]
