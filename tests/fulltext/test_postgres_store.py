"""The PostgreSQL backend's store: rebuild-then-swap, writes during a rebuild, concurrent
writers, checks and errors. (What a search finds is tested for both backends by the other
modules here, through the parametrised `index` fixture.)"""

from __future__ import annotations

import threading

import psycopg
import pytest

from archive.fulltext import (
    FulltextError,
    RebuildError,
    RebuildInProgressError,
    SchemaVersionError,
    SearchRequest,
    open_backend,
)
from archive.fulltext.postgres import PostgresIndex
from tests.fulltext.fulltext_helpers import STAFF, ids, make_item, pages
from tests.support import postgres


@pytest.fixture
def dsn(postgres_databases) -> str:
    return postgres_databases.search_dsn()


@pytest.fixture
def pg(dsn):
    index = PostgresIndex(dsn, lock_timeout=30)
    yield index
    index.close()


def found(index: PostgresIndex, text: str) -> list[int]:
    return sorted(ids(index.search(SearchRequest(text, STAFF))))


def corpus(item_ids, word="budget", during=None):
    for n, item_id in enumerate(item_ids):
        if during is not None and n == len(item_ids) // 2:
            during()
        yield make_item(item_id), pages(f"{word} page of {item_id}", "second page")


def test_open_backend_by_name(dsn):
    index = open_backend("postgresql", dsn=dsn)
    try:
        index.index_item(make_item(1), pages("quarterly budget"))
        assert found(index, "budget") == [1]
        stats = index.stats()
        assert (stats.backend, stats.documents, stats.items) == ("postgresql", 1, 1)
        assert stats.size_bytes > 0 and "archive_search" in stats.location
    finally:
        index.close()


def test_rebuild_swaps_in_a_new_table_and_old_items_go(pg):
    pg.index_item(make_item(99), pages("stale budget"))
    report = pg.rebuild(corpus([1, 2, 3]))
    assert (report.items, report.documents, report.failed) == (3, 6, [])
    assert found(pg, "budget") == [1, 2, 3]
    assert pg.item_ids() == {1, 2, 3} and pg.doc_count() == 6
    assert pg.stats().generation == report.generation


def test_writes_during_a_rebuild_are_carried_into_it(pg, dsn):
    other = PostgresIndex(dsn)  # another process or machine writing meanwhile

    def write():
        other.index_item(make_item(50), pages("budget written during the rebuild"))
        other.index_item(make_item(2), pages("changed: no longer the word"))
        other.remove_item(3)

    try:
        pg.rebuild(corpus([1, 2, 3, 4], during=write))
        assert found(pg, "budget") == [1, 4, 50]
        assert found(pg, "changed") == [2]
    finally:
        other.close()


def test_a_failed_rebuild_keeps_the_index_in_use(pg):
    pg.index_item(make_item(1), pages("kept budget"))

    def broken():
        yield make_item(2), pages("budget")
        raise OSError("disk on fire")

    with pytest.raises(RebuildError, match="disk on fire.*previous index is still in use"):
        pg.rebuild(broken())
    assert found(pg, "budget") == [1]
    with pg.conn.cursor() as cursor:
        tables = cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'archive_search'"
        ).fetchall()
    assert not [t for (t,) in tables if "_g" in t]


def test_bad_items_are_left_out_and_reported(pg):
    def items():
        yield make_item(1), pages("budget")
        yield make_item(2, kind="video"), pages("budget")

    report = pg.rebuild(items())
    assert [i for i, _ in report.failed] == [2] and found(pg, "budget") == [1]


def test_one_rebuild_at_a_time(pg, dsn):
    holder = psycopg.connect(dsn, autocommit=True)
    holder_pid = holder.info.backend_pid
    try:
        holder.execute("SELECT pg_advisory_lock(hashtext('archive_search:rebuild'), 0)")
        with pytest.raises(RebuildInProgressError):
            pg.rebuild(corpus([1]))
    finally:
        holder.close()
    postgres.wait_for_backend_exit(dsn, holder_pid)
    assert pg.rebuild(corpus([1])).items == 1  # the lock went with its holder


def test_concurrent_writers_of_one_item_leave_one_copy(dsn):
    errors = []

    def write(n):
        index = PostgresIndex(dsn)
        try:
            for round_ in range(10):
                index.index_item(make_item(7), pages(*[f"budget {n} {round_}"] * 5))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            index.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    index = PostgresIndex(dsn)
    try:
        assert index.doc_count() == 5 and index.item_ids() == {7}
    finally:
        index.close()


def test_schema_of_another_version_asks_for_a_reindex(pg):
    pg.conn.execute("UPDATE archive_search.meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match="reindex"):
        pg.check()


def test_an_unreachable_server_is_one_clear_error():
    index = PostgresIndex("postgresql://nobody:secret@127.0.0.1:1/archive")
    with pytest.raises(FulltextError, match=r"cannot reach the search database .*127\.0\.0\.1:1"):
        index.check()


def test_a_database_with_the_c_locale_is_refused(postgres_databases):
    server = postgres_databases.server
    server.execute("CREATE DATABASE c_locale TEMPLATE template0 LC_CTYPE 'C' LC_COLLATE 'C'")
    try:
        with pytest.raises(FulltextError, match="locale is C"):
            PostgresIndex(server.dsn("c_locale")).check()
    finally:
        server.drop_database("c_locale")


def test_removing_an_event_removes_its_items(pg):
    pg.index_item(make_item(1, event_id=5), pages("budget"))
    pg.index_item(make_item(2, event_id=6), pages("budget"))
    pg.remove_event(5)
    assert found(pg, "budget") == [2]


# A page's vectors by their definition: each field parsed on its own, weighted, followed by
# the separator, the fields joined in order (title, speakers, tags, programme, text,
# organisations and event), the stemmed form then the exact one; `strong` the stemmed
# words of the title, speakers, tags or programme or seen 4 times, `dominant` those of the
# title or seen 8 times, `repeated` those seen 2 or 3 times. The indexer parses the item's
# fields once per item instead of per page.
_FIELDS = (("title", "A"), ("people_text", "B"), ("tags_text", "B"), ("programme", "B"),
           ("body", "C"), ("orgs_text || ' ' || event_text", "D"))  # fmt: skip
_SEPARATOR = "''' '':1'::tsvector"
_WORDS = "array_to_tsvector(ARRAY(SELECT lexeme FROM unnest({v}) WHERE lexeme <> ' ' AND {c}))"
_STRONG = "(weights && '{A,B}' OR cardinality(positions) >= 4)"
_DOMINANT = "(weights && '{A}' OR cardinality(positions) >= 8)"
_REPEATED = "NOT weights && '{A,B}' AND cardinality(positions) BETWEEN 2 AND 3"


def _form(config: str) -> str:
    return (
        "("
        + " || ".join(
            f"setweight(to_tsvector({config}, prepare({column})), '{weight}') || {_SEPARATOR}"
            for column, weight in _FIELDS
        )
        + ")"
    )


def test_vectors_made_once_per_item_equal_each_page_parsed_field_by_field(pg):
    """Pages of two items in two languages, words seen once, twice, four and eight times:
    every stored vector equals what its definition gives for that row alone."""
    item = make_item(1, title="Open data portals", tags=("e-government",), programme="Day one")
    texts = ("governments publish reports reports", "budget_2024 and open data " * 4, "")
    pg.index_item(item, pages(*texts))
    russian = pages("электронные услуги", "услуги и данные услуги", "услуги " * 8, language="ru")
    pg.index_item(make_item(2, title="Электронное правительство"), russian)
    stemmed, exact = _form("config"), _form("'simple'")
    checks = [
        f"doc = {stemmed} || {exact}",
        f"strong = {_WORDS.format(v=stemmed, c=_STRONG)}",
        f"dominant = {_WORDS.format(v=stemmed, c=_DOMINANT)}",
        f"repeated = {_WORDS.format(v=stemmed, c=_REPEATED)}",
        "people_v = both_forms(config, people_text)",
        "orgs_v = both_forms(config, orgs_text)",
        "event_v = both_forms(config, event_text)",
    ]
    with psycopg.connect(pg.dsn) as conn:
        conn.execute("SET search_path = archive_search, public")
        columns = ", ".join(checks)  # written above, no input
        query = (
            "SELECT item_id, page, repeated <> '', dominant @@ 'услуг'::tsquery, "  # noqa: S608
            f"{columns} FROM pages ORDER BY 1, 2"
        )
        rows = conn.execute(query).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    assert [r[2] for r in rows] == [True, False, False, False, True, False]  # words x2
    assert [r[3] for r in rows] == [False] * 5 + [True]  # "услуг" x8
    assert all(all(r[4:]) for r in rows), rows


@pytest.mark.parametrize(
    ("query", "every_word"),
    [
        ("'a' <-> 'b' | 'c'", "'a' & 'b' | 'c'"),
        ("( 'a' | 'b' ) <-> 'c' & 'd':*", "( 'a' | 'b' ) & 'c' & 'd':*"),
        ("'a' <2> 'b' <-> 'c'", "'a' & 'b' & 'c'"),
        ("'it''s' <-> 'x<->y'", "'it''s' & 'x<->y'"),  # operators inside a word stay
        ("'a' | 'b'", "'a' | 'b'"),
    ],
)
def test_every_word_of_a_query_is_its_phrases_loosened_to_and(pg, query, every_word):
    """A page vector without positions (`strong`) cannot hold a phrase, but it can hold each
    of the phrase's words."""
    with psycopg.connect(pg.dsn) as conn:
        row = conn.execute(
            "SELECT archive_search.all_words(%s::tsquery)::text, "
            "archive_search.all_words(%s::tsquery) = %s::tsquery",
            (query, query, every_word),
        ).fetchone()
    assert row == (every_word, True)


def test_when_too_many_pages_match_to_rank_all_those_holding_every_word_come_first(pg):
    """More matches than RANK_ALL: the decks whose page holds both searched words four
    times fill the first page, although a deck that repeats one word and has the other once,
    beside it, scores higher by cover density; it is found and counted, after them."""
    both = [make_item(n) for n in range(1, 13)]
    one = make_item(100)
    batch = [(item, pages("alpha alpha alpha alpha beta beta beta beta")) for item in both]
    batch.append((one, pages("alpha beta alpha alpha alpha alpha alpha alpha")))
    filler = ["alpha and beta, once each"] * 10
    batch += [(make_item(n), pages(*filler)) for n in range(200, 300)]  # 1,000 pages
    pg.index_items(batch)
    first = pg.search(SearchRequest("alpha beta", STAFF))
    assert first.total_hits == 1013 and first.total_groups == 113
    assert set(ids(first)) <= {item.item_id for item in both} and len(ids(first)) == 10
    everything = pg.search(SearchRequest("alpha beta", STAFF, per_page=200))
    assert ids(everything)[0] == 100  # every page ranked when the page asks for more decks


def test_when_too_many_pages_hold_a_word_strongly_those_with_it_in_the_title_or_8_times_come_first(
    pg,
):
    """More matches than RANK_ALL, and more decks with the word strong (four times or in
    the speakers) than a page holds: the decks with it eight times, and the one with it in
    its title, fill the first page. A deck with it six times and in its speakers' names
    scores higher than all of them; it is found and counted, after them. The title counts
    as often as the Whoosh backend's BM25F makes it: its weight is three times the text's,
    and the text's term frequency saturates."""
    often = [make_item(n) for n in range(1, 10)]
    titled = make_item(50, title="Gamma report")
    named = make_item(100, speakers=("Gamma Person",))
    batch = [(item, pages(" ".join(["gamma"] * 8))) for item in often]
    batch.append((titled, pages("gamma once")))
    batch.append((named, pages(" ".join(["gamma"] * 6))))
    batch += [(make_item(n), pages("gamma four times: gamma gamma gamma")) for n in range(60, 80)]
    batch += [(make_item(n), pages(*["gamma, once"] * 10)) for n in range(200, 300)]
    pg.index_items(batch)
    first = pg.search(SearchRequest("gamma", STAFF))
    assert first.total_hits == 1031 and first.total_groups == 131
    assert set(ids(first)) == {item.item_id for item in often} | {50}
    everything = pg.search(SearchRequest("gamma", STAFF, per_page=200))
    assert ids(everything)[0] == 100  # every page ranked when the page asks for more decks
