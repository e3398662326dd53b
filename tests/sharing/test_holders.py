"""Everything a link holder might try, with a real link in hand: other items, other events,
search, admin, the API, forged tokens. Each answers as if nothing were there."""

from __future__ import annotations

import pytest

from tests.sharing.conftest import UNKNOWN_TOKEN, make_link


@pytest.fixture
def holder(app, link):
    """An anonymous browser that has opened the link (so it holds whatever cookies a link
    page could give)."""
    client = app.test_client()
    assert client.get(f"/s/{link}").status_code == 200
    return client


def values_for(rule, world) -> dict:
    """URL values aimed at the link's own items and event, to tempt every route."""
    values = {}
    for name in rule.arguments:
        if name == "slug":
            values[name] = world.granted_deck.event.slug
        elif name == "item_id":
            photo = "photo" in rule.endpoint
            values[name] = (world.granted_photo if photo else world.granted_deck).id
        elif name in ("number", "page"):
            values[name] = 1
        elif name == "size":
            values[name] = "grid" if "photo" in rule.endpoint else "thumb"
        elif name == "filename":
            values[name] = "css/app.css"
        elif name == "token":
            values[name] = UNKNOWN_TOKEN
        else:
            values[name] = 1
    return values


def test_no_route_outside_the_link_opens_for_its_holder(app, holder, world, link):
    opened = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("shared.", "static")):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **values_for(rule, world))
            headers = {"Authorization": f"Bearer {link}"}  # the link is no API token either
            response = holder.open(url, method=method, headers=headers)
            signed_out = response.status_code == 401 or (
                response.status_code == 302 and "/login" in response.headers["Location"]
            )
            if rule.endpoint == "auth.login":
                signed_out = response.status_code in (200, 401)  # the sign-in page itself
            if rule.endpoint.startswith("language."):  # choosing a language needs no account
                signed_out = response.status_code in (302, 400)
            if not signed_out:
                opened.append(f"{method} {url}: {response.status_code}")
    assert opened == []


def test_items_outside_the_link_answer_like_a_link_that_never_existed(app, holder, world, link):
    never = holder.get(f"/s/{UNKNOWN_TOKEN}").data
    outside = [
        world.second_deck.id,  # another granted event
        world.other_deck.id,  # an event the owner's partners are not granted
        world.staff_only_deck.id,  # staff-only, in the same event
        999_999,  # no such item
    ]
    for item_id in outside:
        for path in (
            f"/items/{item_id}",
            f"/items/{item_id}/download",
            f"/items/{item_id}/pages/1/thumb",
            f"/items/{item_id}/photo/grid",
        ):
            response = holder.get(f"/s/{link}{path}")
            assert (response.status_code, response.data) == (404, never), path
    inside = world.granted_deck.id
    for path in (
        f"/s/{link}/items/{inside}/pages/1/../../../../etc",
        f"/s/{link}/items/{inside}/pages/1/huge",
        f"/s/{link}/events/{world.granted_deck.event.slug}",
        f"/s/{link}/search?q=divide",
        "/s/",
        "/s",
    ):
        response = holder.get(path)
        if response.status_code == 308:  # /s -> /s/
            response = holder.get(response.headers["Location"])
        assert (response.status_code, response.data) == (404, never), path
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:16] + "A" * 43,  # the right selector, a wrong verifier
        lambda t: t[:-1],  # one character short
        lambda t: t + "A",  # one too many
        lambda t: t.upper(),
        lambda t: t[:16],  # the selector alone
        lambda t: t.replace(t[20], "%" if t[20] != "%" else "A"),  # outside the alphabet
    ],
)
def test_forged_tokens_answer_like_unknown_ones(app, world, link, forge):
    client = app.test_client()
    never = client.get(f"/s/{UNKNOWN_TOKEN}")
    response = client.get(f"/s/{forge(link)}")
    assert (response.status_code, response.data) == (404, never.data)


def test_a_partner_link_never_shows_what_the_partner_cannot_see(app, world):
    """Even an item id typed into a partner's link URL cannot reach past the partner's view."""
    world.partner.organisation.may_share = True
    token = make_link(world.partner, [world.granted_deck.id])
    client = app.test_client()
    never = client.get(f"/s/{UNKNOWN_TOKEN}").data
    assert client.get(f"/s/{token}").status_code == 200
    for item in (world.other_deck, world.staff_only_deck):
        assert client.get(f"/s/{token}/items/{item.id}").data == never


def test_the_link_page_sets_no_session_even_for_a_signed_in_visitor(app, world, link):
    client = app.test_client()
    client.post("/login", data={"username": "sam", "password": "correct horse battery"})
    page = client.get(f"/s/{link}")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    html = page.get_data(as_text=True)
    assert "sam" in html  # the owner, named as such
    assert "Sign out" not in html and "/profile" not in html and "Upload" not in html
