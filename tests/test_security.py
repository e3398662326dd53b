"""Security properties of every response: headers, cookies, sessions bound to the client."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import config
from tests.conftest import PASSWORD, make_app

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "url", ["/login", "/", "/static/css/app.css", "/no-such-page", "/api/v1/me"]
)
def test_security_headers_on_every_response(client, login_as, url):
    login_as("researcher")
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_pages_are_not_stored_in_shared_caches(client, login_as):
    login_as("researcher")
    assert "private" in client.get("/").headers["Cache-Control"]


def session_cookie(response) -> str:
    return next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))


def test_session_cookie_flags(client, make_user):
    make_user("alice", "researcher")
    cookie = session_cookie(client.post("/login", data={"username": "alice", "password": PASSWORD}))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_when_configured(tmp_path):
    app = make_app(tmp_path, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    client = app.test_client()
    with app.app_context():
        from archive import accounts
        from archive.extensions import db

        accounts.create_user("alice", PASSWORD, "researcher")
        db.session.commit()
    response = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "remember": "y"},
        base_url="https://archive.example",
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert all("Secure" in c for c in cookies) and len(cookies) >= 2


def test_a_session_cookie_from_another_address_is_not_enough(client, make_user):
    make_user("alice", "researcher")
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert client.get("/").status_code == 200
    stolen = client.get("/", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert stolen.status_code == 302 and "/login" in stolen.headers["Location"]


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    source = (ROOT / "config.py").read_text(encoding="utf-8")
    names = {f"ARCHIVE_{n}" for n in re.findall(r'_env(?:_int|_bool)?\("([A-Z_]+)"', source)}
    assert names, "no settings found in config.py"
    assert sorted(n for n in names if n not in readme) == []
    assert config.Config.SESSION_COOKIE_HTTPONLY and config.Config.SESSION_COOKIE_SAMESITE == "Lax"
