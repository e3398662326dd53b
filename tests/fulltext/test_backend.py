"""The backend interface: the factory, the protocol's methods, and the Whoosh version pin."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import whoosh

import archive.fulltext.analysis as analysis_module
from archive.fulltext import (
    FulltextError,
    IndexBusyError,
    IndexedAccess,
    IndexStats,
    SearchBackend,
    SearchRequest,
    UnknownBackendError,
    UnsupportedWhooshVersion,
    open_backend,
)
from archive.fulltext.postgres import PostgresIndex
from archive.fulltext.whoosh import SearchIndex
from archive.fulltext.whoosh.internals import (
    VERIFIED_WHOOSH_VERSION,
    check_whoosh_version,
    installed_whoosh_version,
)
from archive.fulltext.whoosh.tokenizer import ArchiveTokenizer
from tests.fulltext.fulltext_helpers import RESEARCHER, STAFF, ids, make_item, pages

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"
PROTOCOL_METHODS = sorted(
    name
    for name, value in vars(SearchBackend).items()
    if inspect.isfunction(value) and not name.startswith("_")
)


def test_open_backend_gives_a_working_whoosh_index(tmp_path):
    index = open_backend("whoosh", path=tmp_path / "index", lock_timeout=30)
    try:
        assert isinstance(index, SearchBackend)
        index.index_item(make_item(1), pages("quarterly budget"))
        assert ids(index.search(SearchRequest("budget", STAFF))) == [1]
    finally:
        index.close()


def test_an_unknown_backend_is_a_typed_error_naming_the_known_ones(tmp_path):
    with pytest.raises(
        UnknownBackendError, match=r"'elastic'.*knows: postgresql, whoosh"
    ) as raised:
        open_backend("elastic", path=tmp_path)
    assert isinstance(raised.value, FulltextError)


@pytest.mark.parametrize("backend_class", [SearchIndex, PostgresIndex])
@pytest.mark.parametrize("method", PROTOCOL_METHODS)
def test_each_backend_takes_every_protocol_parameter(method, backend_class):
    wanted = inspect.signature(getattr(SearchBackend, method)).parameters
    offered = inspect.signature(getattr(backend_class, method)).parameters
    assert list(offered)[: len(wanted)] == list(wanted)
    extra = list(offered.values())[len(wanted) :]
    assert all(p.default is not inspect.Parameter.empty for p in extra)


def test_protocol_lists_what_callers_use():
    assert PROTOCOL_METHODS == sorted(
        [
            "check",
            "close",
            "doc_count",
            "index_item",
            "index_items",
            "item_access",
            "item_ids",
            "match_pages",
            "rebuild",
            "remove_event",
            "remove_item",
            "search",
            "stats",
            "suggest",
            "warm_up",
            "writing",
        ]
    )


def test_item_access_reports_each_items_visibility_event_and_grants(index, add):
    add(1, "page one", "page two", visibility="staff", event_id=4, granted_org_ids=(7, 9))
    add(2, kind="photo", title="a photo", event_id=5)
    access = index.item_access()
    assert access[1] == IndexedAccess(frozenset({"staff"}), frozenset({4}), frozenset({7, 9}))
    assert access[2] == IndexedAccess(frozenset({"shared"}), frozenset({5}), frozenset())
    index.remove_item(1)
    assert set(index.item_access()) == {2}


def test_writing_is_reentrant_and_excludes_other_writers(tmp_path, index, add, backend):
    if backend == "whoosh":
        other = open_backend("whoosh", path=index.path, lock_timeout=0.2)
    else:
        other = open_backend("postgresql", dsn=index.dsn, lock_timeout=0.2)
    try:
        with index.writing():
            add(1, "written while holding the lock")  # takes the lock again: no deadlock
            with pytest.raises(IndexBusyError):
                other.index_item(make_item(2), pages("another process's writer"))
        other.index_item(make_item(2), pages("after the lock is released"))
        assert index.item_ids() == {1, 2}
    finally:
        other.close()


def test_stats_describe_the_index_in_use(index, add, backend):
    add(1, "page one", "page two")
    add(2, kind="photo", title="a photo")
    stats = index.stats()
    assert isinstance(stats, IndexStats)
    assert (stats.backend, stats.documents, stats.items) == (backend, 3, 2)
    where = str(index.path) if backend == "whoosh" else index.location()
    assert stats.location == where
    assert stats.generation == "gen-000001"
    assert stats.size_bytes > 0
    report = index.rebuild([(make_item(1), pages("only page"))])
    assert index.stats().generation == report.generation != stats.generation
    assert (index.stats().documents, index.stats().items) == (1, 1)


def test_suggest_is_the_search_pages_suggestion_within_the_scope(index, add, search):
    add(1, "zebrafinch migration", visibility="staff")
    add(2, "budget notes")
    assert index.suggest("zebrafnch", STAFF) == search("zebrafnch").suggestion == "zebrafinch"
    assert index.suggest("zebrafnch", RESEARCHER) is None
    assert index.suggest("budgit", RESEARCHER) == "budget"
    assert index.suggest("budget", RESEARCHER) is None


def test_warm_up_creates_and_opens_an_empty_index(tmp_path):
    index = SearchIndex(tmp_path / "index")
    try:
        index.warm_up()
        assert index.doc_count() == 0
        assert (tmp_path / "index" / "CURRENT").exists()
    finally:
        index.close()


def test_an_index_pickled_before_the_tokenizer_moved_still_opens(tmp_path, monkeypatch):
    # Whoosh pickles the schema, naming each analyzer's module; the tokenizer used to live
    # in archive.fulltext.analysis. Write an index whose pickle names that old place.
    with monkeypatch.context() as patch:
        patch.setattr(ArchiveTokenizer, "__module__", analysis_module.__name__)
        patch.setattr(analysis_module, "ArchiveTokenizer", ArchiveTokenizer, raising=False)
        old = SearchIndex(tmp_path / "index")
        old.index_item(make_item(1), pages("quarterly budget"))
        old.close()
    (toc,) = (tmp_path / "index").glob("gen-*/*.toc")
    assert b"archive.fulltext.analysis" in toc.read_bytes()
    assert not hasattr(analysis_module, "ArchiveTokenizer")  # unpickling it would fail
    index = SearchIndex(tmp_path / "index")
    try:
        index.check()
        assert ids(index.search(SearchRequest("budget", STAFF))) == [1]
        index.index_item(make_item(2), pages("annual budget"))
        assert sorted(ids(index.search(SearchRequest("budget", STAFF)))) == [1, 2]
    finally:
        index.close()


# ---------------------------------------------------------------------------- Whoosh version


def test_the_installed_whoosh_is_the_verified_one():
    assert installed_whoosh_version() == VERIFIED_WHOOSH_VERSION
    check_whoosh_version()


def test_requirements_pin_the_verified_whoosh():
    pins = re.findall(r"^Whoosh-Reloaded==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE)
    assert pins == [VERIFIED_WHOOSH_VERSION]


@pytest.mark.parametrize("other", ["2.7.4", "2.7.6", "3.0.0"])
def test_another_whoosh_is_refused_with_both_versions_and_what_to_do(other):
    with pytest.raises(UnsupportedWhooshVersion) as raised:
        check_whoosh_version(other)
    message = str(raised.value)
    assert f"Whoosh {other} is installed" in message
    assert f"verified with Whoosh {VERIFIED_WHOOSH_VERSION}" in message
    assert "tests/fulltext/test_engine.py" in message
    assert isinstance(raised.value, FulltextError)


def test_opening_an_index_with_another_whoosh_fails_at_start(tmp_path, monkeypatch):
    monkeypatch.setattr(whoosh, "versionstring", lambda: "2.8.0")
    with pytest.raises(UnsupportedWhooshVersion, match="Whoosh 2.8.0 is installed"):
        open_backend("whoosh", path=tmp_path / "index")
