"""The event programme in the index (issue 15), on both backends: a deck's or photo's
session is a filter and a facet within an event, its label comes back on hits, and the
programme's words find the deck, ranked like tags and never past the scope."""

from __future__ import annotations

import pytest

from tests.fulltext.fulltext_helpers import RESEARCHER, ids, partner, photo_ids

PANEL = "Day 2, 10:30, Panel: digital identity"
OPENING = "Day 1, 09:30, Opening ceremony"


@pytest.fixture
def programme(add):
    """Event 1 with two sessions (a panel with two decks and a photo, an opening with one
    deck), a staff-only deck in the panel, and event 2 without a programme."""
    panel = dict(session_id=7, session_label=PANEL)
    add(1, "x-road architecture", event_id=1, programme="Digital identity in Estonia\nHall B",
        speakers=("Kristi Kask",), **panel)  # fmt: skip
    add(2, "x-road adoption", event_id=1, programme="Identity for citizen services\nHall B",
        **panel)  # fmt: skip
    add(3, "x-road budget", event_id=1, visibility="staff", programme="Unreleased\nHall B",
        **panel)  # fmt: skip
    add(4, kind="photo", title="Panel speakers on stage", event_id=1, programme="Hall B",
        **panel)  # fmt: skip
    add(5, "x-road welcome", event_id=1, session_id=9, session_label=OPENING,
        programme="Welcome\nConference hall")  # fmt: skip
    add(6, "x-road elsewhere", event_id=2)


def test_the_programme_words_find_the_deck(programme, search):
    assert ids(search("estonia")) == [1]
    assert sorted(ids(search('"hall b"'))) == [1, 2, 3]
    assert photo_ids(search("hall")) == [4]
    assert ids(search("conference")) == [5]


def test_programme_words_rank_like_tags_above_page_text(add, search):
    add(10, "a page that mentions tallinn once")
    add(11, "unrelated text", programme="Tallinn digital summit")
    assert ids(search("tallinn")) == [11, 10]


def test_hits_carry_their_session_label(programme, search):
    page = search("x-road")
    labels = {g.item_id: g.session_label for g in page.groups}
    assert labels == {1: PANEL, 2: PANEL, 3: PANEL, 5: OPENING, 6: ""}
    assert [p.session_label for p in search("stage").photos] == [PANEL]


def test_the_session_facet_only_within_an_event_filter(programme, search):
    assert "session" not in search("x-road").facets
    page = search("x-road", filters={"event": ("1",)})
    values = {f.value: (f.label, f.count) for f in page.facets["session"]}
    assert values == {"7": (PANEL, 3), "9": (OPENING, 1)}
    assert "0" not in values  # decks outside the programme are no session


def test_a_session_selection_narrows_results_and_other_facets(programme, search):
    page = search("", filters={"event": ("1",), "session": ("7",)})
    assert sorted(ids(page)) == [1, 2, 3] and photo_ids(page) == [4]
    assert page.total_hits == 4
    session = {f.value: (f.count, f.selected) for f in page.facets["session"]}
    assert session == {"7": (4, True), "9": (1, False)}  # its own selection ignored
    (event,) = [f for f in page.facets["event"] if f.value == "1"]
    assert event.count == 4


def test_session_facet_counts_stay_within_the_scope(programme, search):
    for scope in (RESEARCHER, partner(3, 1)):
        page = search("x-road", scope, filters={"event": ("1",)})
        counts = {f.value: f.count for f in page.facets["session"]}
        assert counts == ({"7": 2, "9": 1} if scope is RESEARCHER else {})
    hidden = search("unreleased", RESEARCHER, filters={"event": ("1",)})
    assert hidden.total_hits == 0 and hidden.facets["session"] == []


def test_a_selected_session_without_matches_is_still_listed(programme, search):
    page = search("welcome", filters={"event": ("1",), "session": ("7",)})
    assert page.total_hits == 0
    assert [(f.value, f.count, f.selected) for f in page.facets["session"]] == [
        ("9", 1, False),
        ("7", 0, True),
    ]


def test_the_session_facet_counts_decks_not_pages(add, search):
    add(1, "budget plan", "budget review", event_id=1, session_id=7, session_label=PANEL,
        speakers=("Ann Lee",))  # fmt: skip
    add(2, "budget talk", event_id=1, session_id=7, session_label=PANEL, speakers=("Bo Kim",))
    page = search("budget", filters={"event": ("1",)})
    assert page.total_hits == 3
    assert [(f.value, f.count) for f in page.facets["session"]] == [("7", 2)]
    page = search("budget", filters={"event": ("1",), "speaker": ("Ann Lee",)})
    assert ids(page) == [1]
    assert [(f.value, f.count) for f in page.facets["session"]] == [("7", 1)]
    assert {f.value: f.count for f in page.facets["speaker"]} == {"Ann Lee": 1, "Bo Kim": 1}
