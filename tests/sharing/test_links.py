"""Share links: creation from the pages, the page a link opens, expiry, revocation, password,
download limit, the audit trail, and what happens when the items change."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select, text

from archive import materials, pipeline
from archive.extensions import db
from archive.models import AuditEntry, Item, Organisation, ShareLink
from archive.models.common import utcnow
from archive.services import current_storage
from tests.sharing.conftest import UNKNOWN_TOKEN, make_link, sign_in, token_in
from tests.support.items import new_version

ADDRESS = {"REMOTE_ADDR": "198.51.100.7"}


def gone(client, token: str = UNKNOWN_TOKEN) -> bytes:
    response = client.get(f"/s/{token}")
    assert response.status_code == 404
    return response.data


def form_token(html: str) -> str:
    return html.split('name="form_token" value="')[1].split('"')[0]


def audit_trail(action_prefix: str = "share.") -> list[tuple[str, str | None, str]]:
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.ip, AuditEntry.summary)
        .where(AuditEntry.action.startswith(action_prefix))
        .order_by(AuditEntry.id)
    )
    return [tuple(row) for row in rows]


def test_staff_share_a_selection_and_see_the_link_once(client, world, app):
    sign_in(client, "sam")
    slug = world.granted_deck.event.slug
    chosen = world.ids("granted_deck", "granted_photo")
    picked = client.post(
        f"/events/{slug}/items/bulk", data={"action": "share", "items": [str(i) for i in chosen]}
    )
    assert picked.status_code == 302 and "/shares/new?items=" in picked.headers["Location"]
    form = client.get(picked.headers["Location"]).get_data(as_text=True)
    assert "Digital divide" in form and "Group photo" in form
    expires = (utcnow().date() + timedelta(days=10)).isoformat()
    created = client.post(
        "/shares/",
        data={"items": chosen, "recipient": "Journalist, Baku Post", "expires_on": expires},
    )
    assert created.status_code == 201
    token = token_in(created.get_data(as_text=True))
    link = db.session.scalar(select(ShareLink))
    assert link.selector == token[:16] and token[16:] not in link.verifier_hash
    assert [i.id for i in link.items] == sorted(chosen)
    stored = db.session.execute(text("SELECT * FROM share_links")).one()
    assert not any(token[16:] in str(value) for value in stored)  # the secret: nowhere
    assert audit_trail("share.create")[0][2].startswith("for Journalist, Baku Post")
    assert client.get("/shares/new?items=1").status_code == 200


def test_a_link_opens_only_its_items_without_an_account(app, world, link):
    client = app.test_client()
    page = client.get(f"/s/{link}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert "Materials shared with Nodira" in html and "Digital divide" in html
    assert "Group photo" in html and "Shared by sam" in html
    assert "Budgets" not in html and "Internal" not in html
    for forbidden in ('href="/search', 'href="/events', 'href="/admin', "Sign out", "csrf"):
        assert forbidden not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page.headers["X-Robots-Tag"]
    deck = world.granted_deck.id
    viewer = client.get(f"/s/{link}/items/{deck}?page=1").get_data(as_text=True)
    assert "Digital divide persists" in viewer and "Page 1 of 2" in viewer
    image = client.get(f"/s/{link}/items/{deck}/pages/1/thumb")
    assert image.status_code == 200 and image.mimetype == "image/webp"
    grid = client.get(f"/s/{link}/items/{world.granted_photo.id}/photo/grid")
    assert grid.status_code == 200


def test_a_photo_through_a_link_carries_no_position(app, world, link):
    client = app.test_client()
    data = client.get(f"/s/{link}/items/{world.granted_photo.id}/download").data
    with current_storage().open_original(world.granted_photo.sha256) as fh:
        original = fh.read()
    assert len(data) == len(original) and data != original
    with Image.open(io.BytesIO(original)) as im:
        assert 2 in im.getexif().get_ifd(0x8825)
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        assert 2 not in exif.get_ifd(0x8825) and 4 not in exif.get_ifd(0x8825)
        assert exif[0x010F] == "Canon"


def test_the_zip_of_a_link_holds_its_files_and_an_index(app, world, link):
    response = app.test_client().get(f"/s/{link}/download.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert names == ["index.html", "index.csv", "baku-2023/divide.pdf", "baku-2023/group.jpg"]
        with Image.open(io.BytesIO(archive.read("baku-2023/group.jpg"))) as im:
            assert 2 not in im.getexif().get_ifd(0x8825)
        assert "Digital divide" in archive.read("index.csv").decode("utf-8-sig")


@pytest.mark.parametrize("why", ["revoked", "expired", "used up", "owner deactivated"])
def test_a_dead_link_answers_exactly_like_one_that_never_existed(app, world, link, why):
    client = app.test_client()
    never = gone(client)
    item_url = f"/s/{link}/items/{world.granted_deck.id}"
    assert client.get(item_url).status_code == 200
    row = db.session.scalar(select(ShareLink))
    if why == "revoked":
        row.revoked_at = utcnow()
    elif why == "expired":
        row.expires_at = utcnow() - timedelta(seconds=1)
    elif why == "used up":
        row.max_downloads, row.downloads = 3, 3
    else:
        row.owner.active = False
    db.session.commit()
    assert gone(client, link) == never
    for path in (f"/items/{world.granted_deck.id}", "/download.zip"):
        response = client.get(f"/s/{link}{path}")
        assert (response.status_code, response.data) == (404, never)


def test_a_password_protects_the_items_until_it_is_given(app, world):
    token = make_link(world.staff, world.ids("granted_deck"), password="tulip-meadow")
    client = app.test_client()
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert "protected by a password" in page and "Digital divide" not in page
    assert client.get(f"/s/{token}/items/{world.granted_deck.id}").status_code == 404
    wrong = client.post(f"/s/{token}", data={"password": "nope", "form_token": form_token(page)})
    assert wrong.status_code == 401 and b"not the password" in wrong.data
    forged = app.test_client().post(f"/s/{token}", data={"password": "tulip-meadow"})
    assert forged.status_code == 400  # no form cookie: a cross-site post
    again = form_token(wrong.get_data(as_text=True))  # each form carries a fresh token
    right = client.post(f"/s/{token}", data={"password": "tulip-meadow", "form_token": again})
    assert right.status_code == 302
    cookie = client.get_cookie("share_unlock", path=f"/s/{token}")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    assert b"Digital divide" in client.get(f"/s/{token}").data
    assert client.get(f"/s/{token}/items/{world.granted_deck.id}").status_code == 200
    other = make_link(world.staff, world.ids("granted_deck"), password="another-secret")
    assert b"protected by a password" in client.get(f"/s/{other}").data
    actions = [a for a, _, _ in audit_trail()]
    assert actions.count("share.password_failed") == 1 and "share.unlock" in actions


def test_the_download_limit_counts_files_and_zips(app, world):
    token = make_link(world.staff, world.ids("granted_deck", "granted_photo"), max_downloads=2)
    client = app.test_client()
    assert b"2 downloads left" in client.get(f"/s/{token}").data
    assert client.get(f"/s/{token}/items/{world.granted_deck.id}/download").status_code == 200
    assert b"1 download left" in client.get(f"/s/{token}").data
    assert client.get(f"/s/{token}/download.zip").status_code == 200
    assert gone(client, token) == gone(client)
    assert db.session.scalar(select(ShareLink.downloads)) == 2


def test_every_visit_and_download_is_audited_with_the_address(app, world, link):
    client = app.test_client()
    client.get(f"/s/{link}", environ_base=ADDRESS)
    client.get(f"/s/{link}/items/{world.granted_deck.id}", environ_base=ADDRESS)
    client.get(f"/s/{link}/items/{world.granted_deck.id}/download", environ_base=ADDRESS)
    client.get(f"/s/{link}/download.zip", environ_base=ADDRESS)
    trail = audit_trail()
    assert [a for a, _, _ in trail] == [
        "share.visit",
        "share.view",
        "share.download",
        "share.download_zip",
    ]
    assert {ip for _, ip, _ in trail} == {"198.51.100.7"}
    assert "divide.pdf" in trail[2][2] and trail[2][2].startswith("for Nodira")
    visit = select(AuditEntry.actor_name).where(AuditEntry.action == "share.visit")
    actor = db.session.scalar(visit)
    assert actor.startswith("link ") and "Nodira" in actor
    row = db.session.scalar(select(ShareLink))
    assert (row.visits, row.downloads) == (1, 2) and row.last_used_at is not None


def test_a_link_follows_new_versions_and_drops_deleted_or_staff_only_items(
    app, world, link, make_pdf
):
    client = app.test_client()
    deck, photo = world.granted_deck, world.granted_photo
    version = new_version(deck, make_pdf([["Corrected slides"]], "v2.pdf"), "v2.pdf")
    pipeline.process_version(version.id, "test")
    viewer = client.get(f"/s/{link}/items/{deck.id}").get_data(as_text=True)
    assert "Corrected slides" in viewer and "1 page" in viewer
    download = client.get(f"/s/{link}/items/{deck.id}/download")
    assert download.headers["Content-Disposition"].endswith("v2.pdf")

    db.session.get(Item, photo.id).visibility = "staff"
    db.session.commit()
    assert b"Group photo" not in client.get(f"/s/{link}").data
    assert client.get(f"/s/{link}/items/{photo.id}/photo/grid").status_code == 404
    removed = materials.delete_items([db.session.get(Item, deck.id)])
    db.session.commit()
    materials.purge(removed)
    page = client.get(f"/s/{link}").get_data(as_text=True)
    assert "Nothing is shared through this link any more" in page
    rows = db.session.execute(text("SELECT item_id FROM share_link_items")).scalars().all()
    assert rows == [photo.id]  # the deleted deck left the link; the hidden photo is only hidden


def test_the_owner_sees_use_counts_and_revokes_at_once(app, client, world, link, make_user):
    app.test_client().get(f"/s/{link}")
    sign_in(client, "sam")
    listing = client.get("/shares/").get_data(as_text=True)
    assert 'data-state="active"' in listing and '<td class="visits">1</td>' in listing
    other_staff = app.test_client()
    make_user("kim", "staff")
    sign_in(other_staff, "kim")
    link_id = db.session.scalar(select(ShareLink.id))
    assert other_staff.post(f"/shares/{link_id}/revoke").status_code == 404
    assert "Nodira" not in other_staff.get("/shares/").get_data(as_text=True)
    assert client.post(f"/shares/{link_id}/revoke").status_code == 302
    assert gone(app.test_client(), link) == gone(app.test_client())
    assert 'data-state="revoked"' in client.get("/shares/").get_data(as_text=True)
    assert [a for a, _, _ in audit_trail("share.revoke")] == ["share.revoke"]
    make_user("ada", "admin")
    admin = app.test_client()
    sign_in(admin, "ada")
    assert "Nodira" in admin.get("/shares/").get_data(as_text=True)


def test_partners_share_only_what_they_see_and_only_when_allowed(app, client, world, make_user):
    sign_in(client, "pat")
    assert client.get("/shares/").status_code == 403
    event_page = client.get("/events/baku-2023").get_data(as_text=True)
    assert "share-select-form" not in event_page
    admin = app.test_client()
    make_user("ada", "admin")
    sign_in(admin, "ada")
    org = db.session.scalar(select(Organisation).where(Organisation.name == "UNDP"))
    allowed = admin.post(f"/admin/organisations/{org.id}/sharing", data={"may_share": "y"})
    assert allowed.status_code == 302
    assert "share-select-form" in client.get("/events/baku-2023").get_data(as_text=True)
    expires = (utcnow().date() + timedelta(days=5)).isoformat()
    refused = client.post(
        "/shares/",
        data={"items": world.ids("granted_deck"), "recipient": "x", "expires_on": expires},
    )
    assert refused.status_code == 201  # a granted item: fine
    token = token_in(refused.get_data(as_text=True))
    for hidden in ("other_deck", "staff_only_deck"):
        response = client.post(
            "/shares/",
            data={"items": world.ids(hidden), "recipient": "x", "expires_on": expires},
        )
        assert response.status_code == 400, hidden
    assert app.test_client().get(f"/s/{token}").status_code == 200
    admin.post(f"/admin/organisations/{org.id}/sharing", data={})  # withdrawn
    assert gone(app.test_client(), token) == gone(app.test_client())
    assert "organisation.sharing" in [a for a, _, _ in audit_trail("organisation.")]


def test_researchers_cannot_share(client, world, make_user):
    make_user("rita", "researcher")
    sign_in(client, "rita")
    assert client.get("/shares/new").status_code == 403
    assert "Share selected" not in client.get("/search/?q=divide").get_data(as_text=True)


def test_the_expiry_is_bounded_and_the_form_explains(client, world):
    sign_in(client, "sam")
    too_late = (utcnow().date() + timedelta(days=91)).isoformat()
    response = client.post(
        "/shares/",
        data={"items": world.ids("granted_deck"), "recipient": "x", "expires_on": too_late},
    )
    assert response.status_code == 400 and b"A link lasts at most 90 days" in response.data
    page = client.get(f"/shares/new?items={world.granted_deck.id}").get_data(as_text=True)
    default = (utcnow().date() + timedelta(days=30)).isoformat()
    assert f'value="{default}"' in page


def test_search_results_offer_sharing_to_staff(client, world):
    sign_in(client, "sam")
    html = client.get("/search/?q=divide").get_data(as_text=True)
    assert 'form="share-select-form"' in html and f'value="{world.granted_deck.id}"' in html


def test_a_head_request_counts_neither_a_visit_nor_a_download(app, world):
    """Link previews and mail scanners send HEAD: the allowance is for the recipient."""
    token = make_link(world.staff, world.ids("granted_deck"), max_downloads=1)
    client = app.test_client()
    assert client.head(f"/s/{token}").status_code == 200
    assert client.head(f"/s/{token}/items/{world.granted_deck.id}/download").status_code == 200
    assert client.head(f"/s/{token}/download.zip").status_code == 200
    row = db.session.scalar(select(ShareLink))
    assert (row.visits, row.downloads) == (0, 0) and audit_trail() == []
    assert client.get(f"/s/{token}/items/{world.granted_deck.id}/download").status_code == 200
    assert gone(client, token) == gone(client)
