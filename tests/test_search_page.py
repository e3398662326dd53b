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
