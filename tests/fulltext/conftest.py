"""Fixtures for the full-text tests: an index in tmp_path and small helpers around it."""

from __future__ import annotations

import pytest

from archive.fulltext import AccessScope, ItemDoc, SearchRequest
from archive.fulltext.whoosh import SearchIndex
from tests.fulltext.fulltext_helpers import STAFF, make_item, pages


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index", lock_timeout=60)
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
