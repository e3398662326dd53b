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
- posting blocks' values (`W3PostingsWriter._mini_values`, `W3LeafMatcher._read_values`,
  the codec's `_blocklimit`...): `JoinedValuesWriter` stores a block's positions as one
  byte string and their lengths, where Whoosh pickles a tuple of one byte string per
  posting, which made unpickling positions 90% of reading a positional posting list.
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
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3LeafMatcher,
    W3PostingsWriter,
    _lenfield,
)
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


def _blocks(matcher):
    """A term's posting blocks as (ids, weights, raw values) arrays; a matcher of another
    kind than Whoosh's block reader (inlined postings) is read one posting at a time."""
    if not isinstance(matcher, W3LeafMatcher):
        rows = []
        while matcher.is_active():
            rows.append((matcher.id(), matcher.weight(), matcher.value() or b""))
            matcher.next()
        ids, weights, values = zip(*rows, strict=True) if rows else ((), (), ())
        yield np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32), values
        return
    while True:
        matcher._read_data()
        deltas, weights, values = matcher._data
        ids = np.cumsum(np.array(deltas, dtype=np.int64)).astype(np.int32)
        if weights is None:
            weights = np.ones(ids.size, dtype=np.float32)
        elif isinstance(weights, float):
            weights = np.full(ids.size, weights, dtype=np.float32)
        else:
            weights = np.array(weights, dtype=np.float32)
        yield ids, weights, values
        if matcher._lastblock:
            return
        matcher._goto(matcher._nextoffset)


def read_postings(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All postings of a term as (docnums, term frequencies), a block at a time."""
    matcher = _leaf_matcher(reader, fieldname, text)
    if matcher is None:
        return EMPTY_IDS, np.zeros(0, dtype=np.float32)
    blocks = list(_blocks(matcher))
    return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])


class PositionValues:
    """A posting list's values (positions) as one byte array and each posting's offsets."""

    def __init__(self, data: np.ndarray, offsets: np.ndarray):
        self.data = data  # uint8
        self.offsets = offsets  # int64, one more than postings: value i is [o[i], o[i+1])

    def select(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The bytes of the values at `rows`, concatenated, and each one's size."""
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        sizes = ends - starts
        total = int(sizes.sum())
        if total == 0:
            return np.zeros(0, dtype=np.uint8), sizes
        # index of every byte: its value's start plus its place within the value
        firsts = np.cumsum(sizes) - sizes
        where = np.arange(total, dtype=np.int64) + np.repeat(starts - firsts, sizes)
        return self.data[where], sizes


def _block_values(values, count: int) -> tuple[bytes, np.ndarray]:
    """A block's values as (joined bytes, sizes): written by `JoinedValuesWriter` (a list),
    or by Whoosh's writer (a tuple of byte strings, or None when the format has none)."""
    if isinstance(values, list):
        joined, sizes = values
        width = "u1" if len(sizes) == count else "<u4"
        return joined, np.frombuffer(sizes, dtype=width).astype(np.int64)
    if not values:
        return b"", np.zeros(count, dtype=np.int64)
    return b"".join(values), np.fromiter(map(len, values), dtype=np.int64, count=count)


def read_postings_with_values(
    reader, fieldname: str, text: str
) -> tuple[np.ndarray, np.ndarray, PositionValues]:
    """All postings of a term with their raw values (positions), each block read once.

    A phrase needs a word's documents (to intersect) and then the positions of the ones
    that survive; reading the blocks once for both halves the decompressing and unpickling
    that dominated phrase queries.
    """
    matcher = _leaf_matcher(reader, fieldname, text)
    if matcher is None:
        empty = PositionValues(np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64))
        return EMPTY_IDS, np.zeros(0, dtype=np.float32), empty
    blocks = [(ids, weights, _block_values(v, ids.size)) for ids, weights, v in _blocks(matcher)]
    data = np.frombuffer(b"".join(b[2][0] for b in blocks), dtype=np.uint8)
    sizes = np.concatenate([b[2][1] for b in blocks])
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return (
        np.concatenate([b[0] for b in blocks]),
        np.concatenate([b[1] for b in blocks]),
        PositionValues(data, offsets),
    )


def decode_varint_deltas(raw: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, position) rows of many varint-delta position lists (their bytes `raw`, one
    list after another, `sizes` bytes each), decoded as arrays."""
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    byte_owner = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
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


# ---------------------------------------------------------------------------- joined values


class JoinedValuesWriter(W3PostingsWriter):
    """Whoosh's posting writer, with a block's variable-size values (positions) written as
    [joined bytes, sizes] instead of a tuple of byte strings (see `_block_values`)."""

    def _mini_values(self):
        fixedsize = self._format.fixed_value_size()
        if fixedsize is not None and fixedsize >= 0:
            return super()._mini_values()
        sizes = [len(v) for v in self._values]
        if max(sizes, default=0) < 256:
            packed = bytes(sizes)
        else:
            packed = np.asarray(sizes, dtype="<u4").tobytes()
        return [b"".join(self._values), packed]


class JoinedValuesMatcher(W3LeafMatcher):
    """Whoosh's posting block reader, also reading blocks written by `JoinedValuesWriter`."""

    def _read_values(self):
        if self._data is None:
            self._read_data()
        values = self._data[2]
        if not isinstance(values, list):
            return super()._read_values()
        joined, sizes = _block_values(values, self._blocklength)
        ends = np.cumsum(sizes).tolist()
        self._values = tuple(joined[a:b] for a, b in zip([0, *ends], ends, strict=False))


def joined_values_writer(codec: W3Codec, dbfile, byteids: bool = False) -> JoinedValuesWriter:
    """`codec`'s posting writer, writing values joined."""
    return JoinedValuesWriter(
        dbfile,
        blocklimit=codec._blocklimit,
        byteids=byteids,
        compression=codec._compression,
        inlinelimit=codec._inlinelimit,
    )


def joined_values_reader(
    codec: W3Codec, dbfile, terminfo, format_, term=None, scorer=None
) -> W3LeafMatcher:
    """`codec`'s posting reader, reading joined values too (inlined postings as Whoosh)."""
    if terminfo.is_inlined():
        return W3Codec.postings_reader(codec, dbfile, terminfo, format_, term, scorer)
    offset, length = terminfo.extent()
    return JoinedValuesMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


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
