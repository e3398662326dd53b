"""Parallel loading for a rebuild: batches written and indexes built on several connections.

Most of a rebuild's time is spent in the server: parsing every page twice (the stemmed and
the exact form) and building the GIN index. One connection would keep one core busy while
this process prepared the next rows and waited. So batches go through a small queue to
worker threads, each with its own connection and staging table (their waits on the server
release the GIL, so rows are prepared meanwhile), and the indexes of the new table are built
on two connections at once (the large GIN index on one, everything else on the other).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence

from psycopg import Connection, sql

LOAD_WORKERS = 2  # connections computing vectors at once
INDEX_MEMORY = "512MB"  # maintenance_work_mem while building indexes, when lower
_POLL_S = 0.5

Connect = Callable[[], Connection]


class Loader:
    """Hands batches of rows to `workers` threads that each `write(conn, batch)` in a
    transaction of their own connection; a failure in any is raised to the caller."""

    def __init__(
        self,
        connect: Connect,
        write: Callable[[Connection, list], None],
        workers: int = LOAD_WORKERS,
    ):
        self._queue: queue.Queue = queue.Queue(maxsize=workers)
        self._errors: list[BaseException] = []
        self._stop = threading.Event()
        self._write = write
        self._threads = [
            threading.Thread(target=self._work, args=(connect,), name=f"index-loader-{n}")
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def put(self, batch: list) -> None:
        """Queue a batch, waiting while every worker is busy; raises a worker's error."""
        while True:
            self._raise_failure()
            try:
                self._queue.put(batch, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        """Wait until every batch is written; raises a worker's error."""
        for _ in self._threads:
            self.put(None)
        self._join()
        self._raise_failure()

    def abort(self) -> None:
        """Stop the workers after their current batch and wait for them."""
        self._stop.set()
        self._join()

    def _join(self) -> None:
        for thread in self._threads:
            while thread.is_alive():
                thread.join(_POLL_S)
                if self._stop.is_set():
                    self._drain()

    def _drain(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _raise_failure(self) -> None:
        if self._errors:
            self._stop.set()
            raise self._errors[0]

    def _work(self, connect: Connect) -> None:
        try:
            conn = connect()
        except BaseException as exc:  # reported to the caller, which stops the rebuild
            self._errors.append(exc)
            return
        try:
            while not self._stop.is_set():
                try:
                    batch = self._queue.get(timeout=_POLL_S)
                except queue.Empty:
                    continue
                if batch is None:
                    return
                with conn.transaction():
                    self._write(conn, batch)
        except BaseException as exc:
            self._errors.append(exc)
        finally:
            conn.close()


def build_indexes(connect: Connect, groups: Sequence[Sequence[sql.Composable]]) -> None:
    """Run each group of statements on a connection of its own, the groups at once."""
    errors: list[BaseException] = []

    def run(statements: Sequence[sql.Composable]) -> None:
        try:
            with connect() as conn:
                conn.execute(
                    "SELECT set_config('maintenance_work_mem', CASE WHEN "
                    "pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes(%s) "
                    "THEN %s ELSE current_setting('maintenance_work_mem') END, false)",
                    (INDEX_MEMORY, INDEX_MEMORY),
                )
                for statement in statements:
                    conn.execute(statement)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(group,)) for group in groups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
