"""The programme in search: decks and photos carry their session (facet within an event
filter, label on hits, the talk's words and speakers), sessions and talks are found by
their own words, and none of it reaches past the user's permissions."""

from __future__ import annotations

import pytest

from archive import accounts
from archive.accounts import find_user
from archive.extensions import db
from archive.fulltext import SearchRequest
from archive.permissions import event_filter, search_scope
from archive.pipeline import reindex_event
from archive.programme.editing import attach_deck
from archive.programme.finding import find_sessions
from archive.services import current_index
from tests.conftest import Auth
from tests.programme.conftest import session_titled


@pytest.fixture
def indexed(baku, make_presentation, taken_photo, make_user, make_event):
    accounts.add_grant(baku, accounts.find_or_create_organisation("UNDP"))
    panel = session_titled(baku, "Panel: digital identity")
    deck = make_presentation(baku, "Estonian experience", pages=("x-road and e-residency",))
    secret = make_presentation(
        baku, "Unreleased plan", visibility="staff", pages=("x-road budget",)
    )
    attach_deck(panel.talks[0], deck)
    attach_deck(panel.talks[1], secret)
    photo = taken_photo(baku, "2023-07-26T11:00", title="Panel speakers on stage")
    other = make_event("closed-2023", "Closed")
    hidden_deck = make_presentation(other, "Closed deck", pages=("x-road elsewhere",))
    db.session.commit()
    for event in (baku, other):
        reindex_event(event.id)
    make_user("researcher", "researcher")
    make_user("partner", "partner", "UNDP")
    return {"panel": panel, "deck": deck, "secret": secret, "photo": photo, "closed": hidden_deck}


def search(user, text, **filters):
    return current_index().search(
        SearchRequest(
            text, scope=search_scope(user), filters={k: tuple(v) for k, v in filters.items()}
        )
    )


def staff_user(make_user):
    return make_user("staff", "staff")


def test_deck_found_by_its_talk_title_speaker_and_organisation(indexed, make_user):
    staff = staff_user(make_user)
    for query in ("digital identity in estonia", "speaker:kask", "org:e-estonia", "Hall B"):
        page = search(staff, query)
        assert indexed["deck"].id in [g.item_id for g in page.groups], query


def test_hits_say_where_they_are_in_the_programme(indexed, make_user):
    page = search(staff_user(make_user), "x-road")
    labels = {g.item_id: g.session_label for g in page.groups}
    assert labels[indexed["deck"].id] == "Day 2, 10:30, Panel: digital identity"
    assert labels[indexed["secret"].id] == "Day 2, 11:15, Panel: digital identity"
    assert labels[indexed["closed"].id] == ""
    photos = search(find_user("staff"), "stage").photos
    assert photos[0].session_label == "Day 2, 10:30, Panel: digital identity"


def test_session_facet_only_within_an_event_filter(indexed, make_user, baku):
    staff = staff_user(make_user)
    assert "session" not in search(staff, "x-road").facets
    page = search(staff, "x-road", event=[str(baku.id)])
    values = {f.value: (f.label, f.count) for f in page.facets["session"]}
    panel = indexed["panel"]
    assert values == {str(panel.id): ("Day 2, 10:30, Panel: digital identity", 2)}
    narrowed = search(staff, "", event=[str(baku.id)], session=[str(panel.id)])
    assert {g.item_id for g in narrowed.groups} == {indexed["deck"].id, indexed["secret"].id}
    assert [p.item_id for p in narrowed.photos] == [indexed["photo"].id]


def test_staff_only_decks_stay_hidden_in_counts_and_facets(indexed, baku):
    for name in ("researcher", "partner"):
        user = find_user(name)
        page = search(user, "x-road", event=[str(baku.id)])
        ids = {g.item_id for g in page.groups}
        assert indexed["secret"].id not in ids and indexed["closed"].id not in ids
        assert [(f.count) for f in page.facets["session"]] == [1]


def test_programme_changes_reach_the_index(indexed, make_user, app):
    staff = staff_user(make_user)
    client = app.test_client()
    Auth(client).login("staff")
    panel = indexed["panel"]
    response = client.post(
        f"/events/baku-2023/programme/sessions/{panel.id}/edit",
        data={
            "title": "Panel: trusted identity",
            "day": "2023-07-26",
            "start": "10:30",
            "end": "12:00",
            "room": "Hall B",
        },
    )
    assert response.status_code == 302
    page = search(staff, "trusted")
    assert indexed["deck"].id in [g.item_id for g in page.groups]


def test_sessions_and_talks_found_by_their_words(indexed, baku):
    researcher = find_user("researcher")
    visible = event_filter(researcher)
    hits = find_sessions("world bank", visible)
    assert [h.session.title for h in hits] == ["Panel: digital identity"]
    assert [t.title for t in hits[0].talks] == ["Identity for citizen services"]
    assert [h.session.title for h in find_sessions("asan", visible)] == ["Site visits"]
    assert [h.session.title for h in find_sessions('"digital identity"', visible)] == [
        "Panel: digital identity"
    ]
    assert find_sessions("ident* -estonia", visible) == []
    assert [h.session.title for h in find_sessions("identities", visible)] == [
        "Panel: digital identity"
    ]  # stemmed like the index
    assert find_sessions("year:2023 panel", visible) == []  # only items have years
    assert find_sessions("valiyeva", visible, event_ids=[999]) == []


def test_programme_hits_respect_event_permissions(indexed, make_event, app):
    from datetime import date, time

    from archive.programme.editing import SessionFields, create_session

    closed = make_event("closed-2024", "Closed 2024")
    create_session(closed, SessionFields("Hidden roundtable", date(2024, 1, 1), time(9), time(10)))
    db.session.commit()
    for name, sees in (("partner", False), ("researcher", True)):
        client = app.test_client()
        Auth(client).login(name)
        html = client.get("/search/?q=roundtable").get_data(as_text=True)
        assert ("Hidden roundtable" in html) is sees, name
    client = app.test_client()
    Auth(client).login("partner")
    html = client.get("/search/?q=estonia").get_data(as_text=True)
    assert "In the programme" in html and "Digital identity in Estonia" in html
    label = '<span class="label-name">Programme:</span> Day 2, 10:30, Panel: digital identity</p>'
    assert label in html
