"""The search page, the list of one deck's matching pages and the viewer keep the reader's
place (issue 14): browsing start, chips, item counts, page marks and the way back."""

from __future__ import annotations

import re
from datetime import date

import pytest

from archive import accounts, pipeline
from archive.extensions import db
from tests.conftest import csrf_token_from


@pytest.fixture
def library(app, make_event, make_presentation, make_photo):
    """Two events; a long deck whose pages 2, 5 and 9 mention budgets; a staff-only deck."""
    baku = make_event("baku-2023", "Baku workshop", start_date=date(2023, 7, 25))
    almaty = make_event("almaty-2024", "Almaty forum", start_date=date(2024, 4, 16))
    texts = ["intro"] * 12
    for n in (2, 5, 9):
        texts[n - 1] = f"page {n} on the budget . . . . . . . . 12\nwith line\nbreaks"
    deck = make_presentation(baku, "Finance deck", pages=tuple(texts), speakers="Ann Lee")
    other = make_presentation(almaty, "Open budgets", pages=("budget portals",), speakers="Bo")
    hidden = make_presentation(baku, "Secret budget", pages=("budget secret",), visibility="staff")
    photo = make_photo(baku, "Budget hearing", taken_at=date(2009, 1, 1))
    pipeline.reindex_items([deck.id, other.id, hidden.id, photo.id])
    return {"deck": deck, "other": other, "hidden": hidden, "photo": photo}


def facet_counts(html: str, title: str) -> dict[str, str]:
    section = html.split(f"<h2>{title}</h2>", 1)[1].split("</section>", 1)[0]
    labels = re.findall(r"</span>\s*([^<]+?)\s*</a> <span class=\"count\">(\d+)</span>", section)
    labels += re.findall(r'">\s*([^<]+?)\s*</a> <span class="count">(\d+)</span>', section)
    return {label.strip(): count for label, count in labels}


def test_the_empty_search_page_is_a_browsing_start(client, login_as, library):
    login_as("researcher")
    page = client.get("/search/").data.decode()
    assert "Recent events" in page and "Recently added" in page
    assert "Baku workshop" in page and "Open budgets" in page
    assert 'class="result card"' not in page  # no list of every deck when nothing was asked
    counts = [(n, word) for n, word in re.findall(r"<strong>(\d+)</strong> (\w+)", page)]
    # 12 + 1 pages that researchers may see; the staff-only deck is not counted
    assert counts == [("2", "events"), ("2", "presentations"), ("13", "pages"), ("1", "photo")]
    assert "Secret budget" not in page


def test_results_show_item_counts_chips_a_skip_link_and_a_photo_grid(client, login_as, library):
    login_as("researcher")
    page = client.get("/search/?q=budget").data.decode()
    assert '<a class="skip-link" href="#results">' in page and 'id="results"' in page
    assert facet_counts(page, "Type") == {"Presentations": "2", "Photos": "1"}  # not pages
    assert facet_counts(page, "Year") == {"2024": "1", "2023": "2"}  # the photo: its event's
    assert facet_counts(page, "Speaker") == {"Ann Lee": "1", "Bo": "1"}
    assert 'class="photo-grid"' in page
    assert "2 more matching pages" in page
    filtered = client.get("/search/?q=budget&year=2023&speaker=Ann+Lee").data.decode()
    chips = re.findall(r'<a class="chip" href="([^"]+)"><span>([^<]+)</span>', filtered)
    assert [label for _, label in chips] == ["Year: 2023", "Speaker: Ann Lee"]
    assert "Clear all filters" in filtered
    assert all("year=2023" not in href for href, label in chips if label.startswith("Year"))


def test_a_snippet_is_short_and_flowing(client, login_as, library):
    login_as("researcher")
    page = client.get("/search/?q=budget").data.decode()
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page, re.S).group(1)
    assert "\n" not in snippet and ". . ." not in snippet and len(snippet) < 300


def test_every_matching_page_of_a_deck_is_listed_and_opens_the_viewer(client, login_as, library):
    login_as("researcher")
    deck = library["deck"]
    page = client.get(f"/search/presentations/{deck.id}?q=budget&year=2023&rpage=2").data.decode()
    links = re.findall(rf'href="(/presentations/{deck.id}\?[^"]+)">Page (\d+)</a>', page)
    assert [n for _, n in links] == ["2", "5", "9"]
    assert all(
        "q=budget" in href and "year=2023" in href and "rpage=2" in href for href, _ in links
    )
    back = re.search(r'href="([^"]+)">← Back to the results', page).group(1)
    assert back.startswith("/search/?") and all(
        part in back for part in ("page=2", "q=budget", "year=2023")
    )


def test_the_viewer_marks_matches_and_leads_back_to_the_results(client, login_as, library):
    login_as("researcher")
    deck = library["deck"]
    page = client.get(f"/presentations/{deck.id}?page=5&q=budget&year=2023&rpage=2").data.decode()
    strip = page.split('class="thumb-strip"', 1)[1]
    assert re.findall(
        r'<li class="[^"]*\bmatch\b[^"]*">\s*<a href="[^"]*?[?&;]page=(\d+)', strip
    ) == ["2", "5", "9"]
    assert re.search(r'id="prev-match" href="[^"]*?[?&;]page=2', page)
    assert re.search(r'id="next-match" href="[^"]*?[?&;]page=9', page)
    back = re.search(r'class="back-to-results" href="([^"]+)"', page).group(1)
    assert back.startswith("/search/?") and "q=budget" in back and "page=2" in back
    assert "<mark>budget</mark>" in page
    assert strip.count('tabindex="-1"') == 11  # one Tab stop for the strip: the current page
    assert 'id="page-number" name="page" type="number"' in page
    assert f'data-copy="http://localhost/presentations/{deck.id}?page=5"' in page


def test_the_viewer_meta_line_has_no_stray_separator(
    client, login_as, make_event, make_presentation
):
    login_as("researcher")
    deck = make_presentation(make_event(), "Plain", pages=("a", "b"), speakers="", organisation="")
    page = client.get(f"/presentations/{deck.id}").data.decode()
    meta = re.search(r'<p class="meta">(.*?)</p>', page.split("viewer-head")[1], re.S).group(1)
    assert meta.strip() == "2 pages"


def not_found_body(response) -> str:
    """The page without its address and its CSRF token: the token is signed with the time in
    seconds, so two requests a second apart carry different ones (the session's secret is
    the same; one request's page carries one token wherever it appears)."""
    text = re.sub(r"/presentations/\d+|/no/such/page", "", response.data.decode())
    return text.replace(csrf_token_from(text), "")


def test_a_partner_gets_one_not_found_page_for_hidden_and_missing(app, client, make_user, library):
    accounts.add_grant(library["other"].event, accounts.find_or_create_organisation("UNDP"))
    db.session.commit()
    make_user("pat", "partner", "UNDP")
    client.post("/login", data={"username": "pat", "password": "correct horse battery"})
    hidden = client.get(f"/presentations/{library['deck'].id}")
    missing = client.get("/presentations/999999")
    nowhere = client.get("/no/such/page")
    assert hidden.status_code == missing.status_code == nowhere.status_code == 404
    assert not_found_body(hidden) == not_found_body(missing) == not_found_body(nowhere)
    text = hidden.data.decode()
    assert "This page does not exist or has not been shared with UNDP." in text
    assert "requested URL was not found" not in text


def test_the_contact_from_configuration_is_named(tmp_path, make_user):
    from tests.conftest import make_app

    app = make_app(tmp_path / "c", CONTACT="archive@example.org")
    client = app.test_client()
    with app.app_context():
        accounts.create_user("pat", "correct horse battery", "partner", "UNDP")
        db.session.commit()
    client.post("/login", data={"username": "pat", "password": "correct horse battery"})
    text = client.get("/events/nowhere").data.decode()
    assert '<a href="mailto:archive%40example.org">archive@example.org</a>' in text


def test_the_viewer_marks_matched_words_on_the_page_image(
    app, client, login_as, make_event, make_pdf
):
    from archive import ingest
    from archive.pipeline import process_item
    from archive.services import current_storage

    login_as("researcher")
    event = make_event()
    path = make_pdf([["Open procurement portals", "publish every tender"], ["Nothing here"]])
    with path.open("rb") as stream:
        outcome = ingest.accept_file(
            current_storage(), stream, "p.pdf", event, None, ingest.ItemFields(title="Deck")
        )
    db.session.commit()
    assert process_item(outcome.item.id, "test") == "ready"
    page = client.get(f"/presentations/{outcome.item.id}?page=1&q=procurement").data.decode()
    rects = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)">', page)
    assert len(rects) == 1  # one word, on one line
    x, y, width, height = map(float, rects[0])
    assert 0.05 < x < 0.3 and 0 < y < 0.2 and 0.1 < width < 0.4 and 0 < height < 0.1
    assert (
        'class="hit-boxes"'
        not in client.get(f"/presentations/{outcome.item.id}?page=1").data.decode()
    )
    other = client.get(f"/presentations/{outcome.item.id}?page=2&q=procurement").data.decode()
    assert "<rect" not in other
