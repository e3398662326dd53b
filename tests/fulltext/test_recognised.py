"""Text recognised by OCR in the index: found like any text, flagged in results, and its
low-confidence words never offered as "did you mean"."""

from __future__ import annotations

from archive.fulltext import PageText
from tests.fulltext.fulltext_helpers import RESEARCHER, STAFF, make_item


def test_a_low_confidence_word_is_searchable_but_never_suggested(index, search):
    recognised = PageText(1, None, "the zebrafinch census", None, ("zebrafinch",), True)
    index.index_item(make_item(1), [recognised])
    assert search("zebrafinch").total_hits == 1
    assert search("zebrafnch").suggestion is None
    assert index.suggest("zebrafnch", STAFF) is None


def test_the_same_word_read_with_confidence_elsewhere_is_suggested(index, search):
    index.index_item(make_item(1), [PageText(1, None, "zebrafinch", None, ("zebrafinch",), True)])
    index.index_item(make_item(2), [PageText(1, None, "zebrafinch notes", None)])
    assert search("zebrafnch").suggestion == "zebrafinch"


def test_a_suggestion_needs_a_confident_page_within_the_scope(index):
    index.index_item(make_item(1), [PageText(1, None, "zebrafinch", None, ("zebrafinch",), True)])
    index.index_item(make_item(2, visibility="staff"), [PageText(1, None, "zebrafinch", None)])
    assert index.suggest("zebrafnch", STAFF) == "zebrafinch"
    assert index.suggest("zebrafnch", RESEARCHER) is None


def test_results_say_which_pages_and_photos_were_recognised(index, search):
    index.index_item(
        make_item(1),
        [PageText(1, None, "budget layer", None), PageText(2, None, "budget scan", None, (), True)],
    )
    index.index_item(
        make_item(2, kind="photo", title=""), [PageText(1, None, "budget slide", None, (), True)]
    )
    result = search("budget", per_page=10, pages_per_group=5)
    hits = {h.page: h.recognised for h in [result.groups[0].best, *result.groups[0].more]}
    assert hits == {1: False, 2: True}
    assert result.photos[0].recognised and "<mark>budget</mark>" in result.photos[0].snippet
