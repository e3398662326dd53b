"""The PostgreSQL search backend: every process on every machine shares one index.

State lives in the database only (see `schema`): the pages table in use, the vocabulary,
the schema version and, while a rebuild runs, a journal. Writers replace an item's rows in
one transaction holding an advisory lock per item, so two machines indexing the same item
one after the other never leave two copies. A rebuild fills a new table with COPY, builds
its indexes, then, under a lock that waits for writers in flight, copies over the items
written meanwhile (the journal names them) and renames the new table into place. Searches
meanwhile read the old table; a rebuild that fails drops only its own table.

Each thread keeps one connection (autocommit; transactions where they are needed); a forked
process opens its own and never touches its parent's.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg import sql

from archive.fulltext.backend import IndexedAccess, IndexStats, ItemPages
from archive.fulltext.documents import SHARED, STAFF, ItemDoc, PageText
from archive.fulltext.errors import (
    REINDEX_ADVICE,
    FulltextError,
    IndexBusyError,
    IndexCorruptError,
    SchemaVersionError,
)
from archive.fulltext.postgres import schema as layout
from archive.fulltext.postgres.compiler import compile_query
from archive.fulltext.postgres.rebuild import Rebuilding
from archive.fulltext.postgres.rebuild import reason as _reason
from archive.fulltext.postgres.rows import item_rows, vocabulary
from archive.fulltext.postgres.searching import (
    SEARCH_SETTINGS,
    match_pages_statement,
    search_page,
    statement,
)
from archive.fulltext.postgres.suggest import suggest
from archive.fulltext.results import PageMatches, SearchPage, SearchRequest, autocorrected, clamped
from archive.fulltext.scope import AccessScope

logger = logging.getLogger(__name__)

EVERYTHING = AccessScope(include_staff_only=True)


class PostgresIndex(Rebuilding):
    """The archive's full-text index in PostgreSQL (a `SearchBackend`); one per process."""

    def __init__(self, dsn: str, schema: str = layout.DEFAULT_SCHEMA, lock_timeout: float = 300.0):
        self.dsn = dsn
        self.schema = schema
        self.s = sql.Identifier(schema)
        self.lock_timeout = lock_timeout
        self._installed = False
        self._current = False  # the tables in use were found to be of this schema version
        self._staged: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()
        self._guard = threading.Lock()
        self._conns: dict[threading.Thread, psycopg.Connection] = {}
        self._pid = os.getpid()

    # ------------------------------------------------------------------ connections

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise FulltextError(
                f"cannot reach the search database {self.location()}: {_reason(exc)}"
            ) from exc
        try:
            if not self._installed:
                layout.install(conn, self.schema)
                self._installed = True
            extensions = {layout.extension_schema(conn, e) for e in ("unaccent", "pg_trgm")}
            path = [self.schema, *sorted(extensions - {self.schema}), "public"]
            conn.execute(
                sql.SQL("SET search_path = {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, path))
                )
            )
        except BaseException:
            conn.close()
            raise
        return conn

    @property
    def conn(self) -> psycopg.Connection:
        """This thread's connection, opened (again) when missing, closed or broken; the
        connections of threads that have ended are closed meanwhile."""
        thread = threading.current_thread()
        with self._guard:
            if self._pid != os.getpid():  # forked: the parent's connections are not ours
                self._forked, self._conns, self._pid = list(self._conns.values()), {}, os.getpid()
            conn = self._conns.get(thread)
        if conn is None or conn.closed or conn.broken:
            conn = self._connect()
            with self._guard:
                ended = [t for t in self._conns if not t.is_alive()]
                for old in [self._conns.pop(t) for t in ended]:
                    old.close()
                self._conns[thread] = conn
        return conn

    @contextmanager
    def _session(self) -> Iterable[psycopg.Connection]:
        """The connection, dropped after an error so that the next call reconnects; refused
        while the tables in use are of another schema version."""
        conn = self.conn
        try:
            self._check_version(conn)
            yield conn
        except psycopg.errors.LockNotAvailable as exc:
            raise IndexBusyError(
                f"the search index in {self.location()} stayed locked for "
                f"{self.lock_timeout:.0f} s; another writer holds it"
            ) from exc
        except psycopg.OperationalError as exc:
            self._drop()
            raise FulltextError(f"the search database failed: {_reason(exc)}") from exc
        except psycopg.DatabaseError as exc:  # a missing or changed table: rebuild it
            raise IndexCorruptError(
                f"the search index in {self.location()} is unusable ({_reason(exc)}); "
                f"{REINDEX_ADVICE}"
            ) from exc

    def _check_version(self, conn: psycopg.Connection) -> None:
        """SchemaVersionError until the tables in use are of this version (read again on each
        call until they are: another machine's `flask reindex` may replace them)."""
        if self._current:
            return
        version = layout.installed_version(conn, self.schema)
        if version != layout.SCHEMA_VERSION:
            raise SchemaVersionError(
                f"The search index in {self.location()} was built by schema version "
                f"{version}, this version uses {layout.SCHEMA_VERSION}; {REINDEX_ADVICE}."
            )
        self._current = True

    def _drop(self) -> None:
        with self._guard:
            conn = self._conns.pop(threading.current_thread(), None)
        if conn is not None:
            conn.close()

    def location(self) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.dsn)
        where = info.get("host", "localhost")
        port, name = info.get("port", 5432), info.get("dbname", "")
        return f"postgresql://{where}:{port}/{name} ({self.schema})"

    def _table(self, name: str) -> sql.Composable:
        return sql.SQL("{s}.{t}").format(s=self.s, t=sql.Identifier(name))

    # ------------------------------------------------------------------ reading

    def search(self, request: SearchRequest) -> SearchPage:
        """Search within `request.scope`; never raises for malformed query text."""
        return autocorrected(self._search, request)

    def _search(self, request: SearchRequest) -> SearchPage:
        request = clamped(request)
        compiled = compile_query(request.text, self.schema)
        notices = list(compiled.notices)
        query = statement(compiled, request, self.schema, notices)
        with self._reading() as conn:
            row = conn.execute(query).fetchone()
            suggestion = None
            if row[0] <= 3 and compiled.words:
                suggestion = suggest(conn, self.schema, compiled, request.scope)
        return search_page(request, compiled, row, notices, suggestion)

    def match_pages(self, request: SearchRequest, item_id: int) -> PageMatches:
        """Every page of presentation `item_id` that `request` matches within its scope."""
        request = clamped(request)
        compiled = compile_query(request.text, self.schema)
        query = match_pages_statement(compiled, request, self.schema, item_id, [])
        with self._reading() as conn:
            pages = tuple(page for (page,) in conn.execute(query))
        return PageMatches(item_id, pages, compiled.terms)

    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection]:
        """The connection in a transaction with SEARCH_SETTINGS, for a search's statements."""
        with self._session() as conn, conn.transaction():
            for setting, value in SEARCH_SETTINGS.items():
                conn.execute(
                    sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(setting), sql.Literal(value))
                )
            yield conn

    def suggest(self, text: str, scope: AccessScope) -> str | None:
        """A spelling correction of `text` with results within `scope`, or None."""
        with self._session() as conn:
            return suggest(conn, self.schema, compile_query(text, self.schema), scope)

    def doc_count(self) -> int:
        """Live documents (pages and photos) in the index."""
        with self._session() as conn:
            return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(self._pages)).fetchone()[
                0
            ]

    def item_ids(self) -> set[int]:
        """Ids of every indexed item, for integrity checks against the database."""
        with self._session() as conn:
            rows = conn.execute(sql.SQL("SELECT DISTINCT item_id FROM {}").format(self._pages))
            return {item_id for (item_id,) in rows}

    def stats(self) -> IndexStats:
        """Counts, size and generation of the table in use, read in one transaction."""
        with self._session() as conn, conn.transaction():
            documents, items = conn.execute(
                sql.SQL("SELECT count(*), count(DISTINCT item_id) FROM {}").format(self._pages)
            ).fetchone()
            size = conn.execute(
                "SELECT pg_total_relation_size(%s::regclass)"
                " + pg_total_relation_size(%s::regclass)",
                (f"{self.schema}.{layout.PAGES}", f"{self.schema}.{layout.VOCABULARY}"),
            ).fetchone()[0]
            generation = self._meta(conn, "generation")
        return IndexStats(
            backend="postgresql",
            location=self.location(),
            generation=f"gen-{int(generation):06d}" if generation else None,
            schema_version=layout.SCHEMA_VERSION,
            documents=documents,
            items=items,
            size_bytes=size,
        )

    def check(self) -> None:
        """Raise a FulltextError if the index cannot be used: the server unreachable, the
        schema of another version, or a database whose locale cannot tell letters."""
        conn = self._connect()
        try:
            if self._meta(conn, "schema_version") is None:
                raise IndexCorruptError(f"the search schema in {self.location()} is incomplete")
            self._current = False  # read it again: check() is what start-up and repairs ask
            self._check_version(conn)
            ctype = conn.execute(
                "SELECT datctype FROM pg_database WHERE datname = current_database()"
            ).fetchone()[0]
            if ctype in ("C", "POSIX"):
                raise FulltextError(
                    f"the search database's locale is {ctype}: PostgreSQL's text search would "
                    "read punctuation beyond ASCII as letters; create it with a UTF-8 locale "
                    "(e.g. LC_CTYPE 'C.UTF-8') or point ARCHIVE_SEARCH_URL at one that has it"
                )
            conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(self._pages))
        except psycopg.Error as exc:
            raise IndexCorruptError(
                f"the search index in {self.location()} is unusable: {_reason(exc)}"
            ) from exc
        finally:
            conn.close()

    def warm_up(self) -> None:
        """Open this process's connection and read what every search reads."""
        self.search(SearchRequest("", scope=EVERYTHING))

    def close(self) -> None:
        """Close this process's connections; the next call reopens one and reads the schema
        version again, as a process started anew would."""
        with self._guard:
            conns = list(self._conns.values()) if self._pid == os.getpid() else []
            self._conns.clear()
            self._current = False
        for conn in conns:
            conn.close()

    @property
    def _pages(self) -> sql.Composable:
        return self._table(layout.PAGES)

    def _meta(self, conn: psycopg.Connection, key: str) -> str | None:
        row = conn.execute(
            sql.SQL("SELECT value FROM {} WHERE key = %s").format(self._table("meta")), (key,)
        ).fetchone()
        return row[0] if row else None

    def item_access(self) -> dict[int, IndexedAccess]:
        """Visibility, event and grants of every indexed item, as its rows say (grants: the
        organisations on every row of the item; `consistent` is False when rows differ)."""
        query = sql.SQL(
            "SELECT item_id, array_agg(DISTINCT shared), array_agg(DISTINCT event_id), "
            "count(*), count(DISTINCT grants) FROM {} GROUP BY item_id"
        ).format(self._pages)
        common = sql.SQL(
            "SELECT item_id, array_agg(g) FROM (SELECT item_id, g, count(*) AS n FROM {}, "
            "unnest(grants) AS g GROUP BY item_id, g) per_org "
            "JOIN (SELECT item_id, count(*) AS rows FROM {} GROUP BY item_id) per_item "
            "USING (item_id) WHERE n = rows GROUP BY item_id"
        ).format(self._pages, self._pages)
        with self._session() as conn:
            rows = conn.execute(query).fetchall()
            grants = dict(conn.execute(common).fetchall())
        return {
            item_id: IndexedAccess(
                visibilities=frozenset(SHARED if flag else STAFF for flag in shared),
                event_ids=frozenset(events),
                granted_org_ids=frozenset(grants.get(item_id) or ()),
                consistent=distinct_grants <= 1,
            )
            for item_id, shared, events, _count, distinct_grants in rows
        }

    # ------------------------------------------------------------------ writing

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the index's write lock, across processes and machines, for a block that
        reads the database and then writes. It is a session-level advisory lock on this
        thread's connection, which the writes inside take again (PostgreSQL counts a
        session's holds, so they pass); writers outside the block wait for it."""
        with self._session() as conn:
            conn.execute(
                sql.SQL("SET lock_timeout = {}").format(sql.Literal(int(self.lock_timeout * 1000)))
            )
            try:
                conn.execute("SELECT pg_advisory_lock(hashtext(%s), 0)", (self._key("write"),))
            finally:
                conn.execute("RESET lock_timeout")
            try:
                yield
            finally:
                with self._session() as again:
                    again.execute(
                        "SELECT pg_advisory_unlock(hashtext(%s), 0)", (self._key("write"),)
                    )

    def index_item(self, item: ItemDoc, pages: Sequence[PageText]) -> None:
        """Replace every document of `item` with its current pages, atomically."""
        self.index_items([(item, pages)])

    def index_items(self, batch: Iterable[ItemPages]) -> None:
        """Replace the rows of many items in one transaction."""
        latest = {item.item_id: (item, list(pages)) for item, pages in batch}
        if not latest:
            return
        rows = [
            row for item, pages in latest.values() for row in item_rows(item, pages, self.schema)
        ]
        self._write(sorted(latest), rows)

    def remove_item(self, item_id: int) -> None:
        """Remove every row of one item; searches after this call no longer find it."""
        self._write([item_id], [])

    def remove_event(self, event_id: int) -> None:
        """Remove every row of every item of one event."""
        with self._session() as conn:
            ids = conn.execute(
                sql.SQL("SELECT DISTINCT item_id FROM {} WHERE event_id = %s").format(self._pages),
                (event_id,),
            ).fetchall()
        self._write(sorted(i for (i,) in ids), [], event_id)

    def _write(self, item_ids: list[int], rows: list[tuple], event_id: int | None = None) -> None:
        """One transaction: lock the items, delete their rows, COPY the new ones, add their
        words to the vocabulary, and journal them if a rebuild is running."""
        words = sorted(vocabulary(rows))
        with self._session() as conn:
            self._stage(conn)
        with self._session() as conn, conn.transaction():
            self._lock_timeout(conn)
            conn.execute(
                "SELECT pg_advisory_xact_lock_shared(hashtext(%s), 0)", (self._key("swap"),)
            )
            # Wait for a `writing()` block of another session; inside our own, this passes.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s), 0)", (self._key("write"),))
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s), id) FROM unnest(%s::integer[]) AS id",
                (self._key("item"), item_ids),
            )
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE item_id = ANY(%s)").format(self._pages), (item_ids,)
            )
            if event_id is not None:
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE event_id = %s").format(self._pages), (event_id,)
                )
            self._copy(conn, self._pages, rows)
            self._add_words(conn, layout.VOCABULARY, words)
            if self._meta(conn, "building") is not None:
                conn.execute(
                    sql.SQL("INSERT INTO {} SELECT unnest(%s::integer[])").format(
                        self._table("journal")
                    ),
                    (item_ids,),
                )

    def _lock_timeout(self, conn: psycopg.Connection) -> None:
        conn.execute(
            sql.SQL("SET LOCAL lock_timeout = {}").format(
                sql.Literal(int(self.lock_timeout * 1000))
            )
        )

    def _key(self, name: str) -> str:
        return f"{self.schema}:{name}"

    def _copy(self, conn: psycopg.Connection, table: sql.Composable, rows: list[tuple]) -> None:
        """COPY `rows` into this session's staging table (see `_stage`), then into `table`
        with their vectors, computed in one statement (inside the caller's transaction)."""
        if not rows:
            return
        staging = sql.Identifier(layout.STAGING)
        columns = sql.SQL(", ").join(map(sql.Identifier, layout.COLUMNS))
        with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staging, columns)) as c:
            for row in rows:
                c.write_row(row)
        conn.execute(layout.insert_vectors(self.s, table))
        conn.execute(sql.SQL("TRUNCATE {}").format(staging))

    def _stage(self, conn: psycopg.Connection) -> psycopg.Connection:
        """Give `conn` its staging table, outside any transaction: one made inside a write
        that then rolled back would be gone while still counted as made."""
        with self._guard:
            staged = conn in self._staged
        if not staged:
            conn.execute(layout.staging_table())
            with self._guard:
                self._staged.add(conn)
        return conn

    def _add_words(self, conn: psycopg.Connection, table: str, words: list[str]) -> None:
        if words:
            conn.execute(
                sql.SQL("INSERT INTO {} SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING").format(
                    self._table(table)
                ),
                (words,),
            )
