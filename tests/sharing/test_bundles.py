"""Partner bundles: decks and photos across granted events as one streamed ZIP with an
index; photos without their GPS position; nothing the partner cannot see."""

from __future__ import annotations

import csv
import io
import zipfile

from PIL import Image
from sqlalchemy import select

from archive import accounts
from archive.extensions import db
from archive.models import AuditEntry, Item, Organisation
from archive.services import current_storage
from tests.sharing.conftest import sign_in


def original(item: Item) -> bytes:
    with current_storage().open_original(item.sha256) as fh:
        return fh.read()


def test_a_partner_bundles_items_across_granted_events(client, world):
    sign_in(client, "pat")
    page = client.get("/bundles/").get_data(as_text=True)
    assert "Digital divide" in page and "Budgets" in page
    assert "Elsewhere" not in page and "Internal" not in page
    chosen = world.ids("granted_deck", "granted_photo", "second_deck")
    response = client.post("/bundles/", data={"items": chosen}, buffered=False)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    # Streamed while it is written: no length is known, the body is a generator.
    assert response.is_streamed and "Content-Length" not in response.headers
    first = next(iter(response.response))
    assert first.startswith(b"PK\x03\x04")  # the first member's header, before the rest
    response.data = first + b"".join(response.response)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="undp-bundle-')
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == [
            "almaty-2024/budgets.pdf",
            "baku-2023/divide.pdf",
            "baku-2023/group.jpg",
            "index.csv",
            "index.html",
        ]
        assert archive.read("baku-2023/divide.pdf") == original(world.granted_deck)
        with Image.open(io.BytesIO(archive.read("baku-2023/group.jpg"))) as im:
            gps = im.getexif().get_ifd(0x8825)
            assert 2 not in gps and 4 not in gps
        rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
        html = archive.read("index.html").decode()
    divide = next(row for row in rows if row["title"] == "Digital divide")
    assert divide["speakers"] == "A. Aliyev" and divide["event"] == "e-Government workshop"
    assert divide["file"] == "baku-2023/divide.pdf" and divide["pages"] == "2"
    assert "Prepared for UNDP" in html and 'href="baku-2023/group.jpg"' in html
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bundle.download"))
    assert entry.actor_name == "pat" and "3 file(s) for UNDP" in entry.summary


def test_items_the_partner_cannot_see_are_refused(client, world):
    sign_in(client, "pat")
    for hidden in ("other_deck", "staff_only_deck"):
        response = client.post("/bundles/", data={"items": world.ids("granted_deck", hidden)})
        assert response.status_code == 400 and response.mimetype == "text/html", hidden
        assert b"no longer available" in response.data


def test_staff_build_a_bundle_for_a_partner_organisation(client, world):
    sign_in(client, "sam")
    assert b"Choose an organisation" in client.get("/bundles/").data
    undp = db.session.scalar(select(Organisation).where(Organisation.name == "UNDP"))
    page = client.get(f"/bundles/?org={undp.id}").get_data(as_text=True)
    assert "Digital divide" in page and "Internal" not in page and "Elsewhere" not in page
    refused = client.post("/bundles/", data={"org": undp.id, "items": world.ids("other_deck")})
    assert refused.status_code == 400
    response = client.post("/bundles/", data={"org": undp.id, "items": world.ids("second_deck")})
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert "almaty-2024/budgets.pdf" in archive.namelist()
    assert client.get("/bundles/?org=999999").status_code == 404


def test_the_index_neutralises_spreadsheet_formulas(client, world):
    deck = db.session.get(Item, world.granted_deck.id)
    deck.title = '=HYPERLINK("http://evil.example","click")'
    db.session.commit()
    sign_in(client, "pat")
    response = client.post("/bundles/", data={"items": world.ids("granted_deck")})
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        text = archive.read("index.csv").decode("utf-8-sig")
        html = archive.read("index.html").decode()
    assert "'=HYPERLINK" in text
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in html or "&#34;" in html


def test_a_bundle_has_a_size_limit(app, client, world):
    app.config["BUNDLE_MAX_ITEMS"] = 1
    sign_in(client, "pat")
    response = client.post("/bundles/", data={"items": world.ids("granted_deck", "second_deck")})
    assert response.status_code == 400 and b"at most 1 items" in response.data


def test_researchers_have_no_bundles(client, world, make_user):
    make_user("rita", "researcher")
    sign_in(client, "rita")
    assert client.get("/bundles/").status_code == 403
    assert client.post("/bundles/", data={"items": world.ids("granted_deck")}).status_code == 403


def test_an_organisation_named_in_cyrillic_gets_an_ascii_file_name(client, world):
    org = accounts.find_or_create_organisation("Программа развития ООН")
    accounts.add_grant(world.granted_deck.event, org)
    db.session.commit()
    sign_in(client, "sam")
    response = client.post("/bundles/", data={"org": org.id, "items": world.ids("granted_deck")})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="partner-')
