"""Guessing links and their passwords is rate limited (counted in the database, per address,
and per link for passwords); using a link one holds is not."""

from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.sharing.conftest import UNKNOWN_TOKEN, make_link

GUESSER = {"REMOTE_ADDR": "203.0.113.50"}
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.99"}


@pytest.fixture
def app(tmp_path):
    """The archive with the limiter on, as in production, and small limits."""
    app = make_app(
        tmp_path,
        RATELIMIT_ENABLED=True,
        SHARE_GUESS_LIMIT="5 per 10 minutes",
        SHARE_PASSWORD_LIMIT="3 per 15 minutes",
    )
    with app.app_context():
        yield app


def test_guessing_tokens_is_stopped_per_address(app, world, link):
    client = app.test_client()
    for _ in range(8):  # a holder's own use never counts
        assert client.get(f"/s/{link}", environ_base=GUESSER).status_code == 200
    for n in range(5):
        guess = UNKNOWN_TOKEN[:-2] + f"{n:02d}"
        assert client.get(f"/s/{guess}", environ_base=GUESSER).status_code == 404
    stopped = client.get(f"/s/{UNKNOWN_TOKEN}", environ_base=GUESSER)
    assert stopped.status_code == 429 and b"Too many attempts" in stopped.data
    assert client.get(f"/s/{link}", environ_base=GUESSER).status_code == 429
    assert client.get(f"/s/{link}", environ_base=ELSEWHERE).status_code == 200


def test_guessing_a_password_is_stopped_per_address_and_per_link(app, world):
    token = make_link(world.staff, world.ids("granted_deck"), password="tulip-meadow")
    client = app.test_client()

    def attempt(password: str, where: dict):
        page = client.get(f"/s/{token}", environ_base=where).get_data(as_text=True)
        form_token = page.split('name="form_token" value="')[1].split('"')[0]
        data = {"password": password, "form_token": form_token}
        return client.post(f"/s/{token}", data=data, environ_base=where)

    for _ in range(3):
        assert attempt("wrong guess", GUESSER).status_code == 401
    assert attempt("tulip-meadow", GUESSER).status_code == 429
    # From another address the link's own limit holds too: a botnet cannot spread the guesses.
    assert attempt("tulip-meadow", ELSEWHERE).status_code == 429
