"""The Whoosh search backend: one writer through a lock, a shared searcher, rebuild-then-swap.

Writers (web workers, the ingest worker, the CLI) queue on the index folder's write lock
(`generations`), so Whoosh's own lock is always free when they ask for it and no `LockError`
reaches a caller. A rebuild fills a new generation while readers and writers keep using the
current one; writes during that time go to the current index and to the journal, and the
rebuild replays the journal under the write lock before it points CURRENT at the new
generation. A failed rebuild removes only its own directory: the index in use is never wiped.

Readers keep one searcher per `SearchIndex` and check before each search, cheaply, whether
CURRENT or the Whoosh generation changed (one stat and one directory listing).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from archive.fulltext.backend import IndexedAccess, IndexStats, ItemPages, RebuildReport
from archive.fulltext.documents import ItemDoc, PageText
from archive.fulltext.errors import RebuildError
from archive.fulltext.results import PageMatches, SearchPage, SearchRequest, autocorrected
from archive.fulltext.scope import AccessScope
from archive.fulltext.whoosh.access import indexed_access
from archive.fulltext.whoosh.compiler import compile_query, scope_filter
from archive.fulltext.whoosh.evaluator import Segment
from archive.fulltext.whoosh.generations import (
    IndexFolder,
    commit,
    create_generation,
    index_entry,
    open_generation,
)
from archive.fulltext.whoosh.internals import cancel_writer, check_whoosh_version, rebuild_writer
from archive.fulltext.whoosh.postings import LeanCodec
from archive.fulltext.whoosh.schema import SCHEMA_VERSION, item_documents
from archive.fulltext.whoosh.searching import match_pages, run_search
from archive.fulltext.whoosh.suggest import suggest
from archive.fulltext.whoosh.view import IndexView

logger = logging.getLogger(__name__)

REBUILD_LIMITMB = 256
EVERYTHING = AccessScope(include_staff_only=True)


class SearchIndex:
    """The archive's full-text index at `path` (a `SearchBackend`); one per process, shared."""

    def __init__(self, path: str | os.PathLike[str], lock_timeout: float = 300.0):
        check_whoosh_version()  # at start-up, before any private structure is read
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._folder = IndexFolder(self.path, lock_timeout)
        self._state = threading.RLock()
        self._pointer_key: tuple | None = None
        self._generation: str | None = None
        self._ix = None
        self._searcher = None
        self._view: IndexView | None = None
        self._segments: dict[str, Segment] = {}
        self._pid = os.getpid()

    # ------------------------------------------------------------------ reading

    def search(self, request: SearchRequest) -> SearchPage:
        """Search within `request.scope`; never raises for malformed query text."""
        with self._state:
            view = self._current_view()
            return autocorrected(lambda r: run_search(view, r), request)

    def match_pages(self, request: SearchRequest, item_id: int) -> PageMatches:
        """Every page of presentation `item_id` that `request` matches within its scope."""
        with self._state:
            return match_pages(self._current_view(), request, item_id)

    def suggest(self, text: str, scope: AccessScope) -> str | None:
        """A spelling correction of `text` with results within `scope`, or None.

        The same correction a search page offers when it finds little, asked for directly.
        """
        with self._state:
            view = self._current_view()
            node = scope_filter(scope)
            compiled = compile_query(text, view.searcher.reader(), view.scope_counter(node))
            return suggest(view, compiled, node)

    def doc_count(self) -> int:
        """Live documents (pages and photos) in the index."""
        with self._state:
            return self._current_view().searcher.doc_count()

    def item_ids(self) -> set[int]:
        """Ids of every indexed item, for integrity checks against the database."""
        with self._state:
            return _item_ids(self._current_view())

    def item_access(self) -> dict[int, IndexedAccess]:
        """Visibility, event and grants of every indexed item, as its documents say."""
        with self._state:
            return indexed_access(self._current_view())

    def stats(self) -> IndexStats:
        """Counts, size on disk and generation of the index in use (all from one view)."""
        with self._state:
            view = self._current_view()
            documents, items = view.searcher.doc_count(), len(_item_ids(view))
            generation = self._generation
        return IndexStats(
            backend="whoosh",
            location=str(self.path),
            generation=generation,
            schema_version=SCHEMA_VERSION,
            documents=documents,
            items=items,
            size_bytes=_size_on_disk(self.path / generation) if generation else 0,
        )

    def check(self) -> None:
        """Raise SchemaVersionError or IndexCorruptError if the index cannot be used.

        Opens nothing that stays open, so it is safe in an app factory before workers fork.
        """
        if self._folder.stat_pointer() is not None:
            self._folder.open(self._folder.read_pointer())

    def warm_up(self) -> None:
        """Open the searcher and read the columns every search needs: at 100,000 pages the
        first search of a fresh process takes about 0.8 s."""
        self.search(SearchRequest("", scope=EVERYTHING))

    def close(self) -> None:
        """Release the searcher and cached arrays (the next call reopens them)."""
        with self._state:
            self._close_searcher()
            self._view = self._ix = None
            self._pointer_key = self._generation = None
            self._segments.clear()

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def _current_view(self) -> IndexView:
        """The view for this search: reopened after a swap, refreshed after a commit."""
        if self._pid != os.getpid():  # forked (gunicorn --preload): never share open files
            self._searcher = self._view = self._ix = None
            self._segments = {}
            self._pid = os.getpid()
        key = self._folder.stat_pointer()
        if key is None:
            self._folder.create_if_missing()
            key = self._folder.stat_pointer()
        if key != self._pointer_key or self._searcher is None:
            self._open_current(key)
        elif not self._searcher.up_to_date():
            # Not Searcher.refresh(): it re-uses a segment's reader when the segment id is
            # unchanged, keeping that segment's old deletions (a removed item would stay
            # visible). Opening readers is cheap; the arrays cached per segment are kept.
            old, self._searcher = self._searcher, self._ix.searcher()
            old.close()
        if self._view is None or self._view.searcher is not self._searcher:
            self._view = IndexView(self._searcher, self._segments)
        return self._view

    def _open_current(self, key: tuple | None) -> None:
        """Open the generation CURRENT names, dropping everything cached for the old one."""
        pointer = self._folder.read_pointer()
        self._ix = self._folder.open(pointer)
        self._close_searcher()
        self._searcher = self._ix.searcher()
        self._segments.clear()
        self._view = None
        self._pointer_key = key
        self._generation = pointer["generation"]

    # ------------------------------------------------------------------ writing

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the index's write lock for a block of reads and writes (re-entrant)."""
        with self._folder.write_lock():
            yield

    def index_item(self, item: ItemDoc, pages: Sequence[PageText]) -> None:
        """Replace every document of `item` with its current pages, atomically."""
        self.index_items([(item, pages)])

    def index_items(self, batch: Iterable[ItemPages]) -> None:
        """Replace the documents of many items in one commit."""
        latest = {item.item_id: (item, list(pages)) for item, pages in batch}
        if not latest:
            return
        docs = {item_id: item_documents(*pair) for item_id, pair in latest.items()}

        def apply(writer) -> None:
            for item_id, item_docs in docs.items():
                writer.delete_by_term("item", str(item_id))
                for doc in item_docs:
                    writer.add_document(**doc)

        entries = [index_entry(item, pages) for item, pages in latest.values()]
        self._write(apply, entries)

    def remove_item(self, item_id: int) -> None:
        """Remove every document of one item; searches after this call no longer find it."""
        self._write(
            lambda w: w.delete_by_term("item", str(item_id)),
            [{"op": "remove_item", "id": item_id}],
        )

    def remove_event(self, event_id: int) -> None:
        """Remove every document of every item of one event."""
        self._write(
            lambda w: w.delete_by_term("event", str(event_id)),
            [{"op": "remove_event", "id": event_id}],
        )

    def _write(self, apply: Callable, entries: list[dict]) -> None:
        """Apply a change to the index in use, and journal it if a rebuild is running."""
        folder = self._folder
        with folder.write_lock():
            pointer = folder.read_pointer() if folder.stat_pointer() else folder.create_locked()
            commit(folder.open(pointer), apply, self.lock_timeout)
            folder.journal_if_rebuilding(entries)

    # ------------------------------------------------------------------ rebuild

    def rebuild(
        self,
        items: Iterable[ItemPages],
        progress: Callable[[int], None] | None = None,
        procs: int | None = None,
    ) -> RebuildReport:
        """Build a new generation from `items`, then swap it in; the old one serves meanwhile.

        `progress(n)` is called after each item with the number of items done so far. Items
        whose documents cannot be built are logged, skipped and listed in the report. On any
        other error the new generation is removed and RebuildError raised; the current index
        is untouched. `procs` writer processes share the indexing (default: up to 2 CPUs).
        """
        procs = procs or min(2, os.cpu_count() or 1)
        started = time.monotonic()
        with self._folder.rebuild_lock():
            gen_dir = self._start_rebuild()
            report = RebuildReport(gen_dir.name)
            previous = self._build_and_swap(gen_dir, items, progress, report, procs)
            self._folder.remove_generations({gen_dir.name, previous})
        report.seconds = time.monotonic() - started
        logger.info(
            "rebuilt search index %s: %d items, %d documents, %d failed",
            report.generation,
            report.items,
            report.documents,
            len(report.failed),
        )
        return report

    def _start_rebuild(self) -> Path:
        """Under the write lock: clear a crashed rebuild's leftovers, create the new generation
        and start journalling writes for it."""
        with self._folder.write_lock():
            self._folder.remove_stale()
            generation = self._folder.next_generation()
            gen_dir = create_generation(self.path / generation)
            self._folder.start_building(generation)
        return gen_dir

    def _build_and_swap(
        self,
        gen_dir: Path,
        items: Iterable[ItemPages],
        progress: Callable[[int], None] | None,
        report: RebuildReport,
        procs: int,
    ) -> str | None:
        """Fill `gen_dir`, replay the journal and point CURRENT at it; returns the generation
        it replaced. On failure only `gen_dir` is removed."""
        swapped = False
        try:
            self._fill(gen_dir, items, progress, report, procs)
            with self._folder.write_lock():
                self._folder.replay_journal(open_generation(gen_dir))
                previous = self._folder.previous_generation()
                self._folder.point_to(gen_dir.name)
                swapped = True
                self._folder.end_building()
            return previous
        except BaseException as error:
            if swapped:
                raise
            with self._folder.write_lock():
                self._folder.end_building()
                shutil.rmtree(gen_dir, ignore_errors=True)
            if isinstance(error, Exception):
                raise RebuildError(
                    f"Rebuilding the search index in {self.path} failed ({error}); "
                    "the previous index is still in use."
                ) from error
            raise

    def _fill(
        self,
        gen_dir: Path,
        items: Iterable[ItemPages],
        progress: Callable[[int], None] | None,
        report: RebuildReport,
        procs: int,
    ) -> None:
        """Index every item into the new generation; items that fail are reported, not fatal."""
        ix = open_generation(gen_dir)
        # Several processes each build their own segment (no final merge, which is the slow
        # and memory-hungry part); limitmb bounds each one's posting pool.
        writer = rebuild_writer(
            ix,
            procs,
            limitmb=REBUILD_LIMITMB // procs,
            timeout=self.lock_timeout,
            codec=LeanCodec(),
        )
        try:
            for item, pages in items:
                try:
                    docs = item_documents(item, pages)
                except (ValueError, TypeError, AttributeError) as error:
                    logger.error("item %s left out of the index: %s", item.item_id, error)
                    report.failed.append((item.item_id, str(error)))
                    continue
                for doc in docs:
                    writer.add_document(**doc)
                report.items += 1
                report.documents += len(docs)
                if progress is not None:
                    progress(report.items)
        except BaseException:
            cancel_writer(writer)
            raise
        writer.commit()


def _item_ids(view: IndexView) -> set[int]:
    """Distinct item ids of the live documents of one view."""
    ids: set[int] = set()
    for segment, _, live in view.parts:
        ids.update(np.unique(segment.column("c_item")[live]).tolist())
    return ids


def _size_on_disk(folder: Path) -> int:
    """Bytes in a generation's (flat) folder; a file removed meanwhile counts as 0."""
    total = 0
    for path in folder.iterdir():
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            continue
    return total
