"""The AccessScope is part of every query: results, counts, facets, snippets, suggestions."""

from __future__ import annotations

import pytest

from archive.fulltext import AccessScope
from archive.fulltext.whoosh.compiler import PREFIX_TERMS, scope_filter
from archive.fulltext.whoosh.nodes import AllOf, AnyOf, Term
from tests.fulltext.fulltext_helpers import RESEARCHER, STAFF, ids, partner, photo_ids

PARTNER = partner(7, 1, 2)


@pytest.fixture
def decks(add):
    add(
        1,
        "zebrafinch migration notes",
        "zebrafinch again",
        visibility="staff",
        event_id=1,
        event_title="Hidden retreat",
        organisations=("Secret Lab",),
        granted_org_ids=(7,),
        language="az",
        title="Staff only deck",
    )
    add(
        2,
        "open data and bird migration",
        event_id=2,
        event_title="Open forum",
        organisations=("Public Org",),
        granted_org_ids=(7,),
        language="en",
        title="Shared deck",
    )
    add(3, "migration of another kind", event_id=3, granted_org_ids=(8,), title="Other event")


@pytest.mark.parametrize("scope", [RESEARCHER, PARTNER], ids=["researcher", "partner"])
def test_hidden_deck_leaves_no_trace(decks, search, scope):
    page = search("zebrafinch", scope)
    assert page.groups == [] and page.photos == []
    assert page.total_hits == 0 and page.total_groups == 0
    assert all(values == [] for values in page.facets.values())

    broad = search("migration", scope)
    assert 1 not in ids(broad)
    assert "Hidden retreat" not in {v.label for v in broad.facets["event"]}
    assert "Secret Lab" not in {v.value for v in broad.facets["org"]}
    assert "az" not in {v.value for v in broad.facets["lang"]}
    assert "zebrafinch" not in str([g.best.snippet for g in broad.groups])

    assert search("zebrafnch", scope).suggestion is None


def test_staff_see_the_hidden_deck_and_its_suggestion(decks, search):
    assert ids(search("zebrafinch", STAFF)) == [1]
    assert search("zebrafnch", STAFF).suggestion == "zebrafinch"


def test_partner_sees_only_granted_events_in_its_list(decks, search):
    assert ids(search("migration", PARTNER)) == [2]
    assert sorted(ids(search("migration", RESEARCHER))) == [2, 3]
    # event list without organisation grant, and organisation without event list
    assert sorted(ids(search("migration", AccessScope(False, frozenset({2, 3}))))) == [2, 3]
    assert sorted(ids(search("migration", AccessScope(True, None, 8)))) == [3]
    assert ids(search("migration", AccessScope(False, frozenset()))) == []


def test_partner_counts_and_facets_match_what_it_can_open(decks, search):
    page = search("migration", PARTNER)
    assert page.total_hits == 1
    assert [(v.value, v.count) for v in page.facets["event"]] == [("2", 1)]


def test_narrower_visibility_takes_effect_immediately(index, search):
    from tests.fulltext.fulltext_helpers import make_item, pages

    item = make_item(1)
    index.index_item(item, pages("quarterly budget"))
    assert ids(search("budget", RESEARCHER)) == [1]
    index.index_item(make_item(1, visibility="staff"), pages("quarterly budget"))
    assert ids(search("budget", RESEARCHER)) == []
    assert ids(search("budget", STAFF)) == [1]


def test_unknown_visibility_fails_closed(add, search):
    add(1, "budget", visibility="draft")
    assert ids(search("budget", RESEARCHER)) == []


def test_photos_obey_the_scope(add, search):
    add(1, kind="photo", title="zebrafinch photo", visibility="staff")
    add(2, kind="photo", title="zebrafinch photo", visibility="shared")
    assert photo_ids(search("zebrafinch", RESEARCHER)) == [2]


def test_scope_filter_is_a_whoosh_filter():
    node = scope_filter(AccessScope(False, frozenset({2, 1}), 7))
    assert node == AllOf(
        (
            Term("vis", "shared", 0.0),
            AnyOf((Term("event", "1", 0.0), Term("event", "2", 0.0))),
            Term("grant", "7", 0.0),
        )
    )
    assert str(node.to_whoosh()) == "(vis:shared AND (event:1 OR event:2) AND grant:7)"


# Prefix expansion within the scope (defect 6). Engine-neutral: only the public search API
# is used, so another backend can run these as they are.


@pytest.fixture
def hidden_vocabulary(add):
    """A staff-only deck with many words starting "qqzh", and a visible deck whose only
    "qqz" word is rarer than every hidden one."""
    hidden_words = " ".join(f"qqzh{n:03d}" for n in range(PREFIX_TERMS + 20))
    add(1, hidden_words, hidden_words, visibility="staff", event_id=1, granted_org_ids=(7,))
    add(2, "qqzvisible appears once here", event_id=2, granted_org_ids=(7,))
    add(3, "qqzother in an ungranted event", event_id=3, granted_org_ids=(8,))


@pytest.mark.parametrize("scope", [RESEARCHER, PARTNER], ids=["researcher", "partner"])
def test_a_prefix_says_nothing_about_words_outside_the_scope(hidden_vocabulary, search, scope):
    page = search("qqzh*", scope)
    assert page.total_hits == 0
    assert not page.notice or "matches many words" not in page.notice


@pytest.mark.parametrize("scope", [RESEARCHER, PARTNER], ids=["researcher", "partner"])
def test_hidden_words_cannot_crowd_out_a_visible_match(hidden_vocabulary, search, scope):
    page = search("qqz*", scope)
    assert 2 in ids(page)
    assert 1 not in ids(page)
    assert not page.notice or "matches many words" not in page.notice


def test_a_partner_prefix_reaches_only_its_events(hidden_vocabulary, search):
    assert ids(search("qqz*", PARTNER)) == [2]
    assert sorted(ids(search("qqz*", RESEARCHER))) == [2, 3]


def test_staff_still_hear_that_a_prefix_matches_many_words(hidden_vocabulary, search):
    page = search("qqzh*", STAFF)
    assert ids(page) == [1]
    assert "matches many words" in page.notice


def test_many_visible_words_are_ranked_by_visible_documents(add, search):
    for n in range(PREFIX_TERMS + 5):
        add(10 + n, f"qqzv{n:03d}", event_id=2, granted_org_ids=(7,))
    page = search("qqzv*", PARTNER, per_page=100)
    assert len(ids(page)) == PREFIX_TERMS
    assert "matches many words" in page.notice
