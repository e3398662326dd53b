"""Every use of Whoosh's private API, in one place, pinned to the Whoosh version it was read from.

The evaluator reads Whoosh's on-disk structures directly because Whoosh's matchers walk
postings one document at a time in Python: on 100,000 pages of 300 words that measured
256 ms p95 for a top-10 query and 408 ms with one facet. Reading a posting block of up to
128 entries at a time into arrays is what makes exact totals and facets cheap.

What is private here, and why it is needed:

- `W3LeafMatcher` posting blocks (`_read_data`, `_data`, `_goto`, `_nextoffset`, `_maxid`,
  `_lastblock`): ids, term frequencies and position values a block at a time.
- column readers' raw bytes (`_dbfile`, `_basepos`, `_count`, `_fixedlen`): a numeric
  column as one array instead of a Python call per document.
- field lengths (`_perdoc`, `_lenfield`, `LENGTHS_COLUMN`, `byte_to_length`): the one-byte
  length codes BM25 needs, decoded as Whoosh decodes them.
- a segment's deleted documents, and `MpWriter.tasks` to stop a cancelled rebuild's workers.
- the writers' posting pool (`SegmentWriter.pool`, `_tempstorage`, `_finalize_segment`,
  `SubWriterTask`'s queues): a rebuild sorts its postings with `SpillingPool` instead of
  Whoosh's `PostingPool`, which pickled and unpickled every posting one at a time (a third
  of a rebuild's CPU).

None of this is covered by Whoosh's compatibility promises, so `check_whoosh_version()` runs
when an index is opened and refuses any version but `VERIFIED_WHOOSH_VERSION`. Before that
pin is changed, `tests/fulltext/test_engine.py` (the evaluator against Whoosh's own matchers,
for every kind of query node) must pass with the new version.
"""

from __future__ import annotations

import heapq
import marshal
import uuid

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from archive.fulltext.errors import UnsupportedWhooshVersion

# The Whoosh release (PyPI: Whoosh-Reloaded) whose private structures this module was
# verified against; requirements.txt pins the same.
VERIFIED_WHOOSH_VERSION = "2.7.5"

LENGTH_TABLE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
EMPTY_IDS = np.zeros(0, dtype=np.int32)


def installed_whoosh_version() -> str:
    """The version of the Whoosh that is imported, as Whoosh spells it ("2.7.5")."""
    return whoosh.versionstring()


def check_whoosh_version(installed: str | None = None) -> None:
    """Refuse to read an index with a Whoosh whose private structures were not verified."""
    installed = installed or installed_whoosh_version()
    if installed != VERIFIED_WHOOSH_VERSION:
        raise UnsupportedWhooshVersion(
            f"Whoosh {installed} is installed, but the search engine reads Whoosh's private "
            f"index structures and was verified with Whoosh {VERIFIED_WHOOSH_VERSION} only: "
            f"install Whoosh-Reloaded=={VERIFIED_WHOOSH_VERSION} (requirements.txt). To move "
            "to another version, run tests/fulltext/test_engine.py with it (the evaluator "
            "against Whoosh's own matchers) before changing VERIFIED_WHOOSH_VERSION in "
            f"{__name__}."
        )


def _raw_column_bytes(colreader, size: int, width: int) -> bytes | None:
    """A fixed-width column's bytes in one read, or None for a reader of another kind."""
    dbfile = getattr(colreader, "_dbfile", None)
    if dbfile is None:
        return None
    count = min(getattr(colreader, "_count", 0), size)
    return dbfile.get(colreader._basepos, count * width) if count else b""


def read_numeric_column(reader, name: str, size: int) -> np.ndarray:
    """A numeric column of one segment as an int64 array indexed by docnum (0 if absent)."""
    out = np.zeros(size, dtype=np.int64)
    if not reader.has_column(name):
        return out
    colreader = reader.column_reader(name, translate=False)
    width = colreader._fixedlen
    raw = _raw_column_bytes(colreader, size, width)
    dtype = {1: ">u1", 2: ">u2", 4: ">i4", 8: ">i8"}[width]
    if raw is None:  # an unexpected reader type: slow but correct
        return np.fromiter(colreader, dtype=np.int64, count=size)
    values = np.frombuffer(raw, dtype=dtype)
    out[: values.size] = values
    return out


def read_field_lengths(reader, fieldname: str, size: int) -> np.ndarray:
    """Each document's length in a field, decoded from Whoosh's one-byte codes as Whoosh does."""
    perdoc = reader._perdoc
    lenfield = _lenfield(fieldname)
    if not perdoc.has_column(lenfield):
        return np.zeros(size, dtype=np.float32)
    colreader = perdoc.column_reader(lenfield, LENGTHS_COLUMN)
    raw = _raw_column_bytes(colreader, size, 1)
    codes = np.zeros(size, dtype=np.uint8)
    if raw is None:
        codes[:] = np.fromiter(colreader, dtype=np.uint8, count=size)
    else:
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    return LENGTH_TABLE[codes]


def _leaf_matcher(reader, fieldname: str, text: str):
    """The term's matcher without Whoosh's deletion filter, or None for an unknown term."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return None
    while isinstance(matcher, FilterMatcher):  # deletions are applied by the live mask
        matcher = matcher.child
    return matcher


def read_postings(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All postings of a term as (docnums, term frequencies), a block at a time."""
    matcher = _leaf_matcher(reader, fieldname, text)
    if matcher is None:
        return EMPTY_IDS, np.zeros(0, dtype=np.float32)
    if not isinstance(matcher, W3LeafMatcher):
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)
    id_blocks, weight_blocks = [], []
    while True:
        matcher._read_data()
        deltas, weights, _ = matcher._data
        ids = np.cumsum(np.array(deltas, dtype=np.int64)).astype(np.int32)
        id_blocks.append(ids)
        if weights is None:
            weight_blocks.append(np.ones(ids.size, dtype=np.float32))
        elif isinstance(weights, float):
            weight_blocks.append(np.full(ids.size, weights, dtype=np.float32))
        else:
            weight_blocks.append(np.array(weights, dtype=np.float32))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return np.concatenate(id_blocks), np.concatenate(weight_blocks)


def read_postings_with_values(
    reader, fieldname: str, text: str
) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """All postings of a term with their raw values (positions), each block read once.

    A phrase needs a word's documents (to intersect) and then the positions of the ones
    that survive; reading the blocks once for both halves the decompressing and unpickling
    that dominated phrase queries.
    """
    matcher = _leaf_matcher(reader, fieldname, text)
    if matcher is None:
        return EMPTY_IDS, np.zeros(0, dtype=np.float32), []
    if not isinstance(matcher, W3LeafMatcher):
        ids, weights, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32), values
    id_blocks, weight_blocks, values = [], [], []
    while True:
        matcher._read_data()
        deltas, weights, block_values = matcher._data
        ids = np.cumsum(np.array(deltas, dtype=np.int64)).astype(np.int32)
        id_blocks.append(ids)
        if weights is None:
            weight_blocks.append(np.ones(ids.size, dtype=np.float32))
        elif isinstance(weights, float):
            weight_blocks.append(np.full(ids.size, weights, dtype=np.float32))
        else:
            weight_blocks.append(np.array(weights, dtype=np.float32))
        values.extend(block_values or (b"",) * ids.size)
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return np.concatenate(id_blocks), np.concatenate(weight_blocks), values


def decode_varint_deltas(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(owner, position) rows of many varint-delta position lists, decoded as arrays."""
    raw = np.frombuffer(b"".join(values), dtype=np.uint8)
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    byte_owner = np.repeat(np.arange(len(values), dtype=np.int64), sizes)
    last = (raw & 0x80) == 0  # the last byte of each varint
    number = np.cumsum(np.r_[0, last[:-1]])  # which varint each byte belongs to
    first_byte = np.flatnonzero(np.r_[True, last[:-1]])
    shift = 7 * (np.arange(raw.size) - first_byte[number])
    deltas = np.bincount(number, weights=(raw & 0x7F).astype(np.int64) << shift)
    deltas = deltas.astype(np.int64)
    owner = byte_owner[last]
    running = np.cumsum(deltas)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    base = np.where(starts > 0, running[np.maximum(starts - 1, 0)], 0)
    counts = np.diff(np.r_[starts, owner.size])
    return owner, running - np.repeat(base, counts)


def live_mask(reader) -> np.ndarray:
    """Which documents of a segment are not deleted, as a boolean array by docnum."""
    live = np.ones(reader.doc_count_all(), dtype=bool)
    if reader.has_deletions():
        deleted = np.fromiter(reader.segment().deleted_docs(), dtype=np.int64)
        live[deleted] = False
    return live


def cancel_writer(writer) -> None:
    """Cancel a writer, stopping a multi-process writer's worker processes first.

    Whoosh's MpWriter.cancel() cannot stop its workers (it flips a flag in the parent's
    copy), so they are terminated here before the caller removes their directory.
    """
    for task in getattr(writer, "tasks", []):
        task.terminate()
        task.join()
    writer.cancel()


# ---------------------------------------------------------------------------- rebuild writers

POSTING_BYTES = 200  # what one pooled posting tuple costs in memory, measured
RUN_CHUNK = 20_000  # postings per marshal record of a spilled run


class SpillingPool:
    """A writer's postings, sorted in memory and spilled to sorted runs when full.

    Whoosh's `PostingPool` does the same but pickles each posting on its own and computes
    its size in Python; here a posting is one `list.append` (`add` is the list's own
    method), a full pool is sorted once and written as a few large marshal records, and
    the runs are merged back with `heapq.merge`. The order is Whoosh's: (field, term,
    docnum).
    """

    def __init__(self, tempstore, limitmb: int):
        self.tempstore = tempstore
        self.limit = max(10_000, limitmb * 1024 * 1024 // POSTING_BYTES)
        self.current: list[tuple] = []
        self.add = self.current.append
        self.runs: list[str] = []
        self.fieldnames: set[str] = set()  # read by Whoosh's sub-writers, not needed here

    def spill_if_full(self) -> None:
        """Write the pool out as a run once it holds `limit` postings (between documents)."""
        if len(self.current) >= self.limit:
            self.save()

    def save(self) -> None:
        """Sort the postings in memory and write them out as one run."""
        current = self.current
        if not current:
            return
        current.sort()
        name = f"{uuid.uuid4().hex}.run"
        with self.tempstore.create_file(name).raw_file() as out:
            for start in range(0, len(current), RUN_CHUNK):
                marshal.dump(current[start : start + RUN_CHUNK], out)
        self.runs.append(name)
        current.clear()  # the same list: `add` stays bound to it

    def _read_run(self, name: str):
        """A run's postings in order; the run's file is removed once read."""
        try:
            with self.tempstore.open_file(name).raw_file() as run:
                while True:
                    try:
                        chunk = marshal.load(run)  # noqa: S302 (our own run file)
                    except EOFError:
                        return
                    yield from chunk
        finally:
            self.tempstore.delete_file(name)

    def iter_postings(self):
        """Every posting, sorted: from memory alone, or merged from the runs."""
        if not self.runs:
            self.current.sort()
            return iter(self.current)
        self.save()
        runs, self.runs = self.runs, []
        return heapq.merge(*(self._read_run(name) for name in runs))

    def cleanup(self) -> None:
        """Remove runs left behind by a cancelled writer."""
        for name in self.runs:
            if self.tempstore.file_exists(name):
                self.tempstore.delete_file(name)
        self.runs = []


class RebuildSegmentWriter(SegmentWriter):
    """A `SegmentWriter` whose postings go through `SpillingPool`."""

    def __init__(self, ix, limitmb: int = 128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = SpillingPool(self._tempstorage, limitmb)

    def add_document(self, **fields) -> None:
        super().add_document(**fields)
        self.pool.spill_if_full()


class _RebuildSubWriterTask(SubWriterTask):
    """Whoosh's multi-segment worker process, writing with `RebuildSegmentWriter`."""

    def run(self) -> None:
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = RebuildSegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        segment = writer._finalize_segment()
        self.resultqueue.put((None, writer.pool.fieldnames, segment), timeout=5)


class RebuildMpWriter(MpWriter):
    """Whoosh's multi-process writer, each process building its own segment (no final
    merge) with `RebuildSegmentWriter`."""

    def __init__(self, ix, procs: int, **kwargs):
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)

    def _new_task(self):
        task = _RebuildSubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True
        )
        self.tasks.append(task)
        task.start()
        return task


def rebuild_writer(ix, procs: int, **kwargs):
    """A writer for filling a new, empty generation with `procs` writer processes."""
    if procs > 1:
        return RebuildMpWriter(ix, procs, **kwargs)
    return RebuildSegmentWriter(ix, **kwargs)
