"""Signing in and out, sessions that end, safe redirects, CSRF on forms."""

import logging

import pytest

from archive import accounts
from archive.extensions import db
from tests.conftest import PASSWORD, Auth, csrf_token_from, make_app


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="username"' in response.data and b'name="password"' in response.data


def test_every_page_sends_anonymous_users_to_sign_in(client):
    response = client.get("/events/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_and_out(client, auth, make_user):
    make_user("alice", "researcher")
    response = auth.login("alice")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_failed_sign_in_gives_the_same_generic_message(auth, make_user, username, caplog):
    make_user("alice", "researcher")
    with caplog.at_level(logging.WARNING, logger="archive.auth.views"):
        response = auth.login(username, password="wrong password!")
    assert response.status_code == 401
    assert b"Unknown user name or wrong password." in response.data
    assert any(username in r.getMessage() for r in caplog.records)
    assert not any("wrong password!" in r.getMessage() for r in caplog.records)


def test_username_is_case_insensitive(auth, make_user):
    make_user("Alice", "researcher")
    assert auth.login("alice").status_code == 302


def test_deactivated_users_session_ends_at_next_request(client, auth, make_user):
    user = make_user("bob", "staff")
    auth.login("bob")
    assert client.get("/").status_code == 200
    accounts.set_active(user, False)
    db.session.commit()
    assert client.get("/").status_code == 302
    assert auth.login("bob").status_code == 401


def test_password_change_elsewhere_ends_session(client, auth, make_user):
    user = make_user("carol", "researcher")
    auth.login("carol")
    accounts.set_password(user, "a brand new password")
    db.session.commit()
    assert client.get("/").status_code == 302


def test_changing_own_password_keeps_this_session(client, auth, make_user):
    make_user("dave", "researcher")
    auth.login("dave")
    response = client.post(
        "/profile/password",
        data={
            "current": PASSWORD,
            "new": "another long password",
            "confirm": "another long password",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    assert auth.login("dave", "another long password").status_code == 302


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/events/", "/events/"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.example", "/"),
    ],
)
def test_next_parameter_only_follows_local_paths(client, make_user, next_url, expected):
    make_user("erin", "researcher")
    response = client.post(
        "/login", query_string={"next": next_url}, data={"username": "erin", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_logout_is_post_only(client, auth, make_user):
    make_user("frank", "researcher")
    auth.login("frank")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_passwords_are_hashed(app, make_user):
    user = make_user("gina", "researcher")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def test_forms_require_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        accounts.create_user("hana", PASSWORD, "researcher")
        db.session.commit()
    response = client.post("/login", data={"username": "hana", "password": PASSWORD})
    assert response.status_code == 400
    token = csrf_token_from(client.get("/login").data)
    response = client.post(
        "/login", data={"username": "hana", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.post("/logout").status_code == 400  # no token: still signed in
    assert client.get("/").status_code == 200


def test_sign_in_is_rate_limited(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_LIMIT="3 per 15 minutes")
    client = app.test_client()
    auth = Auth(client)
    for _ in range(3):
        assert auth.login("ivan", "wrong").status_code == 401
    response = auth.login("ivan", "wrong")
    assert response.status_code == 429
    assert b"Try again in 15 minutes" in response.data
