"""Signing in: limits that hold across processes, the same work for every wrong answer, and
sign-ins that end everywhere their cookies went (defects 2, 3 and 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from archive import accounts
from archive.auth import views
from archive.extensions import db
from archive.models import SignIn, SignInAttempt
from archive.models.common import utcnow
from tests.conftest import PASSWORD, Auth, make_app

LIMITED = {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT": "5 per 15 minutes"}
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}


def statuses(client, username: str, passwords: list[str], **kw) -> list[int]:
    return [Auth(client).login(username, p, **kw).status_code for p in passwords]


@pytest.fixture
def two_processes(tmp_path):
    """Two apps on one database, as two gunicorn workers are."""
    database = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.db'}"}
    first = make_app(tmp_path / "a", **LIMITED, **database)
    second = make_app(tmp_path / "b", **LIMITED, **database)
    with first.app_context():
        accounts.create_user("alice", PASSWORD, "researcher")
        db.session.commit()
    return first, second


def test_the_limit_holds_exactly_across_processes(two_processes):
    first, second = two_processes
    clients = [first.test_client(), second.test_client()]
    answers = [Auth(clients[n % 2]).login("alice", "wrong password").status_code for n in range(8)]
    answers.append(Auth(clients[1]).login("alice").status_code)  # the right one, too late
    assert answers == [401] * 5 + [429] * 4


def test_a_refusal_says_when_to_try_again(two_processes):
    first, _ = two_processes
    client = first.test_client()
    statuses(client, "alice", ["wrong"] * 5)
    refused = Auth(client).login("alice", "wrong")
    assert refused.status_code == 429
    assert b"Too many sign-in attempts. Try again in 15 minutes." in refused.data
    assert 800 < int(refused.headers["Retry-After"]) <= 900


def test_a_locked_pair_does_not_lock_the_owner_out_from_elsewhere(two_processes):
    first, _ = two_processes
    attacker, owner = first.test_client(), first.test_client()
    assert statuses(attacker, "alice", ["wrong"] * 6)[-1] == 429
    assert Auth(owner).login("alice", environ_base=ELSEWHERE).status_code == 302


def test_the_account_limit_stops_guessing_from_many_addresses(tmp_path):
    app = make_app(tmp_path, **LIMITED, LOGIN_ACCOUNT_LIMIT="8 per 15 minutes")
    with app.app_context():
        accounts.create_user("alice", PASSWORD, "researcher")
        db.session.commit()
    client = app.test_client()
    answers = [
        Auth(client).login("alice", "wrong", environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
        for n in range(10)
    ]
    assert [a.status_code for a in answers] == [401] * 8 + [429] * 2


def test_a_success_clears_the_pairs_count(two_processes):
    first, _ = two_processes
    client = first.test_client()
    statuses(client, "alice", ["wrong"] * 4)
    assert Auth(client).login("alice").status_code == 302
    Auth(client).logout()
    assert statuses(client, "alice", ["wrong"] * 5) == [401] * 5


def test_refused_attempts_do_not_extend_the_lock_out(two_processes):
    first, _ = two_processes
    client = first.test_client()
    statuses(client, "alice", ["wrong"] * 5 + ["wrong"] * 20)
    with first.app_context():
        count = db.session.scalar(select(func.count()).select_from(SignInAttempt))
    assert count == 5


# ---------------------------------------------------------------- the same work for everyone


@pytest.mark.parametrize("case", ["unknown", "wrong password", "deactivated"])
def test_every_failed_sign_in_checks_one_password_hash_of_the_same_cost(
    app, client, make_user, monkeypatch, case
):
    real = make_user("alice", "researcher")
    if case == "deactivated":
        accounts.set_active(real, False)
        db.session.commit()
    checked = []
    real_check = views.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$")[0])  # method and cost, e.g. scrypt:32768:8:1
        return real_check(pwhash, password)

    monkeypatch.setattr(views, "check_password_hash", spy)
    name = "nobody" if case == "unknown" else "alice"
    password = PASSWORD if case == "deactivated" else "wrong password!"
    assert Auth(client).login(name, password).status_code == 401
    assert checked == [real.password_hash.split("$")[0]]


# ---------------------------------------------------------------- sign-ins that end


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def replay(app, name: str, value: str, **environ):
    """A fresh browser that sends only this one cookie."""
    other = app.test_client()
    other.set_cookie(name, value)
    return other.get("/api/v1/me", environ_base=environ)


def test_sign_out_ends_every_copy_of_the_remember_cookie(app, client, make_user):
    make_user("alice", "researcher")
    client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "y"})
    remember = cookie(client, "remember_token")
    assert replay(app, "remember_token", remember).status_code == 200
    client.post("/logout")
    assert replay(app, "remember_token", remember).status_code == 401


def test_sign_out_ends_a_session_cookie_copied_before(app, client, make_user):
    make_user("alice", "researcher")
    Auth(client).login("alice")
    session = cookie(client, "session")
    assert replay(app, "session", session).status_code == 200
    client.post("/logout")
    assert replay(app, "session", session).status_code == 401


def test_a_remember_cookie_works_only_from_its_own_client(app, client, make_user):
    make_user("alice", "researcher")
    client.post("/login", data={"username": "alice", "password": PASSWORD, "remember": "y"})
    remember = cookie(client, "remember_token")
    assert replay(app, "remember_token", remember, **ELSEWHERE).status_code == 401
    other_browser = {"HTTP_USER_AGENT": "curl/8.0"}
    assert replay(app, "remember_token", remember, **other_browser).status_code == 401


def test_remember_cookies_last_thirty_days_at_most(app, client, make_user):
    make_user("alice", "researcher")
    response = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "remember": "y"}
    )
    header = next(h for h in response.headers.getlist("Set-Cookie") if "remember_token" in h)
    assert "Expires=" in header
    sign_in = db.session.scalar(select(SignIn))
    assert sign_in.remember and sign_in.expires_at - sign_in.created_at == timedelta(days=30)
    remember = cookie(client, "remember_token")
    db.session.execute(update(SignIn).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert replay(app, "remember_token", remember).status_code == 401


def test_signing_out_in_one_browser_keeps_the_others(app, make_user):
    make_user("alice", "researcher")
    laptop, phone = app.test_client(), app.test_client()
    Auth(laptop).login("alice")
    Auth(phone).login("alice")
    laptop.post("/logout")
    assert laptop.get("/api/v1/me").status_code == 401
    assert phone.get("/api/v1/me").status_code == 200
