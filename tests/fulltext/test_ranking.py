"""Ranking on what real decks do: each case with a generated fixture (issue 12)."""

from __future__ import annotations

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
