"""The index on disk: generations, the single-writer lock, the shared searcher, rebuilds.

Layout under the configured directory::

    CURRENT          {"generation": "gen-000003", "schema_version": 1}, replaced atomically
    gen-000003/      the Whoosh index in use
    gen-000002/      the previous one, kept until the next rebuild for slow readers
    write.lock       flock()ed around every write and every swap, by every process
    rebuild.lock     flock()ed for the whole of a rebuild
    BUILDING         names the generation a rebuild is filling
    journal.jsonl    writes made while a rebuild runs, replayed into it before the swap

Writers (web workers, the ingest worker, the CLI) queue on `write.lock`, so Whoosh's own lock
is always free when they ask for it and no `LockError` reaches a caller. A rebuild fills a new
generation while readers and writers keep using the current one; writes during that time go
to the current index and to the journal, and the rebuild replays the journal under the write
lock before it points CURRENT at the new generation. A failed rebuild removes only its own
directory: the index in use is never wiped.

Readers keep one searcher per `SearchIndex` and check before each search, cheaply, whether
CURRENT or the Whoosh generation changed (one stat and one directory listing).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from archive.fileio import LockTimeout, atomic_write, is_locked, try_lock, wait_for_lock
from archive.fulltext.documents import ItemDoc, PageText
from archive.fulltext.engine import IndexView, Segment
from archive.fulltext.errors import (
    REINDEX_ADVICE,
    IndexBusyError,
    IndexCorruptError,
    RebuildError,
    RebuildInProgressError,
    SchemaVersionError,
)
from archive.fulltext.results import SearchPage, SearchRequest, run_search
from archive.fulltext.schema import SCHEMA_VERSION, build_schema, item_documents

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
BUILDING = "BUILDING"
JOURNAL = "journal.jsonl"
WRITE_LOCK = "write.lock"
REBUILD_LOCK = "rebuild.lock"
GEN_PREFIX = "gen-"
WRITER_LIMITMB = 64
REBUILD_LIMITMB = 256

ItemPages = tuple[ItemDoc, Sequence[PageText]]


@dataclass
class RebuildReport:
    """What a rebuild did; `failed` lists (item id, reason) of items left out."""

    generation: str
    items: int = 0
    documents: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0


class SearchIndex:
    """The archive's full-text index at `path`; create one per process and share it."""

    def __init__(self, path: str | os.PathLike[str], lock_timeout: float = 300.0):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._state = threading.RLock()
        self._pointer_key: tuple | None = None
        self._ix = None
        self._searcher = None
        self._view: IndexView | None = None
        self._segments: dict[str, Segment] = {}
        self._pid = os.getpid()

    # ------------------------------------------------------------------ reading

    def search(self, request: SearchRequest) -> SearchPage:
        """Search within `request.scope`; never raises for malformed query text."""
        with self._state:
            return run_search(self._current_view(), request)

    def doc_count(self) -> int:
        """Live documents (pages and photos) in the index."""
        with self._state:
            return self._current_view().searcher.doc_count()

    def item_ids(self) -> set[int]:
        """Ids of every indexed item, for integrity checks against the database."""
        with self._state:
            view = self._current_view()
            ids: set[int] = set()
            for segment, _, live in view.parts:
                ids.update(np.unique(segment.column("c_item")[live]).tolist())
            return ids

    def check(self) -> None:
        """Raise SchemaVersionError or IndexCorruptError if the index cannot be used.

        Opens nothing that stays open, so it is safe in an app factory before workers fork.
        """
        if self._stat_pointer() is not None:
            self._open(self._read_pointer())

    def close(self) -> None:
        """Release the searcher and cached arrays (the next call reopens them)."""
        with self._state:
            self._close_searcher()
            self._view = self._ix = None
            self._pointer_key = None
            self._segments.clear()

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def _current_view(self) -> IndexView:
        if self._pid != os.getpid():  # forked (gunicorn --preload): never share open files
            self._searcher = self._view = self._ix = None
            self._segments = {}
            self._pid = os.getpid()
        key = self._stat_pointer()
        if key is None:
            self._create_if_missing()
            key = self._stat_pointer()
        if key != self._pointer_key or self._searcher is None:
            self._ix = self._open(self._read_pointer())
            self._close_searcher()
            self._searcher = self._ix.searcher()
            self._segments.clear()
            self._view = None
            self._pointer_key = key
        elif not self._searcher.up_to_date():
            # Not Searcher.refresh(): it re-uses a segment's reader when the segment id is
            # unchanged, keeping that segment's old deletions (a removed item would stay
            # visible). Opening readers is cheap; the arrays cached per segment are kept.
            old, self._searcher = self._searcher, self._ix.searcher()
            old.close()
        if self._view is None or self._view.searcher is not self._searcher:
            self._view = IndexView(self._searcher, self._segments)
        return self._view

    # ------------------------------------------------------------------ writing

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

        entries = [_index_entry(item, pages) for item, pages in latest.values()]
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
        with self._write_lock():
            pointer = self._read_pointer() if self._stat_pointer() else self._create_locked()
            ix = self._open(pointer)
            _commit(ix, apply, WRITER_LIMITMB, self.lock_timeout)
            self._journal_if_rebuilding(entries)

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
        with self._rebuild_lock():
            with self._write_lock():
                self._remove_stale()
                generation = self._next_generation()
                gen_dir = _create_generation(self.path / generation)
                (self.path / JOURNAL).write_text("")
                _write_json(self.path / BUILDING, {"generation": generation})
            report = RebuildReport(generation)
            swapped = False
            try:
                self._fill(gen_dir, items, progress, report, procs)
                with self._write_lock():
                    ix = whoosh_index.open_dir(str(gen_dir))
                    self._replay_journal(ix)
                    previous = _read_json(self.path / CURRENT) or {}  # may be damaged
                    _write_json(
                        self.path / CURRENT,
                        {"generation": generation, "schema_version": SCHEMA_VERSION},
                    )
                    swapped = True
                    self._end_building()
            except BaseException as error:
                if swapped:
                    raise
                with self._write_lock():
                    self._end_building()
                    shutil.rmtree(gen_dir, ignore_errors=True)
                if isinstance(error, Exception):
                    raise RebuildError(
                        f"Rebuilding the search index in {self.path} failed ({error}); "
                        "the previous index is still in use."
                    ) from error
                raise
            keep = {generation, previous.get("generation")}
            self._remove_generations(keep)
        report.seconds = time.monotonic() - started
        logger.info(
            "rebuilt search index %s: %d items, %d documents, %d failed",
            generation,
            report.items,
            report.documents,
            len(report.failed),
        )
        return report

    def _fill(self, gen_dir: Path, items, progress, report: RebuildReport, procs: int) -> None:
        ix = whoosh_index.open_dir(str(gen_dir))
        # Several processes each build their own segment (no final merge, which is the slow
        # and memory-hungry part); limitmb bounds each one's posting pool.
        options = {"procs": procs, "multisegment": True} if procs > 1 else {}
        writer = ix.writer(limitmb=REBUILD_LIMITMB // procs, timeout=self.lock_timeout, **options)
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
            _cancel(writer)
            raise
        writer.commit()

    def _replay_journal(self, ix) -> None:
        journal = self.path / JOURNAL
        lines = journal.read_text().splitlines() if journal.exists() else []
        entries = [json.loads(line) for line in lines if line.strip()]
        if not entries:
            return

        def apply(writer) -> None:
            for entry in entries:
                if entry["op"] == "index":
                    item, pages = _from_entry(entry)
                    writer.delete_by_term("item", str(item.item_id))
                    for doc in item_documents(item, pages):
                        writer.add_document(**doc)
                elif entry["op"] == "remove_item":
                    writer.delete_by_term("item", str(entry["id"]))
                elif entry["op"] == "remove_event":
                    writer.delete_by_term("event", str(entry["id"]))

        _commit(ix, apply, WRITER_LIMITMB, self.lock_timeout)
        logger.info("replayed %d index writes made during the rebuild", len(entries))

    def _journal_if_rebuilding(self, entries: list[dict]) -> None:
        if not (self.path / BUILDING).exists():
            return
        if not self._rebuild_running():
            self._end_building()  # left behind by a rebuild that died
            return
        with open(self.path / JOURNAL, "a", encoding="utf-8") as journal:
            for entry in entries:
                journal.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def _end_building(self) -> None:
        for name in (BUILDING, JOURNAL):
            (self.path / name).unlink(missing_ok=True)

    def _remove_stale(self) -> None:
        """Under both locks: drop what a crashed rebuild left (marker, journal, directory)."""
        marker = _read_json(self.path / BUILDING)
        self._end_building()
        current = _read_json(self.path / CURRENT) or {}
        if marker and marker.get("generation") not in (None, current.get("generation")):
            shutil.rmtree(self.path / marker["generation"], ignore_errors=True)

    def _remove_generations(self, keep: set) -> None:
        with self._write_lock():
            for child in self.path.glob(f"{GEN_PREFIX}*"):
                if child.name not in keep and child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)

    def _next_generation(self) -> str:
        numbers = [
            int(p.name[len(GEN_PREFIX) :])
            for p in self.path.glob(f"{GEN_PREFIX}*")
            if p.name[len(GEN_PREFIX) :].isdigit()
        ]
        return f"{GEN_PREFIX}{max(numbers, default=0) + 1:06d}"

    # ------------------------------------------------------------------ pointer and locks

    def _stat_pointer(self) -> tuple | None:
        try:
            st = os.stat(self.path / CURRENT)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _read_pointer(self) -> dict:
        pointer = _read_json(self.path / CURRENT)
        if not isinstance(pointer, dict) or "generation" not in pointer:
            raise IndexCorruptError(
                f"The search index pointer {self.path / CURRENT} is unreadable; {REINDEX_ADVICE}."
            )
        return pointer

    def _open(self, pointer: dict):
        version = pointer.get("schema_version")
        if version != SCHEMA_VERSION:
            raise SchemaVersionError(
                f"The search index in {self.path} has schema version {version}, but this "
                f"version of Workshop Archive needs {SCHEMA_VERSION}; {REINDEX_ADVICE}."
            )
        gen_dir = self.path / pointer["generation"]
        try:
            return whoosh_index.open_dir(str(gen_dir))
        except (OSError, whoosh_index.IndexError) as error:
            raise IndexCorruptError(
                f"The search index in {gen_dir} cannot be opened ({error}); {REINDEX_ADVICE}."
            ) from error

    def _create_if_missing(self) -> None:
        with self._write_lock():
            if self._stat_pointer() is None:
                self._create_locked()

    def _create_locked(self) -> dict:
        """Under the write lock, when there is no CURRENT at all: start an empty index."""
        generation = self._next_generation()
        _create_generation(self.path / generation)
        pointer = {"generation": generation, "schema_version": SCHEMA_VERSION}
        _write_json(self.path / CURRENT, pointer)
        logger.info("created an empty search index in %s", self.path / generation)
        return pointer

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        held = ExitStack()
        try:  # only the wait is translated, never a LockTimeout from the caller's block
            held.enter_context(wait_for_lock(self.path / WRITE_LOCK, self.lock_timeout))
        except LockTimeout:
            raise IndexBusyError(
                f"The search index in {self.path} stayed locked by another writer "
                f"for {self.lock_timeout:.0f} s."
            ) from None
        with held:
            yield

    @contextmanager
    def _rebuild_lock(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with try_lock(self.path / REBUILD_LOCK) as taken:
            if not taken:
                raise RebuildInProgressError(
                    f"Another rebuild of the search index in {self.path} is running."
                )
            yield

    def _rebuild_running(self) -> bool:
        return is_locked(self.path / REBUILD_LOCK)


def _cancel(writer) -> None:
    # Whoosh's MpWriter.cancel() cannot stop its worker processes (it flips a flag in the
    # parent's copy), so stop them here before the directory is removed.
    for task in getattr(writer, "tasks", []):
        task.terminate()
        task.join()
    writer.cancel()


def _create_generation(gen_dir: Path) -> Path:
    gen_dir.mkdir(parents=True)
    whoosh_index.create_in(str(gen_dir), build_schema())
    return gen_dir


def _commit(ix, apply: Callable, limitmb: int, timeout: float) -> None:
    writer = ix.writer(limitmb=limitmb, timeout=timeout)
    try:
        apply(writer)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()  # Whoosh's default merge policy merges small segments as they pile up


def _write_json(path: Path, data: dict) -> None:
    # 0o644 as before: the pointer was created with the default umask, readable by all.
    atomic_write(path, json.dumps(data).encode("utf-8"), mode=0o644)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return {}


def _index_entry(item: ItemDoc, pages: Sequence[PageText]) -> dict:
    data = asdict(item)
    for key in ("event_start", "event_end", "item_date"):
        data[key] = data[key].isoformat() if data[key] else None
    return {"op": "index", "item": data, "pages": [asdict(p) for p in pages]}


def _from_entry(entry: dict) -> ItemPages:
    data = dict(entry["item"])
    for key in ("event_start", "event_end", "item_date"):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    for key in ("speakers", "organisations", "tags", "granted_org_ids"):
        data[key] = tuple(data[key])
    return ItemDoc(**data), [PageText(**p) for p in entry["pages"]]
