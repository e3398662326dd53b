"""Rebuild-then-swap for the PostgreSQL backend (a part of `PostgresIndex`).

A rebuild fills a new table (`pages_g<N>`) with COPY, builds its indexes, then, under the
swap lock that waits for writers in flight, copies over the items written meanwhile (the
journal names them) and renames the new table into place in one transaction. Searches read
the old table until that commit. A rebuild that fails drops only its own tables; one killed
outright leaves them for the next rebuild to drop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import psycopg
from psycopg import sql

from archive.fulltext.backend import ItemPages, RebuildReport
from archive.fulltext.errors import FulltextError, RebuildError, RebuildInProgressError
from archive.fulltext.postgres import schema as layout
from archive.fulltext.postgres.rows import item_rows, vocabulary

logger = logging.getLogger(__name__)

REBUILD_BATCH = 2000  # rows per COPY


def reason(exc: BaseException) -> str:
    """The first line of a driver error, which names what went wrong."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Rebuilding:
    """The rebuild methods of `PostgresIndex` (which provides _connect, _table, _meta,
    _copy, _add_words, _key, location, schema and s)."""

    def rebuild(
        self, items: Iterable[ItemPages], progress: Callable[[int], None] | None = None
    ) -> RebuildReport:
        """Build a new table from `items`, then swap it in; the old one serves meanwhile.

        Items whose rows cannot be built are logged, skipped and listed in the report; any
        other error drops the new table and raises RebuildError."""
        started = time.monotonic()
        conn = self._connect()  # a session of its own: it holds the rebuild lock
        try:
            locked = conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s), 0)", (self._key("rebuild"),)
            ).fetchone()[0]
            if not locked:
                raise RebuildInProgressError(f"another rebuild of {self.location()} is running")
            generation = self._start_rebuild(conn)
            report = RebuildReport(f"gen-{generation:06d}")
            try:
                self._fill(conn, generation, items, progress, report)
                self._swap(conn, generation)
            except Exception as error:
                self._abandon(conn, generation)
                if isinstance(error, FulltextError):
                    raise
                raise RebuildError(
                    f"Rebuilding the search index in {self.location()} failed ({error}); "
                    "the previous index is still in use."
                ) from error
        except psycopg.OperationalError as exc:
            raise RebuildError(f"Rebuilding the search index failed: {reason(exc)}") from exc
        finally:
            conn.close()  # also releases the rebuild lock
        report.seconds = time.monotonic() - started
        logger.info(
            "rebuilt search index %s: %d items, %d documents, %d failed",
            report.generation, report.items, report.documents, len(report.failed),
        )  # fmt: skip
        return report

    def _names(self, generation: int) -> tuple[str, str, str]:
        suffix = f"_g{generation}"
        return f"{layout.PAGES}{suffix}", f"{layout.VOCABULARY}{suffix}", suffix

    def _start_rebuild(self, conn: psycopg.Connection) -> int:
        """Drop what a killed rebuild left, create the new tables, and start the journal."""
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s), 0)", (self._key("swap"),))
            leftovers = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename ~ '_g[0-9]+$'",
                (self.schema,),
            ).fetchall()
            for (name,) in leftovers:
                conn.execute(sql.SQL("DROP TABLE {}").format(self._table(name)))
            generation = int(self._meta(conn, "generation") or 1) + 1
            pages, _, suffix = self._names(generation)
            for step in layout.pages_table(self.s, pages, suffix):
                conn.execute(step)
            conn.execute(sql.SQL("TRUNCATE {}").format(self._table("journal")))
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} VALUES ('building', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                ).format(self._table("meta")),
                (str(generation),),
            )
        return generation

    def _fill(self, conn, generation: int, items, progress, report: RebuildReport) -> None:
        """COPY every item's rows into the new table, then build its indexes."""
        pages, words_table, suffix = self._names(generation)
        words: set[str] = set()
        batch: list[tuple] = []
        with conn.transaction():
            for item, item_pages in items:
                try:
                    rows = item_rows(item, list(item_pages), self.schema)
                except (ValueError, TypeError, AttributeError) as error:
                    logger.error("item %s left out of the index: %s", item.item_id, error)
                    report.failed.append((item.item_id, str(error)))
                    continue
                batch += rows
                report.items += 1
                report.documents += len(rows)
                if len(batch) >= REBUILD_BATCH:
                    words |= vocabulary(batch)
                    self._copy(conn, self._table(pages), batch)
                    batch = []
                if progress is not None:
                    progress(report.items)
            words |= vocabulary(batch)
            self._copy(conn, self._table(pages), batch)
            self._add_words(conn, words_table, sorted(words))
        for step in layout.pages_indexes(self.s, pages, suffix):
            conn.execute(step)
        conn.execute(layout.vocabulary_index(self.s, suffix, layout.trigram_ops(conn)))
        conn.execute(sql.SQL("ANALYZE {}").format(self._table(pages)))

    def _swap(self, conn: psycopg.Connection, generation: int) -> None:
        """Under the swap lock: copy over what was written meanwhile, then rename."""
        pages, words_table, _ = self._names(generation)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s), 0)", (self._key("swap"),))
            if self._exists(conn, layout.PAGES):  # else: dropped by hand; nothing to carry
                self._carry_over(conn, self._table(pages), self._table(words_table))
            for current, replacement in ((layout.PAGES, pages), (layout.VOCABULARY, words_table)):
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self._table(current)))
                conn.execute(
                    sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                        self._table(replacement), sql.Identifier(current)
                    )
                )
            conn.execute(sql.SQL("TRUNCATE {}").format(self._table("journal")))
            meta = self._table("meta")
            conn.execute(sql.SQL("DELETE FROM {} WHERE key = 'building'").format(meta))
            conn.execute(
                sql.SQL("UPDATE {} SET value = %s WHERE key = 'generation'").format(meta),
                (str(generation),),
            )

    def _carry_over(self, conn, new: sql.Composable, words: sql.Composable) -> None:
        """The rows of items written during the rebuild (the journal names them), as they
        are in the table in use, replace theirs in the new one; new words come along."""
        columns = sql.SQL(", ").join(map(sql.Identifier, layout.COLUMNS))
        journal = sql.SQL("SELECT item_id FROM {}").format(self._table("journal"))
        conn.execute(sql.SQL("DELETE FROM {} WHERE item_id IN ({})").format(new, journal))
        conn.execute(
            sql.SQL("INSERT INTO {n} ({c}) SELECT {c} FROM {o} WHERE item_id IN ({j})").format(
                n=new, c=columns, o=self._pages, j=journal
            )
        )
        if self._exists(conn, layout.VOCABULARY):
            conn.execute(
                sql.SQL("INSERT INTO {} SELECT word FROM {} ON CONFLICT DO NOTHING").format(
                    words, self._table(layout.VOCABULARY)
                )
            )

    def _exists(self, conn: psycopg.Connection, table: str) -> bool:
        found = conn.execute("SELECT to_regclass(%s)", (f"{self.schema}.{table}",)).fetchone()
        return found[0] is not None

    def _abandon(self, conn: psycopg.Connection, generation: int) -> None:
        """After a failed rebuild: drop its tables and stop journalling."""
        if conn.closed or conn.broken:
            return
        pages, words_table, _ = self._names(generation)
        with conn.transaction():
            for name in (pages, words_table):
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self._table(name)))
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE key = 'building'").format(self._table("meta"))
            )
