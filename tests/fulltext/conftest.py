"""Fixtures for the full-text tests: an index of each backend and small helpers around it.

`index` is parametrised over the backends, so every test that uses it (or `add`/`search`)
runs against Whoosh (in tmp_path) and PostgreSQL (in a database of its own). Where the two
cannot give the same answer, the test says why with `differs_on_postgresql`.
"""

from __future__ import annotations

import pytest

from archive.fulltext import AccessScope, ItemDoc, SearchRequest
from archive.fulltext.postgres import PostgresIndex
from archive.fulltext.whoosh import SearchIndex
from tests.fulltext.fulltext_helpers import STAFF, make_item, pages


@pytest.fixture(params=["whoosh", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def index(backend, tmp_path, request):
    if backend == "whoosh":
        ix = SearchIndex(tmp_path / "index", lock_timeout=60)
    else:
        ix = PostgresIndex(
            request.getfixturevalue("postgres_databases").search_dsn(), lock_timeout=60
        )
    yield ix
    ix.close()


@pytest.fixture
def add(index):
    """add(item_id, *page_texts, **item_fields): index one item and return its ItemDoc."""

    def add_item(item_id: int, *texts: str, language: str | None = None, **fields) -> ItemDoc:
        item = make_item(item_id, **fields)
        if item.kind == "photo":
            index.index_item(item, pages(*(texts or (item.title,)), language=language))
        else:
            index.index_item(item, pages(*texts, language=language))
        return item

    return add_item


@pytest.fixture
def search(index):
    """search(text, scope=STAFF, **request_fields) -> SearchPage."""

    def run(text: str, scope: AccessScope = STAFF, **fields):
        return index.search(SearchRequest(text, scope, **fields))

    return run
