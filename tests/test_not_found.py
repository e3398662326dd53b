"""What a user may not see answers exactly like what does not exist: the same 404, the same
body, for items, pages, photos, events, edit and delete pages and the API.

A partner without grants who probes ids and slugs learns nothing: not which ids exist, not
which are photos, not which slugs are events."""

from __future__ import annotations

import re

import pytest

from archive import accounts
from archive.extensions import db
from tests.conftest import publish_files

MISSING_ID = 987_654
MISSING_SLUG = "no-such-event"


@pytest.fixture
def hidden(make_event, make_presentation, make_photo):
    """A granted event for UNDP, and an ungranted one with a deck and a photo."""
    granted = make_event("granted-event", "Granted")
    accounts.add_grant(granted, accounts.find_or_create_organisation("UNDP"))
    other = make_event("other-event", "Other")
    deck = make_presentation(other, "Hidden deck")
    photo = make_photo(other, "Hidden photo")
    staff_deck = make_presentation(granted, "Staff deck", visibility="staff")
    publish_files(deck.id, {"page-0001-thumb.webp": b"RIFF", "page-0001-preview.jpg": b"JPG"})
    publish_files(photo.id, {"grid.webp": b"RIFF", "lightbox.jpg": b"JPG"})
    db.session.commit()
    return {"deck": deck.id, "photo": photo.id, "staff_deck": staff_deck.id, "slug": other.slug}


ITEM_URLS = [
    "/items/{id}",
    "/items/{id}/download",
    "/items/{id}/photo/grid",
    "/items/{id}/pages/1/thumb",
    "/presentations/{id}",
    "/items/{id}/edit",
    "/items/{id}/delete",
    "/api/v1/items/{id}",
    "/api/v1/items/{id}/download",
    "/api/v1/items/{id}/pages/1",
    "/api/v1/items/{id}/pages/1/thumb",
    "/api/v1/items/{id}/photo/grid",
]
EVENT_URLS = [
    "/events/{slug}",
    "/events/{slug}/presentations.zip",
    "/events/{slug}/edit",
    "/events/{slug}/delete",
    "/api/v1/events/{slug}",
    "/api/v1/events/{slug}/items",
    "/api/v1/events/{slug}/presentations.zip",
]


CSRF = re.compile(rb'(name="csrf[-_]token" (?:content|value)=)"[^"]*"')
# The language menu sends the reader back to the URL they asked for: their own input.
BACK = re.compile(rb'(name="next" value=)"[^"]*"')


def answer(client, url: str) -> tuple[int, bytes]:
    """Status and body; the page's CSRF token is signed with the current second, so it is
    blanked (it is the same session's token either way), and so is the language menu's way
    back, which is the URL asked for."""
    response = client.get(url)
    return response.status_code, BACK.sub(rb'\1""', CSRF.sub(rb'\1""', response.data))


@pytest.mark.parametrize("template", ITEM_URLS)
@pytest.mark.parametrize("which", ["deck", "photo", "staff_deck"])
def test_a_hidden_item_answers_like_a_missing_one(client, login_as, hidden, template, which):
    login_as("partner")
    seen = answer(client, template.format(id=hidden[which]))
    missing = answer(client, template.format(id=MISSING_ID))
    assert seen[0] == 404
    assert seen == missing


@pytest.mark.parametrize("template", EVENT_URLS)
def test_a_hidden_event_answers_like_a_missing_one(client, login_as, hidden, template):
    login_as("partner")
    seen = answer(client, template.format(slug=hidden["slug"]))
    missing = answer(client, template.format(slug=MISSING_SLUG))
    assert seen[0] == 404
    assert seen == missing


def test_refusals_are_logged(client, login_as, hidden, caplog):
    login_as("partner")
    with caplog.at_level("WARNING", logger="archive.guards"):
        client.get(f"/items/{hidden['deck']}")
    assert any("refused GET" in r.getMessage() for r in caplog.records)
