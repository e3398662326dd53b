"""The index folder: generations, the CURRENT pointer, the rebuild journal and the locks.

Layout under the configured directory::

    CURRENT          {"generation": "gen-000003", "schema_version": 1}, replaced atomically
    gen-000003/      the Whoosh index in use
    gen-000002/      the previous one, kept until the next rebuild for slow readers
    write.lock       flock()ed around every write and every swap, by every process
    rebuild.lock     flock()ed for the whole of a rebuild
    BUILDING         names the generation a rebuild is filling
    journal.jsonl    writes made while a rebuild runs, replayed into it before the swap

Every generation is opened with the schema built by this code, not the one Whoosh pickled
into the folder: the pickle names the classes' modules, so an index written before a module
moved would otherwise fail to open. `SCHEMA_VERSION` in CURRENT guards real schema changes.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path

from whoosh import index as whoosh_index

from archive.fileio import LockTimeout, atomic_write, is_locked, try_lock, wait_for_lock
from archive.fulltext.documents import ItemDoc, PageText
from archive.fulltext.errors import (
    REINDEX_ADVICE,
    IndexBusyError,
    IndexCorruptError,
    RebuildInProgressError,
    SchemaVersionError,
)
from archive.fulltext.whoosh.postings import LeanCodec
from archive.fulltext.whoosh.schema import SCHEMA_VERSION, build_schema, item_documents

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
BUILDING = "BUILDING"
JOURNAL = "journal.jsonl"
WRITE_LOCK = "write.lock"
REBUILD_LOCK = "rebuild.lock"
GEN_PREFIX = "gen-"
WRITER_LIMITMB = 64


class IndexFolder:
    """The files under one index directory, and the locks every process takes on them."""

    def __init__(self, path: Path, lock_timeout: float):
        self.path = path
        self.lock_timeout = lock_timeout
        self._held = threading.local()  # how deep this thread is inside write_lock()

    # ------------------------------------------------------------------ pointer

    def stat_pointer(self) -> tuple | None:
        """A cheap fingerprint of CURRENT (None if there is none): it changes on every swap."""
        try:
            st = (self.path / CURRENT).stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def read_pointer(self) -> dict:
        """CURRENT's content; IndexCorruptError if it cannot be read."""
        pointer = _read_json(self.path / CURRENT)
        if not isinstance(pointer, dict) or "generation" not in pointer:
            raise IndexCorruptError(
                f"The search index pointer {self.path / CURRENT} is unreadable; {REINDEX_ADVICE}."
            )
        return pointer

    def point_to(self, generation: str) -> dict:
        """Make `generation` the index in use, atomically; returns the new pointer."""
        pointer = {"generation": generation, "schema_version": SCHEMA_VERSION}
        _write_json(self.path / CURRENT, pointer)
        return pointer

    def open(self, pointer: dict):
        """The Whoosh index CURRENT points at, after checking its schema version."""
        version = pointer.get("schema_version")
        if version != SCHEMA_VERSION:
            raise SchemaVersionError(
                f"The search index in {self.path} has schema version {version}, but this "
                f"version of Workshop Archive needs {SCHEMA_VERSION}; {REINDEX_ADVICE}."
            )
        gen_dir = self.path / pointer["generation"]
        try:
            return open_generation(gen_dir)
        except (OSError, whoosh_index.IndexError) as error:
            raise IndexCorruptError(
                f"The search index in {gen_dir} cannot be opened ({error}); {REINDEX_ADVICE}."
            ) from error

    def create_if_missing(self) -> None:
        """Start an empty index unless CURRENT exists (another process may have made it)."""
        with self.write_lock():
            if self.stat_pointer() is None:
                self.create_locked()

    def create_locked(self) -> dict:
        """Under the write lock, when there is no CURRENT at all: start an empty index."""
        generation = self.next_generation()
        create_generation(self.path / generation)
        pointer = self.point_to(generation)
        logger.info("created an empty search index in %s", self.path / generation)
        return pointer

    # ------------------------------------------------------------------ generations

    def next_generation(self) -> str:
        """The name after the highest generation present, used or not."""
        numbers = [
            int(p.name[len(GEN_PREFIX) :])
            for p in self.path.glob(f"{GEN_PREFIX}*")
            if p.name[len(GEN_PREFIX) :].isdigit()
        ]
        return f"{GEN_PREFIX}{max(numbers, default=0) + 1:06d}"

    def remove_generations(self, keep: set) -> None:
        """Delete every generation folder not named in `keep`."""
        with self.write_lock():
            for child in self.path.glob(f"{GEN_PREFIX}*"):
                if child.name not in keep and child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)

    def remove_stale(self) -> None:
        """Under both locks: drop what a crashed rebuild left (marker, journal, directory)."""
        marker = _read_json(self.path / BUILDING)
        self.end_building()
        current = _read_json(self.path / CURRENT) or {}
        if marker and marker.get("generation") not in (None, current.get("generation")):
            shutil.rmtree(self.path / marker["generation"], ignore_errors=True)

    def previous_generation(self) -> str | None:
        """The generation CURRENT names, if it can be read at all (it may be damaged)."""
        return (_read_json(self.path / CURRENT) or {}).get("generation")

    # ------------------------------------------------------------------ journal

    def start_building(self, generation: str) -> None:
        """Under the write lock: from now on, writes are journalled for `generation`."""
        (self.path / JOURNAL).write_text("")
        _write_json(self.path / BUILDING, {"generation": generation})

    def end_building(self) -> None:
        """Stop journalling: the rebuild swapped its generation in, or gave up."""
        for name in (BUILDING, JOURNAL):
            (self.path / name).unlink(missing_ok=True)

    def journal_if_rebuilding(self, entries: list[dict]) -> None:
        """Under the write lock: record writes that a running rebuild must replay."""
        if not (self.path / BUILDING).exists():
            return
        if not self.rebuild_running():
            self.end_building()  # left behind by a rebuild that died
            return
        with open(self.path / JOURNAL, "a", encoding="utf-8") as journal:
            for entry in entries:
                journal.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def replay_journal(self, ix) -> None:
        """Under the write lock: apply the writes made during a rebuild to its new index."""
        journal = self.path / JOURNAL
        lines = journal.read_text().splitlines() if journal.exists() else []
        entries = [json.loads(line) for line in lines if line.strip()]
        if not entries:
            return
        commit(ix, lambda writer: apply_entries(writer, entries), self.lock_timeout)
        logger.info("replayed %d index writes made during the rebuild", len(entries))

    # ------------------------------------------------------------------ locks

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """The one writer at a time, across processes; IndexBusyError after the timeout.

        Re-entrant within a thread, so that a caller may hold it across reading the database
        and writing (`SearchIndex.writing`): a second flock on another descriptor of the same
        file would wait for the first one forever."""
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth
            return
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
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    @contextmanager
    def rebuild_lock(self) -> Iterator[None]:
        """The one rebuild at a time; RebuildInProgressError at once if another runs."""
        self.path.mkdir(parents=True, exist_ok=True)
        with try_lock(self.path / REBUILD_LOCK) as taken:
            if not taken:
                raise RebuildInProgressError(
                    f"Another rebuild of the search index in {self.path} is running."
                )
            yield

    def rebuild_running(self) -> bool:
        """Whether a rebuild holds its lock right now (a BUILDING marker alone may be stale)."""
        return is_locked(self.path / REBUILD_LOCK)


def create_generation(gen_dir: Path) -> Path:
    """A new, empty Whoosh index with this code's schema."""
    gen_dir.mkdir(parents=True)
    whoosh_index.create_in(str(gen_dir), build_schema())
    return gen_dir


def open_generation(gen_dir: Path):
    """Open one generation with this code's schema (see the module docstring)."""
    return whoosh_index.open_dir(str(gen_dir), schema=build_schema())


def commit(ix, apply: Callable, timeout: float, limitmb: int = WRITER_LIMITMB) -> None:
    """One Whoosh writer: `apply(writer)`, then commit, or cancel on any error."""
    writer = ix.writer(limitmb=limitmb, timeout=timeout, codec=LeanCodec())
    try:
        apply(writer)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()  # Whoosh's default merge policy merges small segments as they pile up


def apply_entries(writer, entries: list[dict]) -> None:
    """Apply journal entries (see `index_entry`) to a writer, in order."""
    for entry in entries:
        if entry["op"] == "index":
            item, pages = entry_item(entry)
            writer.delete_by_term("item", str(item.item_id))
            for doc in item_documents(item, pages):
                writer.add_document(**doc)
        elif entry["op"] == "remove_item":
            writer.delete_by_term("item", str(entry["id"]))
        elif entry["op"] == "remove_event":
            writer.delete_by_term("event", str(entry["id"]))


def index_entry(item: ItemDoc, pages: Sequence[PageText]) -> dict:
    """A journal entry that re-indexes one item, as plain JSON values."""
    data = asdict(item)
    for key in ("event_start", "event_end", "item_date"):
        data[key] = data[key].isoformat() if data[key] else None
    return {"op": "index", "item": data, "pages": [asdict(p) for p in pages]}


def entry_item(entry: dict) -> tuple[ItemDoc, list[PageText]]:
    """The item and pages of an `index` journal entry."""
    data = dict(entry["item"])
    for key in ("event_start", "event_end", "item_date"):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    for key in ("speakers", "organisations", "tags", "granted_org_ids"):
        data[key] = tuple(data[key])
    return ItemDoc(**data), [PageText(**p) for p in entry["pages"]]


def _write_json(path: Path, data: dict) -> None:
    # 0o644 as before: the pointer was created with the default umask, readable by all.
    atomic_write(path, json.dumps(data).encode("utf-8"), mode=0o644)


def _read_json(path: Path) -> dict | None:
    """A JSON file's content; None if missing, {} if unreadable (a torn or damaged file)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return {}
