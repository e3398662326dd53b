"""Administration pages: accounts, organisations and grants, audit log, storage summary."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from archive import accounts, audit
from archive.extensions import db
from archive.models import AuditEntry, Organisation, User
from archive.web.filters import filesize
from tests.conftest import PASSWORD, Auth, csrf_token_from, make_app

NEW_PASSWORD = "a fresh long password"


@pytest.fixture
def admin(login_as):
    return login_as("admin", "ada")


def signed_in_client(app, username: str, password: str = PASSWORD):
    """A second browser, signed in as someone else."""
    other = app.test_client()
    assert Auth(other).login(username, password).status_code == 302
    return other


def entries(action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def new_user_form(**fields) -> dict:
    form = {
        "username": "olga",
        "display_name": "Olga Ivanova",
        "role": "partner",
        "organisation": "",
        "new_organisation": "OECD",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    return form | fields


def edit_form(user: User, **fields) -> dict:
    org = user.organisation.name if user.organisation else ""
    return {"display_name": user.display_name, "role": user.role, "organisation": org} | fields


# accounts


def test_admin_creates_partner_of_new_organisation_who_can_sign_in(app, client, admin):
    response = client.post("/admin/users/new", data=new_user_form())
    assert response.status_code == 302
    olga = accounts.find_user("olga")
    assert response.headers["Location"] == f"/admin/users/{olga.id}"
    assert (olga.role, olga.organisation.name, olga.display_name) == (
        "partner",
        "OECD",
        "Olga Ivanova",
    )
    [entry] = entries("user.create")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "user", olga.id)
    assert "OECD" in entry.summary
    assert b"Account olga created" in client.get(response.headers["Location"]).data
    assert Auth(app.test_client()).login("olga", NEW_PASSWORD).status_code == 302


def test_new_account_can_join_an_existing_organisation(client, admin):
    accounts.find_or_create_organisation("UNDP")
    db.session.commit()
    form = new_user_form(organisation="UNDP", new_organisation="")
    assert client.post("/admin/users/new", data=form).status_code == 302
    assert accounts.find_user("olga").organisation.name == "UNDP"
    assert db.session.scalar(select(db.func.count()).select_from(Organisation)) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"confirm": "something else entirely"}, b"The passwords differ."),
        ({"password": "short", "confirm": "short"}, b"at least 10 characters"),
        ({"new_organisation": ""}, b"A partner account needs an organisation."),
        ({"organisation": "UNDP"}, b"not both"),
        ({"username": "bad name!"}, b"User names are 2-80 letters"),
        ({"username": "ada"}, b"already exists"),
    ],
)
def test_invalid_new_account_is_refused(client, admin, fields, message):
    accounts.find_or_create_organisation("UNDP")
    db.session.commit()
    response = client.post("/admin/users/new", data=new_user_form(**fields))
    assert response.status_code == 400
    assert message in response.data
    assert accounts.find_user("olga") is None


def test_user_list_filters_by_role_and_text(client, admin, make_user):
    make_user("rita", "researcher", display_name="Rita Levi")
    make_user("paul", "partner", "Danish Ministry")
    make_user("sam", "staff")
    page = client.get("/admin/users/").data.decode()
    assert all(name in page for name in ("ada", "rita", "paul", "sam"))
    assert "Not a valid choice" not in page
    by_role = client.get("/admin/users/?role=partner").data.decode()
    assert "paul" in by_role and "rita" not in by_role and "sam" not in by_role
    by_text = client.get("/admin/users/?q=levi").data.decode()
    assert "rita" in by_text and "paul" not in by_text
    by_org = client.get("/admin/users/?q=danish").data.decode()
    assert "paul" in by_org and "rita" not in by_org
    assert "No account matches" in client.get("/admin/users/?q=%25").data.decode()


def test_role_change_ends_the_users_sessions(app, client, admin, make_user):
    rita = make_user("rita", "researcher")
    rita_browser = signed_in_client(app, "rita")
    response = client.post(f"/admin/users/{rita.id}", data=edit_form(rita, role="staff"))
    assert response.status_code == 302
    assert db.session.get(User, rita.id).role == "staff"
    assert rita_browser.get("/").status_code == 302  # signed out
    [entry] = entries("user.role")
    assert entry.actor_id == admin.id and entry.target_id == rita.id
    assert "role researcher -> staff" in entry.summary


def test_display_name_change_keeps_sessions(app, client, admin, make_user):
    rita = make_user("rita", "researcher")
    rita_browser = signed_in_client(app, "rita")
    form = edit_form(rita, display_name="Dr Rita Levi")
    assert client.post(f"/admin/users/{rita.id}", data=form).status_code == 302
    assert db.session.get(User, rita.id).display_name == "Dr Rita Levi"
    assert rita_browser.get("/").status_code == 200
    assert entries("user.update")[0].summary == "display name 'Dr Rita Levi'"


def test_moving_a_partner_to_another_organisation(app, client, admin, make_user, make_event):
    event = make_event()
    accounts.add_grant(event, accounts.find_or_create_organisation("UNDP"))
    paul = make_user("paul", "partner", "UNDP")
    db.session.commit()
    paul_browser = signed_in_client(app, "paul")
    assert paul_browser.get(f"/events/{event.slug}").status_code == 200
    form = edit_form(paul, organisation="", new_organisation="OECD")
    assert client.post(f"/admin/users/{paul.id}", data=form).status_code == 302
    assert db.session.get(User, paul.id).organisation.name == "OECD"
    paul_browser = signed_in_client(app, "paul")
    assert paul_browser.get(f"/events/{event.slug}").status_code == 404


def test_deactivation_blocks_sign_in_until_reactivated(app, client, admin, make_user):
    rita = make_user("rita", "researcher")
    rita_browser = signed_in_client(app, "rita")
    page = client.get(f"/admin/users/{rita.id}").data.decode()
    assert "<details" in page and f"/admin/users/{rita.id}/deactivate" in page
    assert client.post(f"/admin/users/{rita.id}/deactivate").status_code == 302
    assert rita_browser.get("/").status_code == 302
    assert Auth(app.test_client()).login("rita").status_code == 401
    assert entries("user.deactivate")[0].target_id == rita.id
    assert client.post(f"/admin/users/{rita.id}/reactivate").status_code == 302
    assert Auth(app.test_client()).login("rita").status_code == 302
    assert entries("user.activate")[0].actor_id == admin.id


def test_admin_cannot_deactivate_or_demote_themselves(client, admin):
    response = client.post(f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 400
    assert b"You cannot deactivate your own account" in response.data
    response = client.post(f"/admin/users/{admin.id}", data=edit_form(admin, role="researcher"))
    assert response.status_code == 400
    assert b"You cannot change your own role" in response.data
    me = db.session.get(User, admin.id)
    assert me.active and me.role == "admin"
    assert client.get("/admin/").status_code == 200  # still signed in and still admin
    assert entries("user.deactivate") == [] and entries("user.role") == []


def test_admin_resets_a_password_and_the_users_sessions_end(app, client, admin, make_user):
    rita = make_user("rita", "researcher")
    rita_browser = signed_in_client(app, "rita")
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(f"/admin/users/{rita.id}/password", data=data).status_code == 302
    assert rita_browser.get("/").status_code == 302
    assert Auth(app.test_client()).login("rita").status_code == 401
    assert Auth(app.test_client()).login("rita", NEW_PASSWORD).status_code == 302
    [entry] = entries("user.password")
    assert NEW_PASSWORD not in entry.summary


def test_password_reset_needs_matching_long_passwords_and_not_ones_own(client, admin, make_user):
    rita = make_user("rita", "researcher")
    mismatch = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"}
    response = client.post(f"/admin/users/{rita.id}/password", data=mismatch)
    assert response.status_code == 400 and b"The passwords differ." in response.data
    own = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post(f"/admin/users/{admin.id}/password", data=own)
    assert response.status_code == 400 and b"your profile page" in response.data
    assert db.session.get(User, rita.id).check_password(PASSWORD)
    assert db.session.get(User, admin.id).check_password(PASSWORD)


@pytest.mark.parametrize("role", ["staff", "researcher", "partner"])
def test_non_admins_cannot_change_accounts(client, login_as, make_user, role):
    login_as(role)
    rita = make_user("rita", "researcher")
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.get("/admin/").status_code == 403
    assert client.get(f"/admin/users/{rita.id}").status_code == 403
    assert client.post(f"/admin/users/{rita.id}/deactivate").status_code == 403
    assert client.post(f"/admin/users/{rita.id}/password", data=data).status_code == 403
    assert client.post(f"/admin/users/{rita.id}", data={"role": "admin"}).status_code == 403
    assert client.post("/admin/users/new", data=new_user_form()).status_code == 403
    rita = db.session.get(User, rita.id)
    assert rita.active and rita.role == "researcher" and rita.check_password(PASSWORD)
    assert accounts.find_user("olga") is None
    assert b"/admin/" not in client.get("/").data  # no Admin link either


def test_admins_see_the_admin_link(client, admin):
    assert b'href="/admin/"' in client.get("/").data


# organisations and grants


@pytest.fixture
def queue_calls(app):
    """Stands in for the task queue the lead wires in; records reindex requests."""
    calls = []
    app.extensions["archive.queue"] = {"tasks": {"reindex_event": calls.append}}
    yield calls
    del app.extensions["archive.queue"]


def test_grant_then_revoke_decides_what_partners_see(
    app, client, admin, make_user, make_event, queue_calls
):
    event = make_event("baku-2023", "e-Government in Baku")
    assert client.post("/admin/organisations/", data={"name": "OECD"}).status_code == 302
    oecd = accounts.find_organisation("OECD")
    make_user("paul", "partner", "OECD")
    paul = signed_in_client(app, "paul")
    assert paul.get("/events/baku-2023").status_code == 404

    response = client.post(f"/admin/organisations/{oecd.id}/grants", data={"event": "baku-2023"})
    assert response.status_code == 302
    assert paul.get("/events/baku-2023").status_code == 200
    assert queue_calls == [event.id]
    page = client.get(f"/admin/organisations/{oecd.id}").data.decode()
    assert "e-Government in Baku" in page and "Revoke" in page
    assert "OECD" in client.get("/admin/events/baku-2023").data.decode()

    url = f"/admin/organisations/{oecd.id}/events/baku-2023/revoke"
    response = client.post(url, data={"back": "event"})
    assert response.headers["Location"] == "/admin/events/baku-2023"
    assert paul.get("/events/baku-2023").status_code == 404
    assert queue_calls == [event.id, event.id]
    actions = [(e.action, e.actor_id, e.target_type, e.target_id) for e in entries("grant.add")]
    assert actions == [("grant.add", admin.id, "event", event.id)]
    assert entries("grant.remove")[0].summary == "baku-2023 -x- OECD"
    assert entries("organisation.create")[0].summary == "OECD"


def test_grant_from_the_event_page(client, admin, make_event):
    event = make_event()
    oecd = accounts.find_or_create_organisation("OECD")
    db.session.commit()
    page = client.get(f"/admin/events/{event.slug}").data.decode()
    assert "No organisation is granted" in page and f'value="{oecd.id}"' in page
    data = {"organisation": str(oecd.id)}
    response = client.post(f"/admin/events/{event.slug}/grants", data=data)
    assert response.headers["Location"] == f"/admin/events/{event.slug}"
    assert db.session.get(type(event), event.id).granted_org_ids == (oecd.id,)
    again = client.post(f"/admin/events/{event.slug}/grants", data=data, follow_redirects=True)
    assert b"OECD already saw" in again.data
    assert len(entries("grant.add")) == 1


def test_grant_changes_work_without_a_queue(client, admin, make_event):
    event = make_event()
    oecd = accounts.find_or_create_organisation("OECD")
    db.session.commit()
    response = client.post(f"/admin/organisations/{oecd.id}/grants", data={"event": event.slug})
    assert response.status_code == 302


def test_organisations_list_members_and_granted_events(client, admin, make_user, make_event):
    granted = make_event("granted-event", "Granted event")
    make_event("other-event", "Other event")
    accounts.add_grant(granted, accounts.find_or_create_organisation("UNDP"))
    accounts.find_or_create_organisation("Empty Org")
    make_user("p1", "partner", "UNDP")
    make_user("p2", "partner", "UNDP")
    page = client.get("/admin/organisations/").data.decode()
    rows = dict(re.findall(r">([^<>]+)</a></th>\s*<td[^>]*>(\d+)</td>", page))
    assert rows == {"UNDP": "2", "Empty Org": "0"}
    assert "Granted event" in page and "Other event" not in page


def test_duplicate_organisation_is_refused(client, admin):
    accounts.find_or_create_organisation("UNDP")
    db.session.commit()
    response = client.post("/admin/organisations/", data={"name": "undp"})
    assert response.status_code == 400
    assert b"already exists" in response.data


# audit log


def add_entries(n: int, action: str, actor=None, target=None, at: datetime | None = None):
    for i in range(n):
        entry = audit.record(actor, action, target, summary=f"{action} {i}")
        if at:
            entry.at = at
    db.session.commit()


def audit_rows(html: bytes) -> int:
    table = html.decode().split("<tbody>")[1].split("</tbody>")[0] if b"<tbody>" in html else ""
    return table.count("<tr>")


def test_audit_log_is_paginated_newest_first(client, admin):
    add_entries(120, "test.bulk")
    first = client.get("/admin/audit/").data
    assert audit_rows(first) == 50
    assert b"test.bulk 119" in first and b"test.bulk 69" not in first
    assert b"page 1 of 3" in first
    assert audit_rows(client.get("/admin/audit/?page=3").data) == 21  # + the admin's login


def test_audit_filters_narrow_the_results(client, admin, make_user, make_event):
    rita = make_user("rita", "researcher")
    event = make_event()
    add_entries(3, "event.update", rita, event, at=datetime(2024, 3, 10, 12))
    add_entries(2, "user.role", admin, rita, at=datetime(2024, 5, 1, 9))
    page = client.get("/admin/audit/").data.decode()
    assert '<option value="event.update">' in page and '<option value="event">' in page
    assert "Not a valid choice" not in page  # no filter is not an invalid filter

    def count(query: str) -> int:
        return audit_rows(client.get(f"/admin/audit/?{query}").data)

    assert count("action=event.update") == 3
    assert count("actor=rit") == 3
    assert count("target_type=user") == 2 + 1  # and the admin's own login
    assert count("date_from=2024-03-10&date_to=2024-03-10") == 3
    assert count("date_from=2024-03-11&date_to=2024-12-31") == 2
    assert count("action=user.role&actor=rita") == 0
    response = client.get("/admin/audit/?action=user.role&page=2")
    assert b"No entries match" in response.data  # past the last page: empty, not an error


def test_audit_pagination_keeps_filters(client, admin):
    add_entries(60, "test.bulk")
    page = client.get("/admin/audit/?action=test.bulk").data.decode()
    assert re.search(r'href="/admin/audit/\?(?=[^"]*page=2)(?=[^"]*action=test.bulk)', page)


# storage summary


def dd(html: str, label: str) -> str:
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", html)
    assert match, label
    return match.group(1)


def test_storage_summary_counts_match_the_archive(
    app, client, admin, make_event, make_presentation, make_photo
):
    from archive import services

    baku, oslo = make_event("baku-2023"), make_event("oslo-2022", "Oslo")
    make_presentation(baku, pages=("one", "two", "three"), size=2048)
    make_presentation(oslo, pages=("one",), status="queued", size=2048)
    make_presentation(oslo, pages=(), status="failed", error="not a PDF: <html> found")
    make_photo(baku, size=1024 * 1024)
    make_photo(baku, status="processing")
    services.current_storage().store_original(io.BytesIO(b"x" * 3000))
    html = client.get("/admin/storage").data.decode()
    counts = {k: dd(html, k) for k in ("Events", "Presentations", "Pages", "Photos")}
    assert counts == {"Events": "2", "Presentations": "3", "Pages": "4", "Photos": "2"}
    states = {k: dd(html, k) for k in ("queued", "processing", "ready", "failed")}
    assert states == {"queued": "1", "processing": "1", "ready": "2", "failed": "1"}
    assert dd(html, "Originals (sum of item sizes)") == "1.0 MB"  # 1 MiB + 6096 bytes
    from archive.web.filters import filesize

    on_disk = services.current_storage().usage_bytes()["originals"]
    assert 3000 < on_disk < 3100  # the 3000-byte orphan plus the factories' tiny originals
    assert dd(html, "Originals on disk") == filesize(on_disk)
    assert "not a PDF: &lt;html&gt; found" in html


@pytest.mark.parametrize(
    ("size", "text"),
    [(None, "–"), (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (150 * 1024**2, "150 MB")],
)
def test_filesize(size, text):
    assert filesize(size) == text


# CSRF and escaping


def test_admin_forms_require_a_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        accounts.create_user("ada", PASSWORD, "admin")
        db.session.commit()
    token = csrf_token_from(client.get("/login").data)
    client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": token})
    assert client.post("/admin/organisations/", data={"name": "OECD"}).status_code == 400
    with app.app_context():
        assert accounts.find_organisation("OECD") is None
    token = csrf_token_from(client.get("/admin/organisations/").data)
    data = {"name": "OECD", "csrf_token": token}
    assert client.post("/admin/organisations/", data=data).status_code == 302
    with app.app_context():
        assert accounts.find_organisation("OECD") is not None


XSS = '<script>alert("x")</script>'


def test_html_in_audit_summaries_and_titles_is_escaped(
    client, admin, make_event, make_presentation, make_user
):
    event = make_event("xss", XSS)
    make_presentation(event, status="failed", error=XSS)
    org = accounts.find_or_create_organisation(XSS)
    accounts.add_grant(event, org)
    make_user("mallory", "partner", XSS, display_name=XSS)
    audit.record(admin, "test.xss", event, summary=XSS)
    db.session.commit()
    user = accounts.find_user("mallory")
    pages = [
        "/admin/audit/",
        "/admin/audit/?actor=" + XSS,
        "/admin/storage",
        "/admin/events/",
        "/admin/events/xss",
        "/admin/organisations/",
        f"/admin/organisations/{org.id}",
        "/admin/users/",
        f"/admin/users/{user.id}",
        "/admin/users/new",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert XSS.encode() not in response.data, url
        assert b"&lt;script&gt;" in response.data, url
