"""Ranking on what real decks do: each case with a generated fixture (issue 12)."""

from __future__ import annotations

import pytest

from archive.fulltext import SearchRequest
from tests.fulltext.fulltext_helpers import RESEARCHER, STAFF, ids


def test_no_result_with_a_confident_correction_answers_with_the_corrections_results(index, add):
    add(1, "the digital divide in rural areas")
    add(2, "broadband for schools")
    page = index.search(SearchRequest("digitl divide", STAFF, autocorrect=True))
    assert page.corrected_from == "digitl divide"
    assert page.query_text == "digital divide" and ids(page) == [1]
    assert page.total_hits == 1 and page.suggestion is None
    plain = index.search(SearchRequest("digitl divide", STAFF))
    assert plain.total_hits == 0 and plain.corrected_from is None
    assert plain.suggestion == "digital divide"


def test_autocorrect_leaves_queries_with_results_and_hidden_corrections_alone(index, add):
    add(1, "zebrafinch migration", visibility="staff")
    add(2, "budget notes")
    hidden = index.search(SearchRequest("zebrafnch", RESEARCHER, autocorrect=True))
    assert hidden.total_hits == 0 and hidden.corrected_from is None and hidden.groups == []
    found = index.search(SearchRequest("budget", RESEARCHER, autocorrect=True))
    assert found.corrected_from is None and ids(found) == [2]


# Beamer overlays: one slide built up over pages 29-31


BUILD_UP = [
    "Open data in practice: portals publish budgets",
    "Open data in practice: portals publish budgets; registries expose procurement",
    "Open data in practice: portals publish budgets; registries expose procurement; "
    "citizens reuse the data in apps",
]


def overlay_deck() -> list[str]:
    other = [f"slide {n} about broadband and schools" for n in range(1, 29)]
    return [*other, *BUILD_UP, "questions and answers"]


def test_overlay_runs_are_found_from_the_page_texts():
    from archive.fulltext.overlays import complete_pages
    from tests.fulltext.fulltext_helpers import pages

    runs = complete_pages(pages(*overlay_deck()))
    assert runs == {29: 31, 30: 31, 31: 31}
    assert complete_pages(pages("alpha beta gamma", "delta epsilon zeta")) == {}
    same = complete_pages(pages("a b c d", "a b c d", "other words here"))
    assert same == {1: 2, 2: 2}  # the same page twice (an overlay that only recolours)


def test_an_overlay_run_is_one_hit_on_its_complete_page(add, search):
    add(1, *overlay_deck(), title="Open government")
    page = search("portals budgets")
    best = page.groups[0].best
    assert (best.page, best.first_page) == (31, 29)
    assert "citizens reuse" in best.snippet
    assert page.groups[0].more_count == 0


def test_only_the_matching_part_of_a_run_is_its_range(add, search):
    add(1, *overlay_deck())
    best = search("registries procurement").groups[0].best
    assert (best.page, best.first_page) == (31, 30)
    only_last = search("citizens apps").groups[0].best
    assert (only_last.page, only_last.first_page) == (31, None)


def test_pages_outside_runs_are_hits_of_their_own(add, search):
    add(1, "broadband in schools", "broadband for clinics", "rural broadband")
    group = search("broadband").groups[0]
    assert all(hit.first_page is None for hit in [group.best, *group.more])
    assert group.more_count == 2


# Chinese: a phrase lands on the page that holds it


CHINESE_DECK = [
    "数字政府建设与治理",  # the title slide
    "政府服务平台的建设：数据共享",
    "推进数字政府建设，提升\n政务服务效率",  # the phrase runs across a line break
    "数字经济发展与政府监管",
    "总结与展望",
]


@pytest.mark.parametrize("query", ["提升政务服务", '"提升政务服务"', "政务服务效率"])
def test_a_chinese_phrase_lands_on_the_page_that_holds_it(add, search, query):
    add(1, *CHINESE_DECK, title="数字政府建设与治理")  # every page matches by its title
    add(2, "数字 经济", "政府")
    group = search(query).groups[0]
    assert (group.item_id, group.best.page) == (1, 3)
    assert "<mark>" in group.best.snippet


def test_a_chinese_phrase_matches_in_order_only(add, search):
    add(1, "服务政务", "政务服务")
    assert [g.best.page for g in search('"政务服务"').groups] == [2]


# Title queries: the deck whose title matches, above a manual that repeats the words


def long_manual() -> list[str]:
    filler = "public service delivery budget reform agency citizens registry training".split()
    return [
        " ".join(filler[(n + k) % len(filler)] for k in range(60))
        + " an open data portal; open data portal users; the portal publishes open data"
        for n in range(300)
    ]


@pytest.mark.parametrize("query", ["open data portal", '"open data portal"', "Open Data Portal"])
def test_the_deck_whose_title_matches_ranks_above_a_long_manual(add, search, query):
    add(1, "Administrator manual", *long_manual(), title="Open government data: a manual")
    # The title slide is a picture: the deck's text never repeats its title.
    add(2, "", "broadband for schools", "budget and reform", title="Open Data Portal")
    for n in range(3, 12):  # other decks sharing some of the title words
        add(n, "registry training", title=f"Open {['budget', 'agency', 'reform'][n % 3]}")
    assert search(query).groups[0].item_id == 2


def test_phrase_positions_are_evicted_from_the_cache_like_postings(index, add):
    """Positional values sit in the postings LRU beside the arrays; evicting them must work."""
    from archive.fulltext.whoosh.evaluator import _Lru

    cache = _Lru(max_weight=10)
    cache.put(("body_s", "a", "values"), (None, [b"\\x01"] * 6), 6)
    cache.put(("body_s", "b"), ("ids", "tf"), 6)  # evicts the first entry
    assert list(cache) == [("body_s", "b")] and cache.weight == 6
    add(1, "open data portal " * 50)
    segment = next(iter(index._current_view().parts))[0]
    segment.postings.max_weight = 1  # every new entry evicts the one before
    for words in ('"open data"', '"data portal"', '"portal open"', '"open data portal"'):
        assert index.search(SearchRequest(words, STAFF)).total_hits == 1
