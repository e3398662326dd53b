"""Walk every URL rule of the app for every role and check the status it answers.

The table below is the app's access contract. A route without a row fails
`test_every_route_has_a_rule`, so nobody adds a page without deciding who may open it.
Roles: anonymous, researcher, partner (on a granted event's objects), partner_other
(the same partner on an ungranted event's objects), staff, admin.
"""

from __future__ import annotations

from datetime import date, time

import pytest

from archive import accounts
from archive.extensions import db
from archive.programme.editing import SessionFields, TalkFields, create_session, create_talk
from archive.services import current_storage
from tests.conftest import publish_files

ROLES = ("anonymous", "researcher", "partner", "partner_other", "staff", "admin")
LOGIN = "login"  # anonymous page request: redirected to the sign-in page
API_401 = 401


def everyone(status: int, anonymous=LOGIN) -> dict:
    return {role: status for role in ROLES} | {"anonymous": anonymous}


def granted_only(status: int, anonymous=LOGIN) -> dict:
    """Objects of a granted event; on another event's objects a partner gets the same 404
    as for an object that does not exist."""
    return everyone(status, anonymous) | {"partner_other": 404}


def staff_only(status: int, anonymous=LOGIN) -> dict:
    """Staff pages that are not about one object (upload form, new event): 403 says nothing."""
    return everyone(403, anonymous) | {"staff": status, "admin": status}


def staff_object(status: int, anonymous=LOGIN) -> dict:
    """Changing one object (edit, delete, upload into an event): 404 for everyone else, as if
    it did not exist, even when they may see the object itself."""
    return everyone(404, anonymous) | {"staff": status, "admin": status}


def admin_only(status: int, anonymous=LOGIN) -> dict:
    return everyone(403, anonymous) | {"admin": status}


# (endpoint, method) -> expected status per role
ACCESS: dict[tuple[str, str], dict] = {
    ("static", "GET"): everyone(200, anonymous=200),
    ("auth.login", "GET"): everyone(302, anonymous=200),
    ("auth.login", "POST"): everyone(302, anonymous=401),
    ("auth.logout", "POST"): everyone(302),
    ("auth.profile", "GET"): everyone(200),
    ("auth.create_token", "POST"): everyone(400),
    ("auth.revoke_token", "POST"): everyone(404),
    ("auth.change_password", "POST"): everyone(400),
    ("web.home", "GET"): everyone(200),
    ("events.index", "GET"): everyone(200),
    ("events.detail", "GET"): granted_only(200),
    ("events.presentations_zip", "GET"): granted_only(200),
    ("search.results", "GET"): everyone(200),
    ("search.deck_matches", "GET"): granted_only(200),
    # Anyone may switch the interface language, signed in or not; an empty POST is refused.
    ("language.switch", "POST"): everyone(400, anonymous=400),
    ("presentations.view", "GET"): granted_only(200),
    ("items.view", "GET"): granted_only(302),
    ("items.download", "GET"): granted_only(200),
    ("items.photo_image", "GET"): granted_only(200),
    ("items.page_image", "GET"): granted_only(200),
    ("api.me", "GET"): everyone(200, anonymous=API_401),
    ("api.upload_items", "POST"): staff_object(400, anonymous=API_401),
    ("api.list_items", "GET"): granted_only(200, anonymous=API_401),
    ("api.get_item", "GET"): granted_only(200, anonymous=API_401),
    ("api.download_item", "GET"): granted_only(200, anonymous=API_401),
    ("api.get_page", "GET"): granted_only(200, anonymous=API_401),
    ("api.page_image", "GET"): granted_only(200, anonymous=API_401),
    ("api.photo_image", "GET"): granted_only(200, anonymous=API_401),
    ("api.search", "GET"): everyone(200, anonymous=API_401),
    ("api.list_events", "GET"): everyone(200, anonymous=API_401),
    ("api.get_event", "GET"): granted_only(200, anonymous=API_401),
    ("api.event_zip", "GET"): granted_only(200, anonymous=API_401),
    ("api.openapi", "GET"): everyone(200, anonymous=API_401),
    # Staff edit events. An authorised POST of an empty form changes nothing and answers 400
    # (the form again, with its errors); routes about a missing object (id 999999) answer 404
    # before looking at the form. Deleting needs the slug echoed back, so an empty POST is 400.
    ("event_edit.create", "GET"): staff_only(200),
    ("event_edit.create", "POST"): staff_only(400),
    ("event_edit.edit", "GET"): staff_object(200),
    ("event_edit.edit", "POST"): staff_object(400),
    ("event_edit.delete", "GET"): staff_object(200),
    ("event_edit.delete", "POST"): staff_object(400),
    # Staff upload, change and delete items; an empty POST changes nothing and answers 400.
    ("upload.index", "GET"): staff_only(200),
    ("upload.index", "POST"): staff_only(400),
    ("upload.results", "GET"): staff_only(200),
    ("upload.create_event", "POST"): staff_only(400),
    # Versions are staff's: researchers and partners see only the current version, and the
    # versions of an item answer them 404 as if there were none. Version 1
    # is the current one, so viewing it redirects to the item and restoring it is refused
    # with a message (302); an empty upload answers 400.
    ("versions.index", "GET"): staff_object(200),
    ("versions.upload", "POST"): staff_object(400),
    ("versions.view", "GET"): staff_object(302),
    ("versions.download", "GET"): staff_object(200),
    ("versions.restore", "POST"): staff_object(302),
    ("versions.page_image", "GET"): staff_object(200),
    ("versions.photo_image", "GET"): staff_object(200),
    ("api.upload_version", "POST"): staff_object(400, anonymous=API_401),
    ("api.list_versions", "GET"): staff_object(200, anonymous=API_401),
    # Share links: staff share; partners only when an admin allows it for their organisation
    # (UNDP is not allowed here); researchers never. An empty form answers 400, a link that
    # is not there 404.
    ("shares.new", "GET"): staff_only(200),
    ("shares.create", "POST"): staff_only(400),
    ("shares.index", "GET"): staff_only(200),
    ("shares.revoke", "POST"): staff_only(404),
    ("api.create_share", "POST"): staff_only(400, anonymous=API_401),
    ("api.list_shares", "GET"): staff_only(200, anonymous=API_401),
    ("api.revoke_share", "DELETE"): staff_only(404, anonymous=API_401),
    # What a link opens needs no account; a token that names no link is 404 for everyone,
    # signed in or not (tests/test_share_holders.py tries every route with real links).
    ("shared.page", "GET"): everyone(404, anonymous=404),
    ("shared.unlock", "POST"): everyone(404, anonymous=404),
    ("shared.item", "GET"): everyone(404, anonymous=404),
    ("shared.page_image", "GET"): everyone(404, anonymous=404),
    ("shared.photo_image", "GET"): everyone(404, anonymous=404),
    ("shared.download", "GET"): everyone(404, anonymous=404),
    ("shared.download_all", "GET"): everyone(404, anonymous=404),
    ("shared.nothing", "GET"): everyone(404, anonymous=404),
    ("shared.nothing", "POST"): everyone(404, anonymous=404),
    # Bundles: partners bundle what their organisation sees, staff choose an organisation;
    # an empty form answers 400.
    ("bundles.index", "GET"): everyone(200) | {"researcher": 403},
    ("bundles.download", "POST"): everyone(400) | {"researcher": 403},
    ("item_edit.edit", "GET"): staff_object(200),
    ("item_edit.edit", "POST"): staff_object(400),
    ("item_edit.delete", "GET"): staff_object(200),
    ("item_edit.delete", "POST"): staff_object(400),
    ("item_edit.bulk", "POST"): staff_object(400),
    # Retrying an item that has not failed changes nothing and returns to the home page.
    ("item_edit.retry", "POST"): staff_object(302),
    ("item_edit.bulk_delete", "POST"): staff_object(400),
    # The programme: everyone who sees the event sees it (API); staff build it. An empty
    # POST changes nothing (400); detaching a deck that is not attached is 404.
    ("api.get_programme", "GET"): granted_only(200, anonymous=API_401),
    ("api.import_programme_file", "POST"): staff_object(400, anonymous=API_401),
    ("programme_edit.edit", "GET"): staff_object(200),
    ("programme_edit.create_session", "POST"): staff_object(400),
    ("programme_edit.edit_session", "GET"): staff_object(200),
    ("programme_edit.edit_session", "POST"): staff_object(400),
    ("programme_edit.delete_session", "POST"): staff_object(400),
    ("programme_edit.move_session", "POST"): staff_object(400),
    ("programme_edit.create_talk", "POST"): staff_object(400),
    ("programme_edit.edit_talk", "GET"): staff_object(200),
    ("programme_edit.edit_talk", "POST"): staff_object(400),
    ("programme_edit.delete_talk", "POST"): staff_object(400),
    ("programme_edit.move_talk", "POST"): staff_object(400),
    ("programme_edit.attach_deck", "POST"): staff_object(400),
    ("programme_edit.detach_deck", "POST"): staff_object(404),
    ("programme_edit.import_file", "GET"): staff_object(200),
    ("programme_edit.import_file", "POST"): staff_object(400),
    ("placement.cameras", "GET"): staff_object(200),
    ("placement.cameras", "POST"): staff_object(400),
    ("placement.photos", "GET"): staff_object(200),
    ("placement.photos", "POST"): staff_object(400),
    # Administration: admins only, guarded once on the blueprint.
    ("admin.index", "GET"): admin_only(200),
    ("admin.users", "GET"): admin_only(200),
    ("admin.create_user", "GET"): admin_only(200),
    ("admin.create_user", "POST"): admin_only(400),
    ("admin.edit_user", "GET"): admin_only(404),
    ("admin.edit_user", "POST"): admin_only(404),
    ("admin.reset_password", "POST"): admin_only(404),
    ("admin.deactivate_user", "POST"): admin_only(404),
    ("admin.reactivate_user", "POST"): admin_only(404),
    ("admin.organisations", "GET"): admin_only(200),
    ("admin.organisations", "POST"): admin_only(400),
    ("admin.organisation", "GET"): admin_only(404),
    ("admin.grant_event", "POST"): admin_only(404),
    ("admin.organisation_sharing", "POST"): admin_only(404),
    ("admin.events", "GET"): admin_only(200),
    ("admin.event_access", "GET"): admin_only(200),
    ("admin.grant_organisation", "POST"): admin_only(400),
    ("admin.revoke_grant", "POST"): admin_only(404),
    ("admin.audit_log", "GET"): admin_only(200),
    ("admin.audit_export", "GET"): admin_only(200),
    ("admin.storage_summary", "GET"): admin_only(200),
}


@pytest.fixture
def world(make_user, make_event, make_presentation, make_photo):
    granted = make_event("granted-event", "Granted")
    other = make_event("other-event", "Other")
    accounts.add_grant(granted, accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    objects = {}
    for name, event in (("granted", granted), ("other", other)):
        deck = make_presentation(event, f"Deck {name}")
        photo = make_photo(event, f"Photo {name}")
        publish_files(deck.id, {"page-0001-thumb.webp": b"RIFF", "page-0001-preview.jpg": b"JPG"})
        publish_files(photo.id, {"grid.webp": b"RIFF", "lightbox.jpg": b"JPG"})
        for item_id, files in ((deck.id, PAGE_FILES), (photo.id, PHOTO_FILES)):
            with current_storage().staging_dir() as staged:
                for file_name in files:
                    (staged / file_name).write_bytes(b"old version")
                current_storage().publish_version_derived(item_id, 1, staged)
        session = create_session(
            event, SessionFields("Opening", date(2023, 7, 25), time(9), time(10))
        )
        talk = create_talk(session, TalkFields("Welcome", speakers="A. Speaker (UNDP)"))
        db.session.commit()
        objects[name] = {
            "slug": event.slug,
            "item": deck,
            "photo": photo,
            "session_id": session.id,
            "talk_id": talk.id,
        }
    for role in ("researcher", "staff", "admin"):
        make_user(role, role)
    make_user("partner", "partner", "UNDP")
    return objects


PAGE_FILES = ("page-0001-thumb.webp", "page-0001-preview.jpg")
PHOTO_FILES = ("grid.webp", "lightbox.jpg")


def url_values(rule, target: dict) -> dict:
    values = {}
    for name in rule.arguments:
        if name == "slug":
            values[name] = target["slug"]
        elif name == "item_id":
            values[name] = target["photo" if "photo" in rule.endpoint else "item"].id
        elif name in ("number", "page"):
            values[name] = 1
        elif name == "size":
            values[name] = "grid" if "photo" in rule.endpoint else "thumb"
        elif name == "filename":
            values[name] = "css/app.css"
        elif name == "token":
            values[name] = "A" * 59  # well formed, names no link
        elif name == "anything":
            values[name] = "any/where"
        elif name in ("session_id", "talk_id"):
            values[name] = target[name]
        elif name.endswith("_id"):
            values[name] = 999_999
        else:
            raise AssertionError(f"no test value for URL argument {name!r} of {rule.rule}")
    return values


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_a_rule(app):
    missing = [
        f"{m} {r.rule} ({r.endpoint})" for r, m in routes(app) if (r.endpoint, m) not in ACCESS
    ]
    assert missing == [], "routes without an access rule in tests/test_access.py"
    stale = set(ACCESS) - {(r.endpoint, m) for r, m in routes(app)}
    assert stale == set(), "rules for routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
def test_access_table(app, world, role):
    failures = []
    for rule, method in routes(app):
        expected = ACCESS[(rule.endpoint, method)][role]
        target = world["other"] if role == "partner_other" else world["granted"]
        client = app.test_client()
        if role != "anonymous":
            username = "partner" if role.startswith("partner") else role
            client.post("/login", data={"username": username, "password": "correct horse battery"})
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **url_values(rule, target))
        response = client.open(url, method=method)
        response.close()
        if expected == LOGIN:
            ok = response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            ok = response.status_code == expected
        if not ok:
            failures.append(f"{method} {url}: expected {expected}, got {response.status_code}")
    assert failures == []
