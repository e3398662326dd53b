"""Facets, snippets, highlighting and did-you-mean."""

from __future__ import annotations

from datetime import date

import pytest
from markupsafe import Markup

from archive.fulltext import highlight_text
from tests.fulltext.fulltext_helpers import RESEARCHER, ids


@pytest.fixture
def archive(add):
    add(
        1,
        "budget report",
        event_id=1,
        event_title="Baku ICT Week",
        day=date(2022, 5, 1),
        organisations=("UNDP", "ASAN"),
        language="en",
    )
    add(
        2,
        "budget plan",
        "budget annex",
        event_id=2,
        event_title="Astana Forum",
        day=date(2023, 6, 1),
        organisations=("OECD",),
        language="ru",
    )
    add(
        3,
        "budget notes",
        event_id=2,
        event_title="Astana Forum",
        day=date(2023, 6, 1),
        organisations=("UNDP",),
        language="en",
    )
    add(
        4,
        kind="photo",
        title="Budget session",
        event_id=1,
        event_title="Baku ICT Week",
        day=date(2022, 5, 2),
        organisations=(),
    )
    add(
        5,
        "budget secrets",
        visibility="staff",
        event_id=3,
        event_title="Closed meeting",
        day=date(2021, 1, 1),
        organisations=("Secret Org",),
        language="az",
    )


def facet(page, name) -> dict[str, tuple[str, int, bool]]:
    return {v.value: (v.label, v.count, v.selected) for v in page.facets[name]}


def test_facet_counts_count_items_not_pages(archive, search):
    page = search("budget", RESEARCHER)
    assert facet(page, "event") == {
        "2": ("Astana Forum", 2, False),  # deck 2 matches on two pages: it counts once
        "1": ("Baku ICT Week", 2, False),
    }
    assert facet(page, "year") == {"2023": ("2023", 2, False), "2022": ("2022", 2, False)}
    assert list(facet(page, "year")) == ["2023", "2022"]  # years newest first
    assert facet(page, "type") == {
        "presentation": ("Presentations", 3, False),
        "photo": ("Photos", 1, False),
    }
    assert facet(page, "org") == {
        "UNDP": ("UNDP", 2, False),
        "ASAN": ("ASAN", 1, False),
        "OECD": ("OECD", 1, False),
    }
    assert facet(page, "lang") == {"en": ("English", 2, False), "ru": ("Russian", 1, False)}
    assert facet(page, "speaker") == {"Ann Speaker": ("Ann Speaker", 4, False)}
    assert page.total_hits == 5


def test_the_year_facet_uses_the_event_year_not_the_camera_date(add, search):
    add(1, kind="photo", title="Budget photo", day=date(2023, 7, 25), item_date=date(2009, 1, 1))
    page = search("budget", RESEARCHER)
    assert facet(page, "year") == {"2023": ("2023", 1, False)}
    assert [p.item_id for p in search("budget year:2023", RESEARCHER).photos] == [1]


def test_the_speaker_facet_lists_and_filters_speakers(add, search):
    add(1, "budget one", speakers=("Ann Lee", "Bo Kim"))
    add(2, "budget two", "budget three", speakers=("Bo Kim",))
    page = search("budget", RESEARCHER)
    assert facet(page, "speaker") == {
        "Bo Kim": ("Bo Kim", 2, False),
        "Ann Lee": ("Ann Lee", 1, False),
    }
    page = search("budget", RESEARCHER, filters={"speaker": ("Ann Lee",)})
    assert ids(page) == [1]
    assert facet(page, "speaker")["Ann Lee"] == ("Ann Lee", 1, True)


def test_facet_selection_or_within_and_across(archive, search):
    page = search("budget", RESEARCHER, filters={"org": ("UNDP", "OECD")})
    assert sorted(ids(page)) == [1, 2, 3]
    page = search("budget", RESEARCHER, filters={"org": ("UNDP",), "year": ("2023",)})
    assert ids(page) == [3]
    # A facet's own counts ignore its own selection, so more values can be added ...
    assert facet(page, "year")["2022"][1] == 1
    assert facet(page, "year")["2023"] == ("2023", 1, True)
    # ... while other facets count with it.
    assert facet(page, "org")["UNDP"] == ("UNDP", 1, True)
    assert facet(page, "org")["OECD"][1] == 1


def test_selected_facet_value_without_matches_is_still_listed(archive, search):
    page = search("budget", RESEARCHER, filters={"event": ("99",)})
    assert page.total_hits == 0
    assert facet(page, "event")["99"] == ("99", 0, True)


def test_an_event_selection_that_is_no_number_selects_nothing_and_fails_nothing(archive, search):
    page = search("budget", RESEARCHER, filters={"event": ("x1",), "session": ("x",)})
    assert page.total_hits == 0
    assert facet(page, "event")["x1"] == ("x1", 0, True)


def test_unknown_facet_is_ignored_with_a_notice(archive, search):
    page = search("budget", RESEARCHER, filters={"colour": ("red",)})
    assert page.total_hits == 5
    assert "colour" in page.notice


def test_type_and_event_selections(archive, search):
    page = search("budget", RESEARCHER, filters={"type": ("photo",)})
    assert page.groups == [] and [p.item_id for p in page.photos] == [4]
    page = search("budget", RESEARCHER, filters={"event": ("1",)})
    assert ids(page) == [1] and [p.item_id for p in page.photos] == [4]


def test_snippets_escape_html_and_mark_hits(add, search):
    add(1, 'Budget <script>alert("x")</script> & more <b>budget</b>')
    snippet = search("budget").groups[0].best.snippet
    assert isinstance(snippet, Markup)
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "&amp; more &lt;b&gt;<mark>budget</mark>&lt;/b&gt;" in snippet
    assert snippet.startswith("<mark>Budget</mark>")


def test_snippet_is_a_window_around_the_hits(add, search):
    filler = " ".join(f"word{n}" for n in range(200))
    add(1, f"{filler} the digital divide matters {filler}")
    snippet = search('"digital divide"').groups[0].best.snippet
    assert "<mark>digital</mark> <mark>divide</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) < 400


def test_snippet_without_a_hit_in_the_text_starts_the_page(add, search):
    add(1, "opening words of the page", title="Budget")
    snippet = search("budget").groups[0].best.snippet
    assert snippet == Markup("opening words of the page")


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("The governments", ("government",), "The <mark>governments</mark>"),
        ("Hökumət <i>", ("hokumet",), "<mark>Hökumət</mark> &lt;i&gt;"),
        ("e-Government", ("government",), "e-<mark>Government</mark>"),
        ("governance gov", ("gov*",), "<mark>governance</mark> <mark>gov</mark>"),
        ("Правительства РФ", ("правительство",), "<mark>Правительства</mark> РФ"),
        ("中文字符", ("文字",), "中<mark>文字</mark>符"),
        ("digital divide", ("digital divide",), "<mark>digital</mark> <mark>divide</mark>"),
        ("nothing", (), "nothing"),
    ],
)
def test_highlight_text(text, terms, expected):
    assert highlight_text(text, terms) == expected


def test_search_terms_drive_the_viewer_highlight(add, search):
    add(1, "Governments of Azerbaijan")
    page = search("governments -azerbaijan OR government")
    assert "government" in page.terms
    assert highlight_text("a government", page.terms) == Markup("a <mark>government</mark>")


def test_did_you_mean_from_the_vocabulary(add, search):
    add(1, "the digital divide in rural areas")
    page = search("digitl divide")
    assert page.total_hits == 0
    assert page.suggestion == "digital divide"


def test_no_suggestion_when_results_are_plentiful(add, search):
    for n in range(5):
        add(n, "digital divide")
    assert search("digital divide").suggestion is None


def test_no_suggestion_when_the_corrected_query_finds_nothing(add, search):
    add(1, "digital divide")
    add(2, "rural areas")
    assert search("digitl areas").suggestion is None


def test_a_snippet_is_one_flowing_line(add, search):
    add(1, "Digital\ngovernment\n\n  services\r\nfor   every\tcitizen")
    snippet = search("government").groups[0].best.snippet
    assert snippet == "Digital <mark>government</mark> services for every citizen"


def test_dot_leaders_of_a_contents_page_collapse(add, search):
    leaders = "\n".join(
        f"Chapter {n} budget . . . . . . . . . . . . . . . {n * 7}" for n in range(1, 4)
    )
    add(1, leaders + "\n" + ".\n" * 300)
    snippet = search("budget").groups[0].best.snippet
    assert ". . ." not in snippet and "\n" not in snippet
    assert "Chapter 1 <mark>budget</mark> … 7" in snippet
    assert len(snippet) < 260


def test_match_pages_lists_every_matching_page_of_one_deck_within_scope(add, index):
    from archive.fulltext import SearchRequest

    add(1, "budget", "nothing", "budget again", "more budget")
    add(2, "budget elsewhere")
    add(3, "budget secret", visibility="staff")
    found = index.match_pages(SearchRequest("budget", RESEARCHER), 1)
    assert (found.item_id, found.pages) == (1, (1, 3, 4))
    assert "budget" in found.terms
    assert index.match_pages(SearchRequest("budget", RESEARCHER), 3).pages == ()
