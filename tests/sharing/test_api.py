"""Share links by API: create (the URL shown once), list with use counts, revoke."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from archive.extensions import db
from archive.models import ApiToken, AuditEntry, User
from archive.models.common import utcnow


def bearer(user: User) -> dict:
    token, secret = ApiToken.issue(user, "script")
    db.session.add(token)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_create_list_and_revoke(app, client, world):
    headers = bearer(world.staff)
    body = {
        "items": world.ids("granted_deck", "granted_photo"),
        "recipient": "Ministry of Economy",
        "max_downloads": 5,
        "password": "a long pass",
    }
    created = client.post("/api/v1/shares", json=body, headers=headers)
    assert created.status_code == 201
    share = created.get_json()
    assert share["url"].startswith("http://localhost/s/") and share["password"] is True
    assert share["expires_on"] == (utcnow().date() + timedelta(days=30)).isoformat()
    assert (share["max_downloads"], share["downloads"], share["state"]) == (5, 0, "active")
    token = share["url"].rsplit("/", 1)[1]
    assert b"protected by a password" in app.test_client().get(f"/s/{token}").data

    listing = client.get("/api/v1/shares", headers=headers).get_json()["shares"]
    assert [s["id"] for s in listing] == [share["id"]] and "url" not in listing[0]
    revoked = client.delete(f"/api/v1/shares/{share['id']}", headers=headers)
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    assert app.test_client().get(f"/s/{token}").status_code == 404
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["share.create", "share.revoke"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"recipient": "x"}, "choose at least one"),
        ({"items": "1", "recipient": "x"}, "items is a list"),
        ({"items": [1], "recipient": ""}, "name the recipient"),
        ({"items": [1], "recipient": "x", "expires_on": "soon"}, "expires_on is a date"),
        ({"items": [1], "recipient": "x", "expires_on": "2001-01-01"}, "in the past"),
        ({"items": [1], "recipient": "x", "max_downloads": "many"}, "whole number"),
        ({"items": [1], "recipient": "x", "password": "short"}, "at least 8"),
    ],
)
def test_a_bad_request_says_what_is_wrong(client, world, body, error):
    response = client.post("/api/v1/shares", json=body, headers=bearer(world.staff))
    assert response.status_code == 400 and error in response.get_json()["error"]


def test_hidden_items_cannot_be_shared_and_are_named_as_missing(client, world):
    headers = bearer(world.staff)
    for hidden in (world.staff_only_deck.id, 999_999):
        response = client.post(
            "/api/v1/shares", json={"items": [hidden], "recipient": "x"}, headers=headers
        )
        assert response.status_code == 400
        assert f"item(s) {hidden} cannot be shared" in response.get_json()["error"]


def test_others_cannot_list_or_revoke_a_link(client, world, make_user):
    made = client.post(
        "/api/v1/shares",
        json={"items": world.ids("granted_deck"), "recipient": "x"},
        headers=bearer(world.staff),
    ).get_json()
    colleague = bearer(make_user("kim", "staff"))
    assert client.get("/api/v1/shares", headers=colleague).get_json() == {"shares": []}
    assert client.delete(f"/api/v1/shares/{made['id']}", headers=colleague).status_code == 404
    partner = bearer(world.partner)  # UNDP may not share
    assert client.get("/api/v1/shares", headers=partner).status_code == 403


def test_versions_and_shares_answers_match_the_openapi_description(
    client, world, make_pdf, make_user
):
    spec = OpenAPI.from_dict(client.get("/api/v1/openapi.json", headers=bearer(world.staff)).json)
    staff, researcher = bearer(world.staff), bearer(make_user("rita", "researcher"))
    deck = world.ids("granted_deck")[0]

    def checked(response, status: int):
        assert response.status_code == status, response.get_data(as_text=True)
        # The operation is found by method and path; the body was read by the app already.
        sent = response.request
        bare = Request(EnvironBuilder(path=sent.path, method=sent.method).get_environ())
        spec.validate_response(WerkzeugOpenAPIRequest(bare), WerkzeugOpenAPIResponse(response))
        return response.get_json()

    made = checked(
        client.post(
            "/api/v1/shares",
            json={"items": [deck], "recipient": "Press office", "max_downloads": 3},
            headers=staff,
        ),
        201,
    )
    checked(client.post("/api/v1/shares", json={"recipient": "x"}, headers=staff), 400)
    checked(client.get("/api/v1/shares", headers=staff), 200)
    checked(client.get("/api/v1/shares", headers=researcher), 403)
    checked(client.delete(f"/api/v1/shares/{made['id']}", headers=staff), 200)
    checked(client.delete("/api/v1/shares/987654", headers=staff), 404)
    checked(client.get("/api/v1/shares"), 401)

    pdf = make_pdf([["Digital divide, corrected"]], "v2.pdf").read_bytes()
    upload = {"file": (io.BytesIO(pdf), "v2.pdf"), "note": "typo"}
    checked(client.post(f"/api/v1/items/{deck}/versions", data=upload, headers=staff), 202)
    again = {"file": (io.BytesIO(pdf), "v2.pdf")}
    checked(client.post(f"/api/v1/items/{deck}/versions", data=again, headers=staff), 409)
    html = {"file": (io.BytesIO(b"<html></html>"), "x.pdf")}
    checked(client.post(f"/api/v1/items/{deck}/versions", data=html, headers=staff), 422)
    checked(client.post(f"/api/v1/items/{deck}/versions", headers=staff), 400)
    versions = checked(client.get(f"/api/v1/items/{deck}/versions", headers=staff), 200)
    assert [v["number"] for v in versions["versions"]] == [1, 2]
    checked(client.get(f"/api/v1/items/{deck}/versions", headers=researcher), 404)
    checked(client.get(f"/api/v1/items/{deck}", headers=staff), 200)
