"""Personal API tokens: created on the profile page or CLI, hashed, revocable."""

from sqlalchemy import select

from archive import accounts
from archive.extensions import db
from archive.models import ApiToken


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_token_created_on_profile_is_shown_once_and_works(client, login_as):
    login_as("researcher", "rita")
    response = client.post("/profile/tokens", data={"name": "my script"})
    assert response.status_code == 200
    token = db.session.scalar(select(ApiToken))
    html = response.get_data(as_text=True)
    start = html.index('id="new-token">') + len('id="new-token">')
    secret = html[start : html.index("<", start)]
    assert secret.startswith("wa_") and token.token_hash != secret
    client.post("/logout")
    me = client.get("/api/v1/me", headers=bearer(secret))
    assert (
        me.status_code == 200 and me.json["username"] == "rita" and me.json["role"] == "researcher"
    )
    assert secret not in client.get("/login").get_data(as_text=True)


def test_revoked_token_stops_working_at_once(client, login_as):
    user = login_as("staff", "sam")
    token, secret = accounts.issue_token(user, "ci")
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    assert client.post(f"/profile/tokens/{token.id}/revoke").status_code == 302
    client.post("/logout")
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_deactivated_users_token_stops_working(client, make_user):
    user = make_user("tess", "staff")
    _, secret = accounts.issue_token(user, "ci")
    db.session.commit()
    accounts.set_active(user, False)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_unknown_or_malformed_tokens_are_rejected(client):
    for header in ("Bearer wa_nope", "Bearer ", "Basic abc", "wa_nope"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json == {"error": "authentication required", "code": "unauthorized"}


def test_tokens_do_not_open_pages(client, make_user):
    user = make_user("uma", "staff")
    _, secret = accounts.issue_token(user, "ci")
    db.session.commit()
    assert client.get("/", headers=bearer(secret)).status_code == 302


def test_someone_elses_token_cannot_be_revoked(client, make_user, login_as):
    other = make_user("victor", "staff")
    token, _ = accounts.issue_token(other, "ci")
    db.session.commit()
    login_as("researcher", "wendy")
    assert client.post(f"/profile/tokens/{token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None
