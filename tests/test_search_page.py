"""The search page as served: an index from an older schema, and "showing results for"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import indexing
from archive.fulltext.whoosh.generations import CURRENT


@pytest.fixture
def event(make_event):
    return make_event("baku-2023", "Digital Baku")


def test_an_index_of_an_older_schema_asks_for_reindex_and_reindex_fixes_it(
    app, client, login_as, event, make_presentation, runner
):
    deck = make_presentation(event, "Survey", pages=("the digital divide persists",))
    indexing.index_item(deck.id)
    pointer_file = Path(app.config["INDEX_DIR"]) / CURRENT
    pointer = json.loads(pointer_file.read_text())
    pointer_file.write_text(json.dumps({**pointer, "schema_version": 1}))  # before this release
    login_as("researcher")
    response = client.get("/search/?q=digital")
    assert response.status_code == 503
    assert "flask --app archive reindex" in response.data.decode()
    api = client.get("/api/v1/search?q=digital")
    assert api.status_code in (404, 503)  # the API may not have a search route; never a 500
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    response = client.get("/search/?q=digital")
    assert response.status_code == 200 and "Survey" in response.data.decode()


def test_a_query_with_no_result_shows_the_suggestions_results_at_once(
    client, login_as, event, make_presentation
):
    deck = make_presentation(event, "Survey", pages=("the digital divide persists",))
    indexing.index_item(deck.id)
    login_as("researcher")
    html = client.get("/search/?q=digitl+divide").data.decode()
    assert "Showing results for <strong>digital divide</strong>" in html
    assert 'href="/search/?q=digitl+divide&amp;verbatim=1">digitl divide</a>' in html
    assert "Survey" in html and "<mark>digital</mark>" in html
    verbatim = client.get("/search/?q=digitl+divide&verbatim=1").data.decode()
    assert "Nothing found" in verbatim and "Showing results for" not in verbatim
    assert "Did you mean" in verbatim


def test_no_correction_reaches_past_the_scope(client, login_as, event, make_presentation):
    hidden = make_presentation(event, "Lab notes", pages=("zebrafinch",), visibility="staff")
    indexing.index_item(hidden.id)
    login_as("researcher")
    html = client.get("/search/?q=zebrafnch").data.decode()
    assert "Showing results for" not in html and "zebrafinch" not in html
    assert "Nothing found" in html
