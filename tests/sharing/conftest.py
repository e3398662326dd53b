"""A small archive for the share-link and bundle tests: two events (one granted to UNDP),
processed decks and a photo that carries a GPS position, a staff-only deck, and accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from archive import accounts, shares
from archive.extensions import db
from archive.models import Item, User
from archive.models.common import utcnow
from archive.shares import LinkRequest
from tests.conftest import PASSWORD
from tests.support.items import upload

UNKNOWN_TOKEN = "Q" * 59


@dataclass
class World:
    granted_deck: Item
    granted_photo: Item
    second_deck: Item  # another granted event
    staff_only_deck: Item
    other_deck: Item  # an event not granted to UNDP
    staff: User
    partner: User

    def ids(self, *names: str) -> list[int]:
        return [getattr(self, name).id for name in names]


@pytest.fixture
def world(app, make_event, make_user, make_pdf, make_jpeg) -> World:
    undp = accounts.find_or_create_organisation("UNDP")
    baku = make_event("baku-2023", "e-Government workshop", city="Baku")
    almaty = make_event("almaty-2024", "Open data days", city="Almaty")
    other = make_event("tbilisi-2022", "Not granted")
    for event in (baku, almaty):
        accounts.add_grant(event, undp)
    db.session.commit()
    deck = make_pdf([["Digital divide persists"], ["Page two"]], "divide.pdf")
    photo = make_jpeg(size=(320, 240), gps=True, make="Canon", name="group.jpg")
    world = World(
        granted_deck=upload(baku, deck, "divide.pdf", title="Digital divide", speakers="A. Aliyev"),
        granted_photo=upload(baku, photo, "group.jpg", title="Group photo"),
        second_deck=upload(
            almaty, make_pdf([["Open budgets"]], "budgets.pdf"), "budgets.pdf", title="Budgets"
        ),
        staff_only_deck=upload(
            baku, make_pdf([["Internal"]], "internal.pdf"), "internal.pdf", visibility="staff"
        ),
        other_deck=upload(other, make_pdf([["Elsewhere"]], "else.pdf"), "else.pdf"),
        staff=make_user("sam", "staff"),
        partner=make_user("pat", "partner", "UNDP"),
    )
    return world


def make_link(owner: User, item_ids: list[int], **fields) -> str:
    """A committed link of `owner` to the items; returns its token."""
    request = LinkRequest(
        item_ids=tuple(item_ids),
        recipient=fields.pop("recipient", "Nodira, Ministry of Digital Development"),
        expires_on=fields.pop("expires_on", utcnow().date() + timedelta(days=30)),
        **fields,
    )
    made = shares.create_link(owner, request, max_days=90, max_items=500)
    db.session.commit()
    return made.token


@pytest.fixture
def link(world) -> str:
    return make_link(world.staff, world.ids("granted_deck", "granted_photo"))


def sign_in(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def token_in(html: str) -> str:
    match = re.search(r"/s/([A-Za-z0-9_-]{59})", html)
    assert match, "no share link on the page"
    return match.group(1)
