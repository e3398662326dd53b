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


def test_facet_counts_for_matching_documents(archive, search):
    page = search("budget", RESEARCHER)
    assert facet(page, "event") == {
        "2": ("Astana Forum", 3, False),
        "1": ("Baku ICT Week", 2, False),
    }
    assert facet(page, "year") == {"2023": ("2023", 3, False), "2022": ("2022", 2, False)}
    assert list(facet(page, "year")) == ["2023", "2022"]  # years newest first
    assert facet(page, "type") == {
        "presentation": ("Presentations", 4, False),
        "photo": ("Photos", 1, False),
    }
    assert facet(page, "org") == {
        "UNDP": ("UNDP", 2, False),
        "ASAN": ("ASAN", 1, False),
        "OECD": ("OECD", 2, False),
    }
    assert facet(page, "lang") == {"en": ("English", 2, False), "ru": ("Russian", 2, False)}
    assert page.total_hits == 5


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
    assert facet(page, "org")["OECD"][1] == 2


def test_selected_facet_value_without_matches_is_still_listed(archive, search):
    page = search("budget", RESEARCHER, filters={"event": ("99",)})
    assert page.total_hits == 0
    assert facet(page, "event")["99"] == ("99", 0, True)


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
